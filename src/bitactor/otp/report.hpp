#pragma once
// Structured reports of the OTP layer (OTP: logger's proc_lib crash reports, supervisor
// reports, progress reports and application reports, kernel "Logging" chapter).
//
// A report is data: a kind, a level and an ordered list of fields whose values are Erlang
// terms, so a program reads them with term::match, never by comparing text. Behaviours emit
// reports with log_report(); one function (format_report) renders them as text for people and
// one (report_to_json) as a JSON object. Every report goes to the sinks (report_sink) whose
// minimum level it reaches:
//  - the default sink, which writes format_report() text to stderr from level info up
//    (set_default_sink_level; report_level::none turns it off), as OTP's `default` handler;
//  - each sink added with add_report_sink: json_lines_sink (json_lines_sink.hpp), spdlog
//    (spdlog_sink.hpp, target bitactor::otp_spdlog), a function, report_capture (tests).
//
// Kinds and their fields (name: value type):
//  crash        process: pid, reason: the exit reason's term, exception: binary "Type: what"
//               (if one escaped), messages_handled: integer, links: list of pids,
//               registered_name: name, actor_type: binary                  (level error)
//  supervisor   supervisor: pid, child: name, child_pid: pid or 'undefined', reason: the
//               exit reason's term, action: atom (start_error, restarting, child_terminated,
//               reached_max_restart_intensity)                             (level error)
//  progress     supervisor: pid, child: name, child_pid: pid               (level info)
//  application  application: name, status: atom (started / exited), reason: the exit
//               reason's term, type: atom (permanent / transient / temporary) (level info);
//               status stop_all_failed, reason: binary (the controller's destructor could
//               not stop the applications)                                 (level error)
//  long_handler process: pid, registered_name: name (if any), handling: binary (the message
//               type), running_for_us: integer, status: atom (finished / still_running); see
//               report_long_handlers                                       (level warning)
// Names (child ids, applications, registered names) are atoms, or binaries when they cannot
// be (name_term).

#include <bitactor/term/term.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor {
class actor;
class node;
}  // namespace bitactor

namespace bitactor::otp {

/// OTP logger's levels (logger(3), "Log Level"), least severe first. `none` is no report's
/// level: as a sink's minimum level it lets nothing through (OTP's level `none`).
enum class report_level : std::uint8_t {
  debug,
  info,
  notice,
  warning,
  error,
  critical,
  alert,
  emergency,
  none,
};

/// "debug", "info", ..., "emergency", "none".
const char* to_string(report_level l) noexcept;

/// One field of a report: a name and its value as an Erlang term.
struct report_field {
  std::string name;
  term::term value;
};

struct report {
  enum class kind { crash, supervisor, progress, application, long_handler };
  kind type = kind::crash;
  report_level level = report_level::error;
  std::vector<report_field> fields;  // in the order they were added

  /// The value of the field `name`, or nullptr if the report has none.
  const term::term* find(std::string_view name) const;
  /// The value of the field `name` as erl prints it (term::to_string), or "" if absent: for
  /// people, not for comparing.
  std::string text(std::string_view name) const;
  report& add(std::string name, term::term value) {
    fields.push_back({std::move(name), std::move(value)});
    return *this;
  }
};

const char* to_string(report::kind k) noexcept;

/// A name (a registered name, a child id, an application) as a field value: the atom, or a
/// binary when the text cannot be an atom (over 255 characters, not UTF-8).
term::term name_term(std::string_view name);

/// "CRASH REPORT\n    process: <nonode@nohost.5.0>\n    reason: ...": the one text
/// rendering, each field's value as erl prints it.
std::string format_report(const report& r);

/// {"kind":"crash","level":"error","process":"<nonode@nohost.5.0>",...}: the one JSON
/// rendering, fields in order. An integer field that fits in 64 bits is a JSON number; any
/// other value is a JSON string holding the term as erl prints it (format_report's text), so
/// an atom `restarting` is "restarting" and a binary <<"kv">> is "<<\"kv\">>".
std::string report_to_json(const report& r);

/// Where reports go. write() runs on the thread that logs the report (usually a scheduler
/// worker running a supervisor or a crashed server), possibly on several threads at once:
/// keep it short, never block, and make no thread-side wait there (otp::call throws
/// would_block); node::send is fine.
class report_sink {
 public:
  virtual ~report_sink() = default;
  virtual void write(const report& r) = 0;
};

/// Adds a sink that receives every report of `min_level` or more severe. Returns an id for
/// remove_report_sink. Throws std::invalid_argument for a null sink. Any thread.
std::size_t add_report_sink(std::shared_ptr<report_sink> sink,
                            report_level min_level = report_level::debug);
/// Same, for a function (std::invalid_argument if it is empty).
std::size_t add_report_sink(std::function<void(const report&)> write,
                            report_level min_level = report_level::debug);
/// No report logged after this returns reaches the sink. A report already being written to
/// it on another thread finishes: the sink is kept alive (shared) until then.
void remove_report_sink(std::size_t id);

/// The default sink's minimum level. The sink writes each report to stderr in one write, as
/// "[2026-12-02 14:09:27.123] [bitactor.otp] [error] " (local time, the level) followed by
/// format_report() and a newline. info at start (every report); report_level::none turns it
/// off. Any thread.
void set_default_sink_level(report_level min_level);
report_level default_sink_level();

/// Sends a report to each sink whose minimum level it reaches. Any thread.
void log_report(const report& r);

/// Whether a report of `level` would reach any sink. Report sites ask first: building a
/// report's fields costs more than a restart. One atomic load, no lock.
bool report_wanted(report_level level) noexcept;

/// Captures every report while it lives (for tests): reports(), of_kind(k).
class report_capture {
 public:
  report_capture();
  ~report_capture();
  report_capture(const report_capture&) = delete;
  report_capture& operator=(const report_capture&) = delete;
  std::vector<report> reports() const;
  std::vector<report> of_kind(report::kind k) const;

 private:
  // Shared with the sink: a report may still be being written when the capture is destroyed;
  // it then writes to state that lives on.
  struct state {
    std::mutex lock;
    std::vector<report> seen;
  };
  std::shared_ptr<state> state_ = std::make_shared<state>();
  std::size_t id_;
};

/// Turns the node's long-run monitor on (node::monitor_long_handlers) with a reporter process
/// of its own that logs a long_handler report for each handler call past `threshold`. Returns
/// the reporter's pid; exiting it turns the reports off (its successor, if any, takes over).
pid report_long_handlers(node& n, std::chrono::milliseconds threshold);

/// proc_lib's crash report for `who`, which is ending with `reason` (call from its handler).
void log_crash_report(actor& who, const exit_reason& reason);

}  // namespace bitactor::otp
