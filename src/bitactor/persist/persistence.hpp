#pragma once
// persistence: what the persistent processes of a node share — the storage, the journal that
// writes to it, a reader thread for the blocking reads (recovery, idempotency-key lookups)
// and the wall clock idempotency keys expire by.
//
//   bitactor::node n;
//   persist::rocksdb_storage store("/var/lib/app/journal");
//   persist::persistence persistence(store);
//   auto a = otp::start<account>(n, {}, std::ref(persistence), "account-1");
//   ...
//   n.stop();   // before the persistence goes: its processes write through it
//
// Lifetimes: the storage outlives the persistence, which outlives every process using it
// (stop the node first). The destructor writes what is queued, then joins its threads.
//
// Keys: every expire_interval the reader thread forgets the idempotency keys whose retention
// has passed (storage::expire_keys with the clock's time).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "bitactor/persist/journal.hpp"
#include "bitactor/persist/storage.hpp"

namespace bitactor::persist {

struct persistence_options {
  journal_options journal;
  /// How long a process remembers an idempotency key by default (each process may set its
  /// own).
  std::chrono::milliseconds key_retention = std::chrono::hours(24);
  /// How often expired keys are dropped from the storage.
  std::chrono::milliseconds expire_interval = std::chrono::minutes(1);
  /// Milliseconds since the Unix epoch; the system clock when empty. Keys must expire by a
  /// clock that survives restarts, so not the node's. Tests set their own.
  std::function<std::int64_t()> clock;
  /// Attempts of a read that fails with a retryable storage_error (a lost connection) before
  /// the read fails; the waits between them double from read_backoff.
  unsigned read_attempts = 5;
  std::chrono::milliseconds read_backoff{20};
};

class persistence {
 public:
  explicit persistence(storage& store, persistence_options options = {});
  ~persistence();
  persistence(const persistence&) = delete;
  persistence& operator=(const persistence&) = delete;

  journal& writes() noexcept;
  storage& store() noexcept;
  const persistence_options& options() const noexcept;

  /// Runs `job` on the reader thread, after the jobs queued before it. Jobs may block.
  void read(std::function<void()> job);

  /// Calls `read` on the storage, retrying retryable failures with backoff (from the reader
  /// thread: a job's blocking read).
  template <class F>
  auto with_retries(F&& read) {
    for (unsigned attempt = 1;; ++attempt) {
      try {
        return read(store());
      } catch (const storage_error& e) {
        if (!e.retryable() || attempt >= options().read_attempts) throw;
        back_off(attempt);
      }
    }
  }

  /// The clock keys expire by, in milliseconds since the Unix epoch.
  std::int64_t now_ms() const;

 private:
  void back_off(unsigned attempt) const;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bitactor::persist
