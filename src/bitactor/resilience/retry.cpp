#include "bitactor/resilience/retry.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

namespace bitactor::resilience {

namespace {
std::uint64_t seed_of(std::uint64_t seed) {
  if (seed != 0) return seed;
  // Unseeded runs must differ from each other, or many callers would retry in step.
  static std::atomic<std::uint64_t> runs{0};
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ runs.fetch_add(1);
}
}  // namespace

backoff::backoff(const retry_policy& policy)
    : initial_(policy.initial_backoff),
      multiplier_(std::max(policy.multiplier, 1.0)),
      max_(policy.max_backoff),
      seed_(policy.seed) {}

std::chrono::milliseconds backoff::ceiling(std::size_t retry) const noexcept {
  if (retry == 0) return std::chrono::milliseconds(0);
  // In double, capped before converting back: multiplier^retry overflows any integer fast.
  const double grown =
      static_cast<double>(initial_.count()) * std::pow(multiplier_, static_cast<double>(retry - 1));
  const double capped = std::min(grown, static_cast<double>(max_.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped));
}

std::chrono::milliseconds backoff::next(std::size_t retry) {
  if (!random_) random_.emplace(seed_of(seed_));
  std::uniform_int_distribution<std::int64_t> draw(0, ceiling(retry).count());
  return std::chrono::milliseconds(draw(*random_));
}

const retry_timing& detail::real_timing() {
  static const retry_timing timing;
  return timing;
}

std::optional<std::chrono::milliseconds> detail::plan_retry(const retry_policy& policy,
                                                            backoff& waits, std::size_t attempt,
                                                            std::chrono::milliseconds elapsed,
                                                            const error& failed) {
  if (!failed.is_retryable()) return std::nullopt;
  std::optional<std::chrono::milliseconds> wait;
  if (attempt < policy.max_attempts) {
    const auto next = waits.next(attempt);
    if (elapsed + next < policy.deadline) wait = next;
  }
  if (wait) {
    emit_with([&] {
      return event{{"bitactor", "retry", "attempt_failed"},
                   {{"attempt", static_cast<double>(attempt)},
                    {"backoff_ms", static_cast<double>(wait->count())}},
                   {{"name", policy.name},
                    {"code", failed.code()},
                    {"category", std::string(to_string(failed.category()))}}};
    });
  } else {
    emit_with([&] {
      return event{{"bitactor", "retry", "exhausted"},
                   {{"attempts", static_cast<double>(attempt)}},
                   {{"name", policy.name}, {"code", failed.code()}}};
    });
  }
  return wait;
}

}  // namespace bitactor::resilience
