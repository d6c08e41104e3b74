#pragma once
// Why a process ended. The well-known atoms of Erlang have their own kinds so the runtime can
// apply their rules (normal does not kill linked processes, kill is untrappable, ...); anything
// else carries readable text, e.g. an escaped exception's type and message.

#include <cstdint>
#include <exception>
#include <ostream>
#include <string>

namespace bitactor {

class exit_reason {
 public:
  enum class kind : std::uint8_t {
    normal,        // finished; does not kill linked processes that don't trap exits
    shutdown,      // orderly stop ordered by a supervisor or the node; `{shutdown, Detail}` too
    kill,          // sent with exit(pid, kill): untrappable, the target dies with `killed`
    killed,        // what the target of an untrappable kill exits with
    noproc,        // the process did not exist (link/monitor of a dead pid)
    noconnection,  // the process's node is unreachable (distribution)
    exception,     // a C++ exception escaped a handler: detail names its type and message
    other,         // any other reason, given as text
  };

  exit_reason() = default;  // normal
  static exit_reason normal() { return exit_reason(kind::normal); }
  static exit_reason shutdown(std::string detail = {}) {
    return exit_reason(kind::shutdown, std::move(detail));
  }
  static exit_reason kill() { return exit_reason(kind::kill); }
  static exit_reason killed() { return exit_reason(kind::killed); }
  static exit_reason noproc() { return exit_reason(kind::noproc); }
  static exit_reason noconnection() { return exit_reason(kind::noconnection); }
  static exit_reason exception(std::string type_and_message) {
    return exit_reason(kind::exception, std::move(type_and_message));
  }
  /// An exception that ended a process: "<demangled type>: <what()>". Catch it by
  /// `const std::exception&` and pass it here (no rethrow needed to learn its type).
  static exit_reason from_exception(const std::exception& e);
  /// Same for an exception not derived from std::exception; call inside `catch (...)`.
  static exit_reason from_unknown_exception();
  /// Any other reason; the text is what Erlang would print for the reason term.
  static exit_reason error(std::string text) { return exit_reason(kind::other, std::move(text)); }

  kind code() const noexcept { return kind_; }
  const std::string& detail() const noexcept { return detail_; }
  bool is_normal() const noexcept { return kind_ == kind::normal; }
  /// normal and shutdown (also {shutdown, _}) are not errors: supervisors and loggers treat
  /// them as an expected end (OTP: supervisor child restart types, proc_lib crash reports).
  bool is_clean() const noexcept { return kind_ == kind::normal || kind_ == kind::shutdown; }

  /// Erlang-style text: `normal`, `killed`, `{shutdown,Detail}`, `{exception,Text}`, ...
  std::string to_string() const;

  friend bool operator==(const exit_reason&, const exit_reason&) = default;

 private:
  explicit exit_reason(kind k, std::string detail = {}) : kind_(k), detail_(std::move(detail)) {}
  kind kind_ = kind::normal;
  std::string detail_;
};

std::ostream& operator<<(std::ostream& os, const exit_reason& r);

}  // namespace bitactor
