#pragma once
// rocksdb_storage: the embedded storage (storage.hpp) on RocksDB, the default backend: a node
// needs nothing but a directory.
//
//   persist::rocksdb_storage store("/var/lib/myapp/journal");   // creates it if missing
//
// Layout: one RocksDB database per directory; every record is one key-value pair whose value
// is sealed with a CRC-32 that also covers the key (internal/record.hpp), checked on every
// read. A record that fails it, or that RocksDB itself reports corrupt (its block checksums),
// throws corrupt_record naming the persistence id and the sequence.
//
// Crash recovery. A write with sync=true returns once RocksDB's write-ahead log is fsynced;
// after a crash (kill -9, power loss) the log is replayed on open. The log is opened in
// RocksDB's kTolerateCorruptedTailRecords mode: a record cut short at the end of the log (a
// write that the crash interrupted, never acknowledged as synced) is dropped, and the journal
// ends at the last good record; a damaged record anywhere before the end fails the open with a
// storage_error naming the directory, because every record after it may have been
// acknowledged. (kPointInTimeRecovery would open "successfully" by silently discarding every
// record after the damage, acknowledged ones included; kAbsoluteConsistency would refuse a
// torn tail, the normal result of a crash.)
//
// Threads: every member may be called from any thread; writes are serialised (the sequence
// check and the write are one step), reads run concurrently.

#include <memory>
#include <string>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist {

struct rocksdb_options {
  /// Create the directory and an empty database if there is none.
  bool create_if_missing = true;
  /// RocksDB's memtable size in bytes before a flush to a table file; 0 for RocksDB's default.
  std::size_t write_buffer_size = 0;
  /// Compress table files (RocksDB's default, Snappy where built in); off stores them as is.
  bool compress = true;
};

class rocksdb_storage final : public storage {
 public:
  /// Opens (or creates) the database in `directory`. Throws storage_error naming the
  /// directory if it cannot be opened, e.g. corruption before the log's tail, a directory
  /// another process holds open (RocksDB's LOCK), or no permission.
  explicit rocksdb_storage(std::string directory, rocksdb_options options = {});
  ~rocksdb_storage() override;
  rocksdb_storage(const rocksdb_storage&) = delete;
  rocksdb_storage& operator=(const rocksdb_storage&) = delete;

  void write(const write_batch& batch, bool sync) override;
  std::vector<stored_event> read_events(
      std::string_view persistence_id, std::uint64_t from,
      std::uint64_t to = std::numeric_limits<std::uint64_t>::max()) override;
  std::uint64_t highest_sequence(std::string_view persistence_id) override;
  std::optional<stored_snapshot> latest_snapshot(std::string_view persistence_id) override;
  std::optional<idempotency_record> find_key(std::string_view persistence_id,
                                             std::string_view key) override;
  std::size_t expire_keys(std::int64_t now_ms) override;

  /// Writes the memtables to table files and waits (then the log holds nothing to replay).
  void flush();
  const std::string& directory() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bitactor::persist
