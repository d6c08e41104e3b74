#pragma once
// supervisor_error: the {error, Reason} answers of supervisor(3)'s client functions as a
// value, one code per reason OTP names, and supervisor_result<T>, what those functions
// return. Compare codes, never text; to_string() prints the reason as Erlang does
// (`not_found`, `{already_started,<0.85.0>}`, `{invalid_shutdown,-5}`, ...).

#include <cstdint>
#include <ostream>
#include <string>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/otp/expected.hpp"

namespace bitactor::otp {

class supervisor_error {
 public:
  enum class code : std::uint8_t {
    not_found,              // no child with that id (or pid)
    running,                // restart_child / delete_child of a running child
    restarting,             // restart_child / delete_child of a child in a failing restart loop
    already_present,        // start_child: the id is taken by a child that is not running
    already_started,        // start_child: {already_started, Pid}
    simple_one_for_one,     // an id-based function on a simple_one_for_one supervisor
    missing_start,          // a child spec without a start function
    invalid_shutdown,       // {invalid_shutdown, Ms}: a negative shutdown timeout
    bad_combination,        // {bad_combination, [...]}: significant with permanent or never
    duplicate_child_name,   // {duplicate_child_name, Id} in one list of specs
    invalid_intensity,      // {invalid_intensity, N}: intensity < 0
    invalid_period,         // {invalid_period, Ms}: period <= 0
    start_error,            // the child's start returned {error, Reason}: reason()
    failed_to_start_child,  // {failed_to_start_child, Id, Reason}: a supervisor's own start
    call_failed,            // the supervisor did not answer (noproc, timeout, its exit): reason()
  };
  /// Which combination bad_combination rejects (supervisor.erl's validSignificant).
  enum class combination : std::uint8_t {
    significant_permanent,
    significant_without_auto_shutdown
  };

  static supervisor_error not_found() { return supervisor_error(code::not_found); }
  static supervisor_error running() { return supervisor_error(code::running); }
  static supervisor_error restarting() { return supervisor_error(code::restarting); }
  static supervisor_error already_present() { return supervisor_error(code::already_present); }
  static supervisor_error already_started(pid p);
  static supervisor_error simple_one_for_one() {
    return supervisor_error(code::simple_one_for_one);
  }
  static supervisor_error missing_start() { return supervisor_error(code::missing_start); }
  static supervisor_error invalid_shutdown(std::int64_t ms);
  static supervisor_error bad_combination(combination c);
  static supervisor_error duplicate_child_name(std::string id);
  static supervisor_error invalid_intensity(std::int64_t n);
  static supervisor_error invalid_period(std::int64_t ms);
  static supervisor_error start_error(exit_reason reason);
  static supervisor_error failed_to_start_child(std::string id, exit_reason reason);
  static supervisor_error call_failed(exit_reason reason);

  code which() const noexcept { return code_; }
  /// already_started: the running child.
  const pid& process() const noexcept { return process_; }
  /// duplicate_child_name, failed_to_start_child: the child's id.
  const std::string& id() const noexcept { return id_; }
  /// start_error, failed_to_start_child, call_failed: why.
  const exit_reason& reason() const noexcept { return reason_; }
  /// invalid_shutdown, invalid_intensity, invalid_period: the rejected number.
  std::int64_t value() const noexcept { return value_; }
  /// bad_combination: which one.
  combination rejected() const noexcept { return combination_; }
  /// call_failed because the call timed out.
  bool timed_out() const noexcept;

  /// The reason as Erlang prints it (the term inside {error, Reason}).
  std::string to_string() const;
  /// The reason as an Erlang term: `{already_started, Pid}`, `{invalid_shutdown, -5}`, ...
  term::term as_term() const;
  /// The reason as an exit reason, to exit or fail a start with: reason() for start_error
  /// and call_failed, else a reason carrying to_string().
  exit_reason as_exit_reason() const;

  friend bool operator==(const supervisor_error&, const supervisor_error&) = default;

 private:
  explicit supervisor_error(code c) : code_(c) {}
  code code_;
  combination combination_ = combination::significant_permanent;
  std::int64_t value_ = 0;
  pid process_;
  std::string id_;
  exit_reason reason_;
};

std::ostream& operator<<(std::ostream& os, const supervisor_error& e);

/// What a supervisor client function returns: the value, or the supervisor's error.
template <class T>
using supervisor_result = expected<T, supervisor_error>;

}  // namespace bitactor::otp
