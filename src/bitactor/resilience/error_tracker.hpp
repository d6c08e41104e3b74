#pragma once
// Counts errors per code over sliding time windows and tells subscribers when a code becomes
// frequent: "more than 10 database_timeout errors within a minute".
//
//   resilience::error_tracker errors;
//   errors.subscribe("database_timeout", 10, std::chrono::minutes(1),
//                    [](const resilience::threshold_crossed& t) { page_someone(t); });
//   errors.record(e);                      // from wherever errors are handled
//
// A subscription fires once when the count of its code within its window reaches the
// threshold, and is armed again only after the count has fallen below the threshold (one
// alert per burst, not one per error). Callbacks run on the recording thread, after the
// tracker's lock is released, and must not throw. Each crossing is also emitted as the event
// {bitactor, error_tracker, threshold_crossed} (events.hpp).
//
// Time comes from the injected clock. The tracker keeps each error's time for `retention`
// (default: one hour, and at least the longest subscribed window) and at most
// `max_per_code` times per code, forgetting the oldest first. Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bitactor/resilience/clock.hpp"
#include "bitactor/resilience/error.hpp"

namespace bitactor::resilience {

/// What a subscriber is told.
struct threshold_crossed {
  std::string code{};
  std::size_t count = 0;  // errors of the code within the window, at the crossing
  std::size_t threshold = 0;
  std::chrono::milliseconds window{0};
};

struct error_tracker_config {
  std::chrono::milliseconds retention = std::chrono::hours(1);
  std::size_t max_per_code = 100000;
};

class error_tracker {
 public:
  using subscription_id = std::uint64_t;
  using callback = std::function<void(const threshold_crossed&)>;

  explicit error_tracker(clock now = steady_clock(), error_tracker_config config = {});

  /// Counts one error of e's code at the clock's current time.
  void record(const error& e) { record(e.code()); }
  void record(std::string_view code);

  /// Errors of `code` recorded within the last `window` (up to retention).
  std::size_t count(std::string_view code, std::chrono::milliseconds window) const;

  /// Calls `notify` when `threshold` (>= 1) errors of `code` fall within `window`.
  subscription_id subscribe(std::string code, std::size_t threshold,
                            std::chrono::milliseconds window, callback notify);
  /// False if the id is unknown.
  bool unsubscribe(subscription_id id);

 private:
  struct subscription {
    subscription_id id = 0;
    std::string code;
    std::size_t threshold = 1;
    std::chrono::milliseconds window{0};
    callback notify;
    bool fired = false;  // crossed and not yet back below the threshold
  };

  std::size_t count_locked(const std::deque<time_point>& times, time_point now,
                           std::chrono::milliseconds window) const;
  void forget_old_locked(std::deque<time_point>& times, time_point now) const;

  clock now_;
  error_tracker_config config_;
  mutable std::mutex lock_;
  std::map<std::string, std::deque<time_point>, std::less<>> times_;  // per code, oldest first
  std::vector<subscription> subscriptions_;
  subscription_id next_id_ = 1;
};

}  // namespace bitactor::resilience
