#pragma once
// Structured reports of the OTP layer (OTP: logger's proc_lib crash reports, supervisor
// reports, progress reports and application reports, kernel "Logging" chapter).
//
// A report is data: a kind, a level and an ordered list of fields. Behaviours emit them with
// log_report(); one function (format_report) renders them as text and one (report_to_json)
// as a JSON object. Every report goes
//  - to the spdlog logger named "bitactor.otp" (console by default; add sinks with
//    report_logger()->sinks().push_back(...), e.g. a file sink or json_lines_sink), and
//  - to each registered report handler (report_capture registers one, for tests).
//
// Kinds and their fields:
//  crash        process, reason, exception (if one escaped), messages_handled, links,
//               registered_name, actor_type                               (level error)
//  supervisor   supervisor, child, child_pid, reason, action (restarting, shutdown,
//               reached_max_restart_intensity, start_error)                (level error)
//  progress     supervisor, child, child_pid (a child started)              (level info)
//  application  application, status (started / exited), reason, type      (level info)

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor {
class actor;
}

namespace bitactor::otp {

struct report {
  enum class kind { crash, supervisor, progress, application };
  kind type = kind::crash;
  spdlog::level::level_enum level = spdlog::level::err;
  std::vector<std::pair<std::string, std::string>> fields;

  /// The value of a field, or "" if it has none.
  std::string get(std::string_view key) const;
  report& add(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

const char* to_string(report::kind k) noexcept;
/// "CRASH REPORT\n    process: <0.5.0>\n    reason: ...": the one text rendering.
std::string format_report(const report& r);
/// {"kind":"crash","level":"error","process":"<0.5.0>",...}: the one JSON rendering.
std::string report_to_json(const report& r);

/// Sends a report to the logger and to the report handlers. Any thread.
void log_report(const report& r);

/// Whether a report of `level` would reach anyone (the logger at that level, or a handler).
/// Report sites ask first: building a report's fields costs more than a restart.
bool report_wanted(spdlog::level::level_enum level);

/// The spdlog logger reports go to ("bitactor.otp"); created with a console sink on first use.
std::shared_ptr<spdlog::logger> report_logger();
/// Replaces it (e.g. with one whose sinks are a file and json_lines_sink).
void set_report_logger(std::shared_ptr<spdlog::logger> logger);

/// A handler sees every report as data. Returns an id for remove_report_handler.
std::size_t add_report_handler(std::function<void(const report&)> handler);
void remove_report_handler(std::size_t id);

/// Captures reports while it lives (for tests): reports(), of_kind(k).
class report_capture {
 public:
  report_capture();
  ~report_capture();
  report_capture(const report_capture&) = delete;
  report_capture& operator=(const report_capture&) = delete;
  std::vector<report> reports() const;
  std::vector<report> of_kind(report::kind k) const;

 private:
  // Shared with the handler: log_report calls handlers outside the registry's lock, so a call
  // may still be running when the capture is destroyed; it then writes to state that lives on.
  struct state {
    std::mutex lock;
    std::vector<report> seen;
  };
  std::shared_ptr<state> state_ = std::make_shared<state>();
  std::size_t id_;
};

/// An spdlog sink writing one JSON object per line: reports with their fields (see
/// report_to_json), other log lines as {"level","logger","msg"}.
class json_lines_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit json_lines_sink(const std::string& path, bool truncate = false);
  ~json_lines_sink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::FILE* file_;
};

/// proc_lib's crash report for `who`, which is ending with `reason` (call from its handler).
void log_crash_report(actor& who, const exit_reason& reason);

}  // namespace bitactor::otp
