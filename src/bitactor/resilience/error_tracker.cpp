#include "bitactor/resilience/error_tracker.hpp"

#include <algorithm>
#include <utility>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

error_tracker::error_tracker(clock now, error_tracker_config config)
    : now_(std::move(now)), config_(config) {}

std::size_t error_tracker::count_locked(const std::deque<time_point>& times, time_point now,
                                        std::chrono::milliseconds window) const {
  // Times are recorded in clock order: the ones inside the window are a suffix.
  const time_point since = now - window;
  auto first = std::upper_bound(times.begin(), times.end(), since);
  return static_cast<std::size_t>(times.end() - first);
}

void error_tracker::forget_old_locked(std::deque<time_point>& times, time_point now) const {
  std::chrono::milliseconds keep = config_.retention;
  for (const auto& s : subscriptions_) keep = std::max(keep, s.window);
  const time_point since = now - keep;
  while (!times.empty() && (times.front() <= since || times.size() > config_.max_per_code)) {
    times.pop_front();
  }
}

void error_tracker::record(std::string_view code) {
  std::vector<std::pair<callback, threshold_crossed>> crossed;
  {
    std::lock_guard<std::mutex> g(lock_);
    const time_point now = now_();
    auto it = times_.find(code);
    if (it == times_.end()) it = times_.emplace(std::string(code), std::deque<time_point>{}).first;
    it->second.push_back(now);
    forget_old_locked(it->second, now);
    for (auto& s : subscriptions_) {
      if (s.code != code) continue;
      const std::size_t n = count_locked(it->second, now, s.window);
      if (n < s.threshold) {
        s.fired = false;
      } else if (!s.fired) {
        s.fired = true;
        crossed.emplace_back(s.notify, threshold_crossed{s.code, n, s.threshold, s.window});
      }
    }
  }
  for (auto& entry : crossed) {
    const auto& notify = entry.first;
    const threshold_crossed& what = entry.second;  // a plain name: lambdas capture it (clang 14)
    emit_with([&] {
      return event{{"bitactor", "error_tracker", "threshold_crossed"},
                   {{"count", static_cast<double>(what.count)},
                    {"threshold", static_cast<double>(what.threshold)},
                    {"window_ms", static_cast<double>(what.window.count())}},
                   {{"code", what.code}}};
    });
    if (notify) notify(what);
  }
}

std::size_t error_tracker::count(std::string_view code, std::chrono::milliseconds window) const {
  std::lock_guard<std::mutex> g(lock_);
  auto it = times_.find(code);
  if (it == times_.end()) return 0;
  return count_locked(it->second, now_(), window);
}

error_tracker::subscription_id error_tracker::subscribe(std::string code, std::size_t threshold,
                                                        std::chrono::milliseconds window,
                                                        callback notify) {
  std::lock_guard<std::mutex> g(lock_);
  const subscription_id id = next_id_++;
  subscriptions_.push_back(subscription{id, std::move(code), std::max<std::size_t>(threshold, 1),
                                        window, std::move(notify), false});
  return id;
}

bool error_tracker::unsubscribe(subscription_id id) {
  std::lock_guard<std::mutex> g(lock_);
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [id](const subscription& s) { return s.id == id; });
  if (it == subscriptions_.end()) return false;
  subscriptions_.erase(it);
  return true;
}

}  // namespace bitactor::resilience
