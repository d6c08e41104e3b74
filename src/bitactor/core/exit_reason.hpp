#pragma once
// Why a process ended, as an Erlang term. The well-known reasons of Erlang have their own
// kinds (a one-byte tag) so the runtime applies their rules without looking at the term
// (normal does not kill linked processes, kill is untrappable, ...); every reason, whatever
// its kind, is also an Erlang term (`as_term()`), so it can be matched with term::match,
// printed as erl prints it, and carried to another node or into a journal unchanged.
//
//   normal                    kind::normal
//   shutdown | {shutdown, X}  kind::shutdown
//   kill / killed / noproc / noconnection
//   {exception, Type, What}   kind::exception: a C++ exception escaped a handler; Type and
//                             What are binaries (the demangled type name and what())
//   anything else             kind::other (e.g. {already_started, Pid}, timeout, {badarg, ...})

#include <bitactor/term/term.hpp>
#include <cstdint>
#include <exception>
#include <ostream>
#include <string>
#include <string_view>

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
    exception,     // a C++ exception escaped a handler: {exception, Type, What}
    other,         // any other reason term
  };

  exit_reason() = default;  // normal
  static exit_reason normal() { return exit_reason(kind::normal); }
  /// `shutdown`.
  static exit_reason shutdown() { return exit_reason(kind::shutdown); }
  /// `{shutdown, Detail}`: an orderly stop that says why (OTP: supervisor child restart types).
  static exit_reason shutdown(term::term detail);
  /// `{shutdown, Detail}` with Detail given as Erlang text (`shutdown("maintenance")`), read
  /// as error(std::string_view) reads its text.
  static exit_reason shutdown(std::string_view erlang_text);
  static exit_reason shutdown(const char* erlang_text) {
    return shutdown(std::string_view(erlang_text));
  }
  static exit_reason kill() { return exit_reason(kind::kill); }
  static exit_reason killed() { return exit_reason(kind::killed); }
  static exit_reason noproc() { return exit_reason(kind::noproc); }
  static exit_reason noconnection() { return exit_reason(kind::noconnection); }
  /// `{exception, <<Type>>, <<What>>}`.
  static exit_reason exception(std::string_view type, std::string_view what);
  /// An exception that ended a process. Catch it by `const std::exception&` and pass it here
  /// (no rethrow needed to learn its type).
  static exit_reason from_exception(const std::exception& e);
  /// Same for an exception not derived from std::exception; call inside `catch (...)`.
  static exit_reason from_unknown_exception();
  /// Any reason term; the well-known ones get their kind (`from_term(atom("normal"))` is
  /// normal(), `{shutdown, X}` is shutdown(X), ...), so a reason that crossed a boundary as a
  /// term means the same again.
  static exit_reason from_term(term::term reason);
  /// Same as from_term: the reason a process exits with, e.g. `error(tuple(atom("badarg"), X))`.
  static exit_reason error(term::term reason) { return from_term(std::move(reason)); }
  /// A reason given as Erlang text, e.g. `error("{bad_config,port}")`: parsed as a term; text
  /// that is not Erlang syntax becomes that text as a binary.
  static exit_reason error(std::string_view erlang_text);
  static exit_reason error(const char* erlang_text) { return error(std::string_view(erlang_text)); }

  kind code() const noexcept { return kind_; }
  /// X of `{shutdown, X}`; the whole term for kind::other and kind::exception; [] otherwise.
  const term::term& detail() const noexcept;
  bool is_normal() const noexcept { return kind_ == kind::normal; }
  /// normal and shutdown (also {shutdown, _}) are not errors: supervisors and loggers treat
  /// them as an expected end (OTP: supervisor child restart types, proc_lib crash reports).
  bool is_clean() const noexcept { return kind_ == kind::normal || kind_ == kind::shutdown; }
  /// True when the reason is the atom `name` (e.g. `is("timeout")`).
  bool is(std::string_view name) const noexcept;

  /// The reason as an Erlang term.
  term::term as_term() const;
  /// As erl prints the term: `normal`, `killed`, `{shutdown,overload}`, ...
  std::string to_string() const;

  /// Exact equality of the reason terms.
  friend bool operator==(const exit_reason& a, const exit_reason& b) {
    return a.kind_ == b.kind_ && a.term_ == b.term_;
  }

 private:
  explicit exit_reason(kind k, term::term whole = {}) : kind_(k), term_(std::move(whole)) {}
  kind kind_ = kind::normal;
  // The whole reason term for shutdown with a detail, exception and other; [] for the kinds
  // that are one atom, which as_term() makes without allocating.
  term::term term_;
};

std::ostream& operator<<(std::ostream& os, const exit_reason& r);

}  // namespace bitactor
