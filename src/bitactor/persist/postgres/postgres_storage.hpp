#pragma once
// postgres_storage: the journal's storage (bitactor/persist/storage.hpp) in a PostgreSQL
// database, through libpq, for users who run a database server.
//
// Schema: on open, the tables below are created in `options.schema` if missing (under an
// advisory lock, so several nodes may open the same database at once):
//   events(persistence_id, sequence, bytes, crc)       primary key (persistence_id, sequence)
//   highest(persistence_id, sequence)                   the highest sequence ever written; it
//                                                       survives the deletion of events
//   snapshots(persistence_id, sequence, bytes, crc)     the latest snapshot per id
//   idempotency_keys(persistence_id, key, result, sequence, expires_at_ms, crc)
//   schema_version(version)                             a schema of another version fails open
// Every record carries the CRC-32 (zlib) of its bytes, checked on every read.
//
// Writes: one write() is one transaction. `sync` commits it with synchronous_commit on (the
// commit returns once the WAL is flushed); without it, synchronous_commit is off for that
// transaction (the server flushes it within wal_writer_delay: a crash of the server may lose
// it, never a part of it). A first_sequence that does not follow the stored highest sequence
// fails the whole transaction with sequence_conflict.
//
// Threads: the storage holds a small pool of connections (options.pool_size). A libpq
// connection serves one thread at a time, so each call takes one connection from the pool for
// its duration; callers beyond pool_size wait for one to come back. A pool rather than one
// locked connection, so that concurrent writers commit concurrently and the server can flush
// their commits together (one WAL flush for many commits) instead of one fsync per writer in
// turn.
//
// Failures: a server that cannot be reached (at open or later) throws storage_error with
// retryable() true and a message naming the host and port; each call first (re)connects,
// retrying with exponential backoff for at most options.retry_budget. A connection lost
// during a call is replaced on the next call; a read or a write whose commit was not yet sent
// is retried on a fresh connection within the same budget, while a connection lost while
// committing throws (the outcome is unknown: read highest_sequence to learn it).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist {

namespace postgres_internal {
class connection_pool;
}

struct postgres_options {
  /// A libpq connection string or URI ("host=/run/postgresql dbname=app",
  /// "postgresql://user@db.example:5432/app").
  std::string connection;
  /// The schema that holds the tables; created if missing.
  std::string schema = "bitactor_journal";
  /// Connections held at most (at least 1).
  std::size_t pool_size = 4;
  /// How long one call may spend (re)connecting before it throws storage_error.
  std::chrono::milliseconds retry_budget{5000};
  /// The first pause between connection attempts; it doubles up to max_backoff.
  std::chrono::milliseconds initial_backoff{20};
  std::chrono::milliseconds max_backoff{1000};
  /// libpq's connect_timeout for one attempt, unless the connection string sets one.
  std::chrono::seconds connect_timeout{5};
};

class postgres_storage final : public storage {
 public:
  /// Connects (within options.retry_budget) and creates the schema if missing. Throws
  /// storage_error: retryable when the server cannot be reached, not when the schema is of
  /// another version or the options are invalid.
  explicit postgres_storage(postgres_options options);
  ~postgres_storage() override;
  postgres_storage(const postgres_storage&) = delete;
  postgres_storage& operator=(const postgres_storage&) = delete;

  void write(const write_batch& batch, bool sync) override;
  std::vector<stored_event> read_events(
      std::string_view persistence_id, std::uint64_t from,
      std::uint64_t to = std::numeric_limits<std::uint64_t>::max()) override;
  std::uint64_t highest_sequence(std::string_view persistence_id) override;
  std::optional<stored_snapshot> latest_snapshot(std::string_view persistence_id) override;
  std::optional<idempotency_record> find_key(std::string_view persistence_id,
                                             std::string_view key) override;
  std::size_t expire_keys(std::int64_t now_ms) override;

 private:
  std::unique_ptr<postgres_internal::connection_pool> pool_;
};

}  // namespace bitactor::persist
