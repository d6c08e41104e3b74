#pragma once
// The storage a journal writes to. One interface, several backends: RocksDB (embedded, the
// default: a node needs nothing but a directory), PostgreSQL (for users who run a database
// server), an in-memory one for tests and a fault-injecting one (torn writes, fsync failures,
// a full disk, corrupt reads).
//
// A storage holds, per persistence id (one persistent process), a gap-free sequence of events
// numbered from 1, at most one snapshot worth reading (the latest), and the idempotency keys of
// the commands applied with one. It stores bytes: what they encode (an event's term in the
// external format, say) is the layer above's business.
//
// Threads: every member may be called from any thread, concurrently; the journal calls them
// from its own writer and reader threads, never from a scheduler worker, so they may block.
//
// Integrity: every stored record (event, snapshot, key) carries a CRC-32 (zlib's crc32) of its
// bytes, checked on every read. A record that fails the check throws corrupt_record naming the
// persistence id and the sequence (the "offset") where it sits; no read skips one silently.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitactor/core/error.hpp"

namespace bitactor::persist {

/// One event as stored: its sequence number within its persistence id and its bytes.
struct stored_event {
  std::uint64_t sequence = 0;
  std::string bytes;
  bool operator==(const stored_event&) const = default;
};

/// A snapshot: the state after the event numbered `sequence` (0: before any event).
struct stored_snapshot {
  std::uint64_t sequence = 0;
  std::string bytes;
  bool operator==(const stored_snapshot&) const = default;
};

/// A command applied with an idempotency key: the result its first application returned, the
/// last sequence it produced (its events are in the same atomic write) and when it may be
/// forgotten (milliseconds of the node's clock).
struct idempotency_record {
  std::string key;
  std::string result;
  std::uint64_t sequence = 0;
  std::int64_t expires_at_ms = 0;
  bool operator==(const idempotency_record&) const = default;
};

/// Everything one atomic write holds, for any number of persistence ids: all of it is stored,
/// or none of it.
struct write_batch {
  /// Events appended to one persistence id; `first_sequence` must be one past the highest
  /// stored sequence of that id (else the write fails with sequence_conflict and stores
  /// nothing). An idempotency key, when present, is stored with them.
  struct append {
    std::string persistence_id;
    std::uint64_t first_sequence = 1;
    std::vector<std::string> events;
    std::optional<idempotency_record> key;
  };
  struct snapshot {
    std::string persistence_id;
    stored_snapshot value;
  };
  /// Deletes the events of `persistence_id` numbered up to and including `through` (events
  /// covered by a snapshot); the highest sequence stays known.
  struct delete_events {
    std::string persistence_id;
    std::uint64_t through = 0;
  };

  std::vector<append> appends;
  std::vector<snapshot> snapshots;
  std::vector<delete_events> deletions;

  bool empty() const noexcept { return appends.empty() && snapshots.empty() && deletions.empty(); }
};

/// A storage failed: unreachable, full, misconfigured. `retryable` says whether the same
/// write may succeed later (a lost connection) or not (a full disk still counts as retryable;
/// a bad schema does not).
class storage_error : public bitactor::error {
 public:
  storage_error(std::string what, bool retryable) : error(std::move(what)), retryable_(retryable) {}
  bool retryable() const noexcept { return retryable_; }

 private:
  bool retryable_;
};

/// A write's first_sequence did not follow the stored events: another writer for the same id.
class sequence_conflict : public storage_error {
 public:
  using storage_error::storage_error;
};

/// A stored record failed its CRC check (or could not be parsed).
class corrupt_record : public storage_error {
 public:
  corrupt_record(std::string what, std::string persistence_id, std::uint64_t sequence)
      : storage_error(std::move(what), false),
        persistence_id_(std::move(persistence_id)),
        sequence_(sequence) {}
  const std::string& persistence_id() const noexcept { return persistence_id_; }
  std::uint64_t sequence() const noexcept { return sequence_; }

 private:
  std::string persistence_id_;
  std::uint64_t sequence_;
};

/// Why a storage operation failed, as a plain value. A failure detected on the journal's or the
/// reader's thread crosses to the process that asked as this copy rather than as the exception
/// itself: a shared exception object would be destroyed by whichever thread lets go of it last.
struct storage_failure {
  enum class kind {
    conflict,  // sequence_conflict
    corrupt,   // corrupt_record
    storage,   // any other storage_error
    other,     // an exception that is no storage_error
  };
  kind what_kind = kind::other;
  std::string what;
  bool retryable = false;

  /// The failure of the exception being handled; call only inside a catch block.
  static storage_failure of_current_exception();
};

class storage {
 public:
  virtual ~storage() = default;

  /// Stores `batch` atomically. With `sync`, returns only once it is on stable storage
  /// (fsynced / committed with synchronous_commit); without, it may sit in the OS or server
  /// buffers. Throws storage_error (sequence_conflict for a gap or overlap).
  virtual void write(const write_batch& batch, bool sync) = 0;

  /// The events of `persistence_id` numbered `from` to `to` inclusive that are stored, in order.
  virtual std::vector<stored_event> read_events(
      std::string_view persistence_id, std::uint64_t from,
      std::uint64_t to = std::numeric_limits<std::uint64_t>::max()) = 0;

  /// The highest sequence ever written for `persistence_id` (also after deletions); 0 for none.
  virtual std::uint64_t highest_sequence(std::string_view persistence_id) = 0;

  /// The latest snapshot of `persistence_id`, if any.
  virtual std::optional<stored_snapshot> latest_snapshot(std::string_view persistence_id) = 0;

  /// The record of a command applied to `persistence_id` with `key`, if it was and has not
  /// been expired.
  virtual std::optional<idempotency_record> find_key(std::string_view persistence_id,
                                                     std::string_view key) = 0;

  /// Forgets the keys whose expires_at_ms is before `now_ms`; returns how many.
  virtual std::size_t expire_keys(std::int64_t now_ms) = 0;
};

}  // namespace bitactor::persist
