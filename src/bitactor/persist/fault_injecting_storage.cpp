#include "bitactor/persist/fault_injecting_storage.hpp"

namespace bitactor::persist {

fault_injecting_storage::fault_injecting_storage(storage& inner) : inner_(inner) {}
fault_injecting_storage::~fault_injecting_storage() = default;

void fault_injecting_storage::fail_writes(std::size_t count) {
  std::lock_guard lock(mutex_);
  fail_writes_ = count;
}
void fault_injecting_storage::fail_syncs(std::size_t count) {
  std::lock_guard lock(mutex_);
  fail_syncs_ = count;
}
void fault_injecting_storage::fill_disk(bool full) {
  std::lock_guard lock(mutex_);
  disk_full_ = full;
}
void fault_injecting_storage::fail_reads(std::size_t count) {
  std::lock_guard lock(mutex_);
  fail_reads_ = count;
}
void fault_injecting_storage::maybe_fail_read() {
  std::lock_guard lock(mutex_);
  if (fail_reads_ == 0) return;
  --fail_reads_;
  throw storage_error("read failed: connection lost (injected)", true);
}
void fault_injecting_storage::corrupt_event(std::string persistence_id, std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  corrupt_.emplace(std::move(persistence_id), sequence);
}
void fault_injecting_storage::hold_writes() {
  std::lock_guard lock(mutex_);
  holding_ = true;
}
void fault_injecting_storage::release_writes() {
  {
    std::lock_guard lock(mutex_);
    holding_ = false;
  }
  changed_.notify_all();
}
bool fault_injecting_storage::wait_for_held_writes(std::size_t count,
                                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return held_ >= count; });
}
std::size_t fault_injecting_storage::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}
std::size_t fault_injecting_storage::synced_writes() const {
  std::lock_guard lock(mutex_);
  return synced_writes_;
}

void fault_injecting_storage::write(const write_batch& batch, bool sync) {
  bool sync_fails = false;
  {
    std::unique_lock lock(mutex_);
    if (holding_) {
      ++held_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !holding_; });
      --held_;
    }
    if (disk_full_) {
      throw storage_error("write failed: no space left on device (injected)", true);
    }
    if (fail_writes_ > 0) {
      --fail_writes_;
      throw storage_error("write failed: input/output error (injected)", true);
    }
    if (sync && fail_syncs_ > 0) {
      --fail_syncs_;
      sync_fails = true;
    }
  }
  inner_.write(batch, sync && !sync_fails);
  if (sync_fails) throw storage_error("fsync failed: input/output error (injected)", true);
  std::lock_guard lock(mutex_);
  ++writes_;
  if (sync) ++synced_writes_;
}

std::vector<stored_event> fault_injecting_storage::read_events(std::string_view persistence_id,
                                                               std::uint64_t from,
                                                               std::uint64_t to) {
  maybe_fail_read();
  auto events = inner_.read_events(persistence_id, from, to);
  std::lock_guard lock(mutex_);
  for (const auto& e : events) {
    if (corrupt_.count(std::pair<std::string, std::uint64_t>(persistence_id, e.sequence)) != 0) {
      throw corrupt_record("persistence id '" + std::string(persistence_id) + "': event " +
                               std::to_string(e.sequence) + " fails its CRC check (injected)",
                           std::string(persistence_id), e.sequence);
    }
  }
  return events;
}

std::uint64_t fault_injecting_storage::highest_sequence(std::string_view persistence_id) {
  maybe_fail_read();
  return inner_.highest_sequence(persistence_id);
}
std::optional<stored_snapshot> fault_injecting_storage::latest_snapshot(
    std::string_view persistence_id) {
  maybe_fail_read();
  return inner_.latest_snapshot(persistence_id);
}
std::optional<idempotency_record> fault_injecting_storage::find_key(std::string_view persistence_id,
                                                                    std::string_view key) {
  maybe_fail_read();
  return inner_.find_key(persistence_id, key);
}
std::size_t fault_injecting_storage::expire_keys(std::int64_t now_ms) {
  return inner_.expire_keys(now_ms);
}

}  // namespace bitactor::persist
