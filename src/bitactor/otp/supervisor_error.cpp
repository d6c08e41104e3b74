#include "bitactor/otp/supervisor_error.hpp"

#include <bitactor/term/parse.hpp>

#include "bitactor/otp/call.hpp"

namespace bitactor::otp {

supervisor_error supervisor_error::already_started(pid p) {
  supervisor_error e(code::already_started);
  e.process_ = p;
  return e;
}
supervisor_error supervisor_error::invalid_shutdown(std::int64_t ms) {
  supervisor_error e(code::invalid_shutdown);
  e.value_ = ms;
  return e;
}
supervisor_error supervisor_error::bad_combination(combination c) {
  supervisor_error e(code::bad_combination);
  e.combination_ = c;
  return e;
}
supervisor_error supervisor_error::duplicate_child_name(std::string id) {
  supervisor_error e(code::duplicate_child_name);
  e.id_ = std::move(id);
  return e;
}
supervisor_error supervisor_error::invalid_intensity(std::int64_t n) {
  supervisor_error e(code::invalid_intensity);
  e.value_ = n;
  return e;
}
supervisor_error supervisor_error::invalid_period(std::int64_t ms) {
  supervisor_error e(code::invalid_period);
  e.value_ = ms;
  return e;
}
supervisor_error supervisor_error::start_error(exit_reason reason) {
  supervisor_error e(code::start_error);
  e.reason_ = std::move(reason);
  return e;
}
supervisor_error supervisor_error::failed_to_start_child(std::string id, exit_reason reason) {
  supervisor_error e(code::failed_to_start_child);
  e.id_ = std::move(id);
  e.reason_ = std::move(reason);
  return e;
}
supervisor_error supervisor_error::call_failed(exit_reason reason) {
  supervisor_error e(code::call_failed);
  e.reason_ = std::move(reason);
  return e;
}

bool supervisor_error::timed_out() const noexcept {
  return code_ == code::call_failed && reason_ == detail::timeout_reason();
}

std::string supervisor_error::to_string() const {
  switch (code_) {
    case code::not_found:
      return "not_found";
    case code::running:
      return "running";
    case code::restarting:
      return "restarting";
    case code::already_present:
      return "already_present";
    case code::already_started:
      return "{already_started," + process_.to_string() + "}";
    case code::simple_one_for_one:
      return "simple_one_for_one";
    case code::missing_start:
      return "missing_start";
    case code::invalid_shutdown:
      return "{invalid_shutdown," + std::to_string(value_) + "}";
    case code::bad_combination:
      // supervisor.erl validSignificant/3 names the two settings that clash.
      return combination_ == combination::significant_permanent
                 ? "{bad_combination,[{restart,permanent},{significant,true}]}"
                 : "{bad_combination,[{auto_shutdown,never},{significant,true}]}";
    case code::duplicate_child_name:
      return "{duplicate_child_name," + id_ + "}";
    case code::invalid_intensity:
      return "{invalid_intensity," + std::to_string(value_) + "}";
    case code::invalid_period:
      return "{invalid_period," + std::to_string(value_) + "}";
    case code::failed_to_start_child:
      return "{failed_to_start_child," + id_ + "," + reason_.to_string() + "}";
    case code::start_error:
    case code::call_failed:
      break;
  }
  return reason_.to_string();
}

term::term supervisor_error::as_term() const {
  using term::atom;
  using term::tuple;
  // Child ids are the program's own names: atoms, as OTP ids usually are, or binaries when
  // they cannot be one.
  auto id = [&]() -> term::term {
    if (term::valid_atom_name(id_)) return atom(id_);
    return term::binary(id_);
  };
  switch (code_) {
    case code::already_started:
      return tuple(atom("already_started"), to_term_pid(process_));
    case code::invalid_shutdown:
      return tuple(atom("invalid_shutdown"), value_);
    case code::bad_combination:
      return combination_ == combination::significant_permanent
                 ? term::parse("{bad_combination,[{restart,permanent},{significant,true}]}")
                 : term::parse("{bad_combination,[{auto_shutdown,never},{significant,true}]}");
    case code::duplicate_child_name:
      return tuple(atom("duplicate_child_name"), id());
    case code::invalid_intensity:
      return tuple(atom("invalid_intensity"), value_);
    case code::invalid_period:
      return tuple(atom("invalid_period"), value_);
    case code::failed_to_start_child:
      return tuple(atom("failed_to_start_child"), id(), reason_.as_term());
    case code::start_error:
    case code::call_failed:
      return reason_.as_term();
    default:
      return atom(to_string());  // the codes that are one atom
  }
}

exit_reason supervisor_error::as_exit_reason() const {
  if (code_ == code::start_error || code_ == code::call_failed) return reason_;
  return exit_reason::error(as_term());
}

std::ostream& operator<<(std::ostream& os, const supervisor_error& e) {
  return os << e.to_string();
}

}  // namespace bitactor::otp
