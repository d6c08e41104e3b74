#include "bitactor/resilience/circuit_breaker.hpp"

#include <algorithm>
#include <utility>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

namespace {
constexpr std::uint8_t recorded_bit = 1;
constexpr std::uint8_t failed_bit = 2;
constexpr std::uint8_t slow_bit = 4;

breaker_state state_of(std::uint64_t word) noexcept {
  return static_cast<breaker_state>(word & 0xff);
}
std::uint64_t next_word(std::uint64_t word, breaker_state to) noexcept {
  return ((word >> 8) + 1) << 8 | static_cast<std::uint64_t>(to);
}
double percent(std::size_t part, std::size_t whole) noexcept {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}
std::int64_t ticks(time_point t) noexcept { return t.time_since_epoch().count(); }
}  // namespace

std::string_view to_string(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed:
      return "closed";
    case breaker_state::open:
      return "open";
    case breaker_state::half_open:
      return "half_open";
  }
  return "closed";
}

struct circuit_breaker::time_bucket {
  std::int64_t second = -1;  // which second since the clock's epoch it counts
  std::size_t calls = 0;
  std::size_t failures = 0;
  std::size_t slow = 0;
};

circuit_breaker::circuit_breaker(breaker_config config, clock now)
    : config_(std::move(config)),
      now_(std::move(now)),
      word_(static_cast<std::uint64_t>(breaker_state::closed)) {
  config_.window_size = std::max<std::size_t>(config_.window_size, 1);
  config_.minimum_calls = std::max<std::size_t>(config_.minimum_calls, 1);
  config_.half_open_probes = std::max<std::size_t>(config_.half_open_probes, 1);
  if (config_.window == window_kind::count_based) {
    // The minimum can never be reached past the window's size.
    config_.minimum_calls = std::min(config_.minimum_calls, config_.window_size);
    ring_ = std::make_unique<std::atomic<std::uint8_t>[]>(config_.window_size);
    for (std::size_t i = 0; i < config_.window_size; ++i) ring_[i].store(0);
  } else {
    buckets_.resize(config_.window_size);
  }
}

circuit_breaker::~circuit_breaker() = default;

bool circuit_breaker::needs_clock() const noexcept {
  return config_.slow_call_duration.count() > 0 || config_.window == window_kind::time_based;
}

breaker_state circuit_breaker::state() const noexcept {
  return state_of(word_.load(std::memory_order_acquire));
}

bool circuit_breaker::tripped(std::size_t calls, std::size_t failures,
                              std::size_t slow) const noexcept {
  if (calls == 0) return false;
  if (percent(failures, calls) >= config_.failure_rate_threshold) return true;
  return config_.slow_call_duration.count() > 0 &&
         percent(slow, calls) >= config_.slow_call_rate_threshold;
}

std::optional<circuit_breaker::permit> circuit_breaker::try_acquire() {
  std::uint64_t word = word_.load(std::memory_order_acquire);
  if (state_of(word) == breaker_state::closed) {
    return permit(word, needs_clock() ? now_() : time_point{});
  }
  if (state_of(word) == breaker_state::open) {
    const time_point now = now_();
    const time_point opened{time_point::duration(opened_at_.load(std::memory_order_acquire))};
    if (now - opened >= config_.open_duration) {
      transition(word, breaker_state::half_open);
      word = word_.load(std::memory_order_acquire);
    }
  }
  if (state_of(word) == breaker_state::half_open) {
    if (probes_left_.fetch_sub(1, std::memory_order_acq_rel) > 0) {
      return permit(word, needs_clock() ? now_() : time_point{});
    }
    probes_left_.fetch_add(1, std::memory_order_acq_rel);
  } else if (state_of(word) == breaker_state::closed) {
    return permit(word, needs_clock() ? now_() : time_point{});  // another thread closed it
  }
  rejected_.fetch_add(1, std::memory_order_relaxed);
  emit_with([&] {
    return event{{"bitactor", "breaker", "rejected"},
                 {},
                 {{"name", config_.name}, {"state", std::string(to_string(state_of(word)))}}};
  });
  return std::nullopt;
}

void circuit_breaker::on_success(const permit& p) { record(p, false); }

void circuit_breaker::on_failure(const permit& p, const error& e) {
  const bool counts = config_.records_failure ? config_.records_failure(e)
                                              : (e.category() != error_category::business &&
                                                 e.category() != error_category::validation);
  record(p, counts);
}

void circuit_breaker::on_ignored(const permit& p) {
  if (state_of(p.word_) == breaker_state::half_open &&
      word_.load(std::memory_order_acquire) == p.word_) {
    probes_left_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void circuit_breaker::record(const permit& p, bool failed) {
  const std::uint64_t word = word_.load(std::memory_order_acquire);
  if (word != p.word_) return;  // the call began before a state change: its news is stale
  std::uint8_t outcome = recorded_bit;
  if (failed) outcome |= failed_bit;
  time_point now{};
  if (needs_clock()) {
    now = now_();
    if (config_.slow_call_duration.count() > 0 && now - p.started_ >= config_.slow_call_duration) {
      outcome |= slow_bit;
    }
  }
  if (state_of(word) == breaker_state::closed) {
    record_closed(word, outcome, now);
  } else if (state_of(word) == breaker_state::half_open) {
    record_half_open(word, outcome);
  }
}

void circuit_breaker::record_closed(std::uint64_t word, std::uint8_t outcome, time_point now) {
  std::size_t calls = 0, failures = 0, slow = 0;
  if (config_.window == window_kind::count_based) {
    // The ring's slot exchange and the totals' adjustments keep the totals equal to what the
    // ring holds, whatever the interleaving; a success replacing a success changes no total.
    const std::uint64_t slot =
        next_slot_.fetch_add(1, std::memory_order_relaxed) % config_.window_size;
    // The usual case, a success where a success was, changes nothing: skip the write. (If
    // another thread rewrites the slot meanwhile, its outcome stands in for ours.)
    if (ring_[slot].load(std::memory_order_relaxed) == outcome) return;
    const std::uint8_t old = ring_[slot].exchange(outcome, std::memory_order_acq_rel);
    if (old == 0) ring_calls_.fetch_add(1, std::memory_order_acq_rel);
    const int failed_delta = ((outcome & failed_bit) != 0) - ((old & failed_bit) != 0);
    const int slow_delta = ((outcome & slow_bit) != 0) - ((old & slow_bit) != 0);
    if (failed_delta != 0) ring_failures_.fetch_add(failed_delta, std::memory_order_acq_rel);
    if (slow_delta != 0) ring_slow_.fetch_add(slow_delta, std::memory_order_acq_rel);
    // Only a bad outcome can raise a rate to its threshold.
    if ((outcome & (failed_bit | slow_bit)) == 0) return;
    calls = static_cast<std::size_t>(std::max<std::int64_t>(ring_calls_.load(), 0));
    failures = static_cast<std::size_t>(std::max<std::int64_t>(ring_failures_.load(), 0));
    slow = static_cast<std::size_t>(std::max<std::int64_t>(ring_slow_.load(), 0));
  } else {
    const std::int64_t second =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    std::lock_guard<std::mutex> g(bucket_lock_);
    time_bucket& b = buckets_[static_cast<std::size_t>(second) % buckets_.size()];
    if (b.second != second) b = time_bucket{second, 0, 0, 0};
    ++b.calls;
    if (outcome & failed_bit) ++b.failures;
    if (outcome & slow_bit) ++b.slow;
    if ((outcome & (failed_bit | slow_bit)) == 0) return;
    const std::int64_t oldest = second - static_cast<std::int64_t>(buckets_.size()) + 1;
    for (const time_bucket& x : buckets_) {
      if (x.second < oldest || x.second > second) continue;
      calls += x.calls;
      failures += x.failures;
      slow += x.slow;
    }
  }
  if (calls >= config_.minimum_calls && tripped(calls, failures, slow)) {
    transition(word, breaker_state::open);
  }
}

void circuit_breaker::record_half_open(std::uint64_t word, std::uint8_t outcome) {
  if (outcome & failed_bit) probe_failures_.fetch_add(1, std::memory_order_acq_rel);
  if (outcome & slow_bit) probe_slow_.fetch_add(1, std::memory_order_acq_rel);
  const auto finished = probe_calls_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (finished < static_cast<std::int64_t>(config_.half_open_probes)) return;
  // The last probe decides.
  const bool bad =
      tripped(static_cast<std::size_t>(finished),
              static_cast<std::size_t>(probe_failures_.load(std::memory_order_acquire)),
              static_cast<std::size_t>(probe_slow_.load(std::memory_order_acquire)));
  transition(word, bad ? breaker_state::open : breaker_state::closed);
}

void circuit_breaker::clear_window_locked() {
  if (ring_) {
    for (std::size_t i = 0; i < config_.window_size; ++i) ring_[i].store(0);
    next_slot_.store(0);
    ring_calls_.store(0);
    ring_failures_.store(0);
    ring_slow_.store(0);
  } else {
    std::lock_guard<std::mutex> g(bucket_lock_);
    std::fill(buckets_.begin(), buckets_.end(), time_bucket{});
  }
}

bool circuit_breaker::transition(std::uint64_t word, breaker_state to) {
  state_change change;
  {
    std::lock_guard<std::mutex> g(transition_lock_);
    if (word_.load(std::memory_order_acquire) != word) return false;  // someone else moved it
    change.from = state_of(word);
    change.to = to;
    const breaker_metrics m = metrics();
    change.failure_rate = m.failure_rate;
    change.slow_call_rate = m.slow_call_rate;
    // Set up the new state before publishing it, so a caller that sees it sees it whole.
    switch (to) {
      case breaker_state::open:
        opened_at_.store(ticks(now_()), std::memory_order_release);
        break;
      case breaker_state::half_open:
        probe_calls_.store(0);
        probe_failures_.store(0);
        probe_slow_.store(0);
        probes_left_.store(static_cast<std::int64_t>(config_.half_open_probes));
        break;
      case breaker_state::closed:
        clear_window_locked();
        break;
    }
    word_.store(next_word(word, to), std::memory_order_release);
  }
  if (config_.on_state_change) config_.on_state_change(change);
  emit_with([&] {
    return event{{"bitactor", "breaker", "state_change"},
                 {{"failure_rate", change.failure_rate}, {"slow_call_rate", change.slow_call_rate}},
                 {{"name", config_.name},
                  {"from", std::string(to_string(change.from))},
                  {"to", std::string(to_string(change.to))}}};
  });
  return true;
}

breaker_metrics circuit_breaker::metrics() const {
  breaker_metrics m;
  const std::uint64_t word = word_.load(std::memory_order_acquire);
  m.state = state_of(word);
  m.rejected = rejected_.load(std::memory_order_relaxed);
  if (m.state == breaker_state::half_open) {
    m.calls = static_cast<std::size_t>(probe_calls_.load());
    m.failures = static_cast<std::size_t>(probe_failures_.load());
    m.slow_calls = static_cast<std::size_t>(probe_slow_.load());
  } else if (ring_) {
    m.calls = static_cast<std::size_t>(std::max<std::int64_t>(ring_calls_.load(), 0));
    m.failures = static_cast<std::size_t>(std::max<std::int64_t>(ring_failures_.load(), 0));
    m.slow_calls = static_cast<std::size_t>(std::max<std::int64_t>(ring_slow_.load(), 0));
  } else {
    const std::int64_t second =
        std::chrono::duration_cast<std::chrono::seconds>(now_().time_since_epoch()).count();
    const std::int64_t oldest = second - static_cast<std::int64_t>(buckets_.size()) + 1;
    std::lock_guard<std::mutex> g(bucket_lock_);
    for (const time_bucket& x : buckets_) {
      if (x.second < oldest || x.second > second) continue;
      m.calls += x.calls;
      m.failures += x.failures;
      m.slow_calls += x.slow;
    }
  }
  m.failure_rate = percent(m.failures, m.calls);
  m.slow_call_rate = percent(m.slow_calls, m.calls);
  return m;
}

error circuit_breaker::open_error() const {
  const breaker_state s = state();
  error e(
      error_category::unavailable, "circuit_open",
      "circuit breaker '" + config_.name + "' refuses calls (" + std::string(to_string(s)) + ")");
  e.with("breaker", config_.name);
  e.with("state", std::string(to_string(s)));
  return e;
}

void circuit_breaker::reset() {
  const std::uint64_t word = word_.load(std::memory_order_acquire);
  if (state_of(word) == breaker_state::closed) {
    std::lock_guard<std::mutex> g(transition_lock_);
    clear_window_locked();
    return;
  }
  transition(word, breaker_state::closed);
}

void circuit_breaker::force_open() {
  for (;;) {
    const std::uint64_t word = word_.load(std::memory_order_acquire);
    if (transition(word, breaker_state::open)) return;
  }
}

}  // namespace bitactor::resilience
