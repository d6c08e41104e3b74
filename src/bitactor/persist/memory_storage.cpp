#include "bitactor/persist/memory_storage.hpp"

#include "bitactor/persist/internal/batch_check.hpp"

namespace bitactor::persist {

struct memory_storage::stream {
  std::map<std::uint64_t, std::string> events;
  std::uint64_t highest = 0;
  std::optional<stored_snapshot> snapshot;
  std::map<std::string, idempotency_record, std::less<>> keys;
};

memory_storage::memory_storage() = default;
memory_storage::~memory_storage() = default;

void memory_storage::write(const write_batch& batch, bool /*sync*/) {
  std::lock_guard lock(mutex_);
  // Check every append first, so that a conflicting one leaves everything as it was.
  detail::check_sequences(batch, [&](std::string_view id) -> std::uint64_t {
    auto it = streams_.find(id);
    return it == streams_.end() ? 0 : it->second.highest;
  });
  for (const auto& a : batch.appends) {
    stream& s = streams_[a.persistence_id];
    std::uint64_t seq = a.first_sequence;
    for (const auto& e : a.events) s.events[seq++] = e;
    if (!a.events.empty()) s.highest = seq - 1;
    if (a.key) s.keys[a.key->key] = *a.key;
  }
  for (const auto& w : batch.snapshots) {
    stream& s = streams_[w.persistence_id];
    if (!s.snapshot || s.snapshot->sequence <= w.value.sequence) s.snapshot = w.value;
  }
  for (const auto& d : batch.deletions) {
    auto it = streams_.find(d.persistence_id);
    if (it == streams_.end()) continue;
    auto& events = it->second.events;
    events.erase(events.begin(), events.upper_bound(d.through));
  }
}

std::vector<stored_event> memory_storage::read_events(std::string_view persistence_id,
                                                      std::uint64_t from, std::uint64_t to) {
  std::lock_guard lock(mutex_);
  std::vector<stored_event> out;
  auto it = streams_.find(persistence_id);
  if (it == streams_.end() || from > to) return out;
  const auto& events = it->second.events;
  for (auto e = events.lower_bound(from); e != events.end() && e->first <= to; ++e) {
    out.push_back({e->first, e->second});
  }
  return out;
}

std::uint64_t memory_storage::highest_sequence(std::string_view persistence_id) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(persistence_id);
  return it == streams_.end() ? 0 : it->second.highest;
}

std::optional<stored_snapshot> memory_storage::latest_snapshot(std::string_view persistence_id) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(persistence_id);
  if (it == streams_.end()) return std::nullopt;
  return it->second.snapshot;
}

std::optional<idempotency_record> memory_storage::find_key(std::string_view persistence_id,
                                                           std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(persistence_id);
  if (it == streams_.end()) return std::nullopt;
  auto k = it->second.keys.find(key);
  if (k == it->second.keys.end()) return std::nullopt;
  return k->second;
}

std::size_t memory_storage::expire_keys(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto& [id, s] : streams_) {
    n += std::erase_if(s.keys, [&](const auto& k) { return k.second.expires_at_ms < now_ms; });
  }
  return n;
}

}  // namespace bitactor::persist
