// The sink registry: which sinks receive which reports (OTP: logger's handlers, each with
// its own level), and the default sink on stderr.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <stdexcept>
#include <utility>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {
namespace {

class function_sink final : public report_sink {
 public:
  explicit function_sink(std::function<void(const report&)> f) : f_(std::move(f)) {}
  void write(const report& r) override { f_(r); }

 private:
  std::function<void(const report&)> f_;
};

struct sink_entry {
  std::shared_ptr<report_sink> sink;
  report_level min_level;
};

struct sink_registry {
  std::mutex lock;
  std::map<std::size_t, sink_entry> by_id;  // in the order they were added
  std::size_t next = 1;
  report_level default_level = report_level::info;
  // The least severe level any sink (the default one included) takes: report_wanted reads it
  // without the lock, so a report site that nobody listens to costs one load. Written under
  // the lock whenever the sinks or their levels change.
  std::atomic<report_level> lowest_wanted{report_level::info};

  void update_lowest_wanted() {
    report_level lowest = default_level;
    for (const auto& [id, e] : by_id) lowest = std::min(lowest, e.min_level);
    lowest_wanted.store(lowest, std::memory_order_release);
  }
};

sink_registry& registry() {
  static sink_registry r;
  return r;
}

bool reaches(report_level level, report_level min_level) {
  return min_level != report_level::none && level >= min_level;
}

// "[2026-12-02 14:09:27.123] [bitactor.otp] [error] ": the line spdlog's console logger
// began each report with before reports had sinks of their own, in local time as it had.
std::string stderr_prefix(report_level level) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm local{};
  localtime_r(&seconds, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  char out[96];
  std::snprintf(out, sizeof out, "[%s.%03d] [bitactor.otp] [%s] ", stamp,
                static_cast<int>(millis.count()), to_string(level));
  return out;
}

void write_to_stderr(const report& r) {
  std::string text = stderr_prefix(r.level);
  text += format_report(r);
  text += '\n';
  // One call per report: stdio locks the stream for it, so reports logged on several threads
  // at once do not interleave.
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace

std::size_t add_report_sink(std::shared_ptr<report_sink> sink, report_level min_level) {
  // Refused here rather than failing later on whichever thread logs the next report.
  if (!sink) throw std::invalid_argument("add_report_sink: no sink");
  auto& reg = registry();
  std::lock_guard guard(reg.lock);
  std::size_t id = reg.next++;
  reg.by_id.emplace(id, sink_entry{std::move(sink), min_level});
  reg.update_lowest_wanted();
  return id;
}

std::size_t add_report_sink(std::function<void(const report&)> write, report_level min_level) {
  if (!write) throw std::invalid_argument("add_report_sink: no function");
  return add_report_sink(std::make_shared<function_sink>(std::move(write)), min_level);
}

void remove_report_sink(std::size_t id) {
  std::shared_ptr<report_sink> last;  // destroyed outside the lock: a sink may log as it ends
  auto& reg = registry();
  std::lock_guard guard(reg.lock);
  auto it = reg.by_id.find(id);
  if (it == reg.by_id.end()) return;
  last = std::move(it->second.sink);
  reg.by_id.erase(it);
  reg.update_lowest_wanted();
}

void set_default_sink_level(report_level min_level) {
  auto& reg = registry();
  std::lock_guard guard(reg.lock);
  reg.default_level = min_level;
  reg.update_lowest_wanted();
}

report_level default_sink_level() {
  auto& reg = registry();
  std::lock_guard guard(reg.lock);
  return reg.default_level;
}

bool report_wanted(report_level level) noexcept {
  return reaches(level, registry().lowest_wanted.load(std::memory_order_acquire));
}

void log_report(const report& r) {
  // The sinks are written to outside the lock (a sink may be slow, or log a report itself);
  // the copies keep a sink removed meanwhile alive until its write returns.
  std::vector<std::shared_ptr<report_sink>> targets;
  bool to_stderr = false;
  {
    auto& reg = registry();
    std::lock_guard guard(reg.lock);
    to_stderr = reaches(r.level, reg.default_level);
    for (const auto& [id, e] : reg.by_id) {
      if (reaches(r.level, e.min_level)) targets.push_back(e.sink);
    }
  }
  if (to_stderr) write_to_stderr(r);
  for (const auto& sink : targets) sink->write(r);
}

report_capture::report_capture()
    : id_(add_report_sink([s = state_](const report& r) {
        std::lock_guard guard(s->lock);
        s->seen.push_back(r);
      })) {}

report_capture::~report_capture() { remove_report_sink(id_); }

std::vector<report> report_capture::reports() const {
  std::lock_guard guard(state_->lock);
  return state_->seen;
}

std::vector<report> report_capture::of_kind(report::kind k) const {
  std::vector<report> out;
  std::lock_guard guard(state_->lock);
  for (const auto& r : state_->seen) {
    if (r.type == k) out.push_back(r);
  }
  return out;
}

}  // namespace bitactor::otp
