#pragma once
// fault_injecting_storage: wraps a storage and fails on demand the way real storage fails, so
// that tests of persistent processes can show what a full disk, a failed fsync or a corrupt
// record does to them. Public (not a test-only file) because applications built on persist
// need the same faults for their own tests.
//
//   persist::memory_storage inner;
//   persist::fault_injecting_storage store(inner);
//   store.fill_disk(true);          // every write now fails: storage_error "no space left"
//
// Faults:
//  fail_writes(n)   the next n writes throw storage_error (retryable) and store nothing.
//  fail_syncs(n)    the next n writes with sync=true store their batch without the sync, then
//                   throw storage_error: as after a failed fsync, the data may or may not be
//                   there, and the writer must not count it as acknowledged.
//  fill_disk(on)    while on, every write throws storage_error "no space left on device" and
//                   stores nothing; reads still work.
//  fail_reads(n)    the next n reads (of any kind) throw a retryable storage_error, as reads
//                   over a lost connection do.
//  corrupt_event(id, seq)  read_events that would return that event throws corrupt_record
//                   naming it, as a backend does for a record failing its CRC.
//  hold_writes() / release_writes()  writes wait at the door until released (a slow fsync),
//                   so a test can queue work behind a write deterministically;
//                   wait_for_held_writes(n, timeout) waits until n writes are waiting.
// Counters: writes() (stored batches), synced_writes() (of which with sync=true).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist {

class fault_injecting_storage final : public storage {
 public:
  /// `inner` must outlive this wrapper.
  explicit fault_injecting_storage(storage& inner);
  ~fault_injecting_storage() override;

  void fail_writes(std::size_t count);
  void fail_syncs(std::size_t count);
  void fill_disk(bool full);
  void fail_reads(std::size_t count);
  void corrupt_event(std::string persistence_id, std::uint64_t sequence);
  void hold_writes();
  void release_writes();
  /// True once `count` writes wait behind hold_writes(); false after `timeout`.
  bool wait_for_held_writes(std::size_t count, std::chrono::milliseconds timeout);

  std::size_t writes() const;
  std::size_t synced_writes() const;

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
  void maybe_fail_read();
  storage& inner_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t fail_writes_ = 0;
  std::size_t fail_syncs_ = 0;
  std::size_t fail_reads_ = 0;
  bool disk_full_ = false;
  bool holding_ = false;
  std::size_t held_ = 0;
  std::size_t writes_ = 0;
  std::size_t synced_writes_ = 0;
  std::set<std::pair<std::string, std::uint64_t>, std::less<>> corrupt_;
};

}  // namespace bitactor::persist
