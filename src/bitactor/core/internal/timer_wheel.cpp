#include "bitactor/core/internal/timer_wheel.hpp"

#include <bit>

#include "bitactor/core/internal/deadline.hpp"
#include "bitactor/core/message.hpp"

namespace bitactor::detail {

timer_wheel::~timer_wheel() {
  std::vector<message*> left;
  drain(left);
  for (message* m : left) delete m;
}

timer_ref timer_wheel::add(std::uint64_t deadline, pid target, message* msg) {
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    entries_.emplace_back();
    index = static_cast<std::uint32_t>(entries_.size() - 1);
  }
  entry& e = entries_[index];
  e.deadline = deadline;
  e.target = target;
  e.msg = msg;
  e.generation += 1;  // now odd: pending
  ++pending_;
  place(index);
  return timer_ref{index, e.generation};
}

void timer_wheel::place(std::uint32_t index) {
  entry& e = entries_[index];
  if (e.deadline == never_ms) {
    e.bucket = never_bucket;
    e.prev = none;
    e.next = heads_[never_bucket];
    if (e.next != none) entries_[e.next - 1].prev = index + 1;
    heads_[never_bucket] = index + 1;
    return;
  }
  std::uint64_t expires = e.deadline < next_tick_ ? next_tick_ : e.deadline;
  std::uint64_t delta = expires - next_tick_;
  int level = 0;
  while (level < levels - 1 && delta >= (std::uint64_t{1} << (level_bits * (level + 1)))) ++level;
  if (level == levels - 1 && delta >= (std::uint64_t{1} << (level_bits * levels))) {
    expires = next_tick_ + (std::uint64_t{1} << (level_bits * levels)) - 1;  // clamp (~2 years)
  }
  auto slot = static_cast<std::uint32_t>((expires >> (level_bits * level)) & (slots - 1));
  e.bucket = static_cast<std::uint16_t>(level * slots + slot);
  e.prev = none;
  e.next = heads_[e.bucket];
  if (e.next != none) entries_[e.next - 1].prev = index + 1;
  heads_[e.bucket] = index + 1;
  occupied_[level] |= std::uint64_t{1} << slot;
}

void timer_wheel::unlink(std::uint32_t index) {
  entry& e = entries_[index];
  if (e.prev != none) {
    entries_[e.prev - 1].next = e.next;
  } else {
    heads_[e.bucket] = e.next;
  }
  if (e.next != none) entries_[e.next - 1].prev = e.prev;
  if (heads_[e.bucket] == none && e.bucket != never_bucket) {
    occupied_[e.bucket / slots] &= ~(std::uint64_t{1} << (e.bucket % slots));
  }
}

std::optional<std::uint64_t> timer_wheel::cancel(timer_ref r) {
  if (r.slot >= entries_.size()) return std::nullopt;
  entry& e = entries_[r.slot];
  if (e.generation != r.generation || (e.generation & 1) == 0) return std::nullopt;
  unlink(r.slot);
  delete e.msg;
  e.msg = nullptr;
  e.generation += 1;  // even: free
  --pending_;
  free_.push_back(r.slot);
  return e.deadline;
}

void timer_wheel::cascade(int level, std::uint32_t slot) {
  std::uint32_t bucket = level * slots + slot;
  std::uint32_t index = heads_[bucket];
  heads_[bucket] = none;
  occupied_[level] &= ~(std::uint64_t{1} << slot);
  while (index != none) {
    std::uint32_t next = entries_[index - 1].next;
    place(index - 1);
    index = next;
  }
}

void timer_wheel::run_tick(std::vector<expired>& out) {
  auto index = static_cast<std::uint32_t>(next_tick_ & (slots - 1));
  if (index == 0) {
    // Crossing a 64-tick boundary: pull the next slot of each coarser level down, as far up
    // as the boundary reaches (Linux's cascade()).
    for (int level = 1; level < levels; ++level) {
      auto slot = static_cast<std::uint32_t>((next_tick_ >> (level_bits * level)) & (slots - 1));
      cascade(level, slot);
      if (slot != 0) break;
    }
  }
  std::uint32_t i = heads_[index];
  heads_[index] = none;
  occupied_[0] &= ~(std::uint64_t{1} << index);
  while (i != none) {
    entry& e = entries_[i - 1];
    std::uint32_t next = e.next;
    out.push_back(expired{e.target, e.msg});
    e.msg = nullptr;
    e.generation += 1;
    --pending_;
    free_.push_back(i - 1);
    i = next;
  }
}

void timer_wheel::advance(std::uint64_t now, std::vector<expired>& out) {
  while (next_tick_ <= now) {
    // Ticks before the next one with work change nothing: skip them all. Slots are named by
    // absolute time bits, so jumping keeps every pending slot's cascade tick where it was.
    auto at = next_wakeup();
    if (!at || *at > now) {
      next_tick_ = now == never_ms ? now : now + 1;
      return;
    }
    next_tick_ = *at;
    run_tick(out);
    if (next_tick_ == never_ms) return;
    ++next_tick_;
  }
}

std::optional<std::uint64_t> timer_wheel::next_wakeup() const {
  std::optional<std::uint64_t> best;
  for (int level = 0; level < levels; ++level) {
    if (occupied_[level] == 0) continue;
    const int shift = level_bits * level;
    const std::uint64_t pos = next_tick_ >> shift;  // the level's current slot, absolute
    const auto current = static_cast<int>(pos & (slots - 1));
    // A coarser slot is moved down at the tick that starts it; if that tick is behind us
    // (we are inside the current slot), the current slot's next turn is a full round away.
    const bool at_slot_start = (next_tick_ & ((std::uint64_t{1} << shift) - 1)) == 0;
    const int skip = at_slot_start ? 0 : 1;
    const std::uint64_t ahead = std::rotr(occupied_[level], (current + skip) & (slots - 1));
    const std::uint64_t steps = static_cast<std::uint64_t>(skip + std::countr_zero(ahead));
    if (pos + steps > (never_ms >> shift)) continue;  // beyond the clock's range
    const std::uint64_t tick = (pos + steps) << shift;
    if (!best || tick < *best) best = tick;
  }
  return best;
}

void timer_wheel::drain(std::vector<message*>& out) {
  for (entry& e : entries_) {
    if ((e.generation & 1) != 0 && e.msg != nullptr) out.push_back(e.msg);
    e.msg = nullptr;
  }
  entries_.clear();
  free_.clear();
  heads_.fill(none);
  occupied_.fill(0);
  pending_ = 0;
}

}  // namespace bitactor::detail
