#include "bitactor/core/exit_reason.hpp"

#include <cxxabi.h>

#include <bitactor/term/errors.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>
#include <typeinfo>

#include "bitactor/core/type_id.hpp"

namespace bitactor {
namespace {

// The atoms of the well-known reasons, interned once.
struct reason_atoms {
  term::atom normal{"normal"};
  term::atom shutdown{"shutdown"};
  term::atom kill{"kill"};
  term::atom killed{"killed"};
  term::atom noproc{"noproc"};
  term::atom noconnection{"noconnection"};
  term::atom exception{"exception"};
};

const reason_atoms& atoms() {
  static const reason_atoms a;
  return a;
}

// Reasons written as Erlang text in C++ source: the term they spell, or the text itself.
term::term text_term(std::string_view erlang_text) {
  try {
    return term::parse(erlang_text);
  } catch (const term::term_error&) {
    return term::binary(erlang_text);
  }
}

}  // namespace

exit_reason exit_reason::shutdown(term::term detail) {
  return exit_reason(kind::shutdown, term::tuple(atoms().shutdown, std::move(detail)));
}

exit_reason exit_reason::shutdown(std::string_view erlang_text) {
  return shutdown(text_term(erlang_text));
}

exit_reason exit_reason::exception(std::string_view type, std::string_view what) {
  return exit_reason(kind::exception,
                     term::tuple(atoms().exception, term::binary(type), term::binary(what)));
}

exit_reason exit_reason::from_exception(const std::exception& e) {
  return exception(demangle(typeid(e).name()), e.what());
}

exit_reason exit_reason::from_unknown_exception() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return exception(type != nullptr ? demangle(type->name()) : std::string("unknown exception"), "");
}

exit_reason exit_reason::from_term(term::term reason) {
  const reason_atoms& a = atoms();
  if (reason.is_atom()) {
    term::atom name = reason.as_atom();
    if (name == a.normal) return normal();
    if (name == a.shutdown) return shutdown();
    if (name == a.kill) return kill();
    if (name == a.killed) return killed();
    if (name == a.noproc) return noproc();
    if (name == a.noconnection) return noconnection();
  } else if (reason.is_tuple()) {
    auto elems = reason.as_tuple();
    if (elems.size() == 2 && elems[0].is_atom() && elems[0].as_atom() == a.shutdown) {
      return exit_reason(kind::shutdown, std::move(reason));
    }
    if (elems.size() == 3 && elems[0].is_atom() && elems[0].as_atom() == a.exception &&
        elems[1].is_binary() && elems[2].is_binary()) {
      return exit_reason(kind::exception, std::move(reason));
    }
  }
  return exit_reason(kind::other, std::move(reason));
}

exit_reason exit_reason::error(std::string_view erlang_text) {
  return from_term(text_term(erlang_text));
}

const term::term& exit_reason::detail() const noexcept {
  if (kind_ == kind::shutdown && term_.is_tuple()) return term_.as_tuple()[1];
  return term_;
}

bool exit_reason::is(std::string_view name) const noexcept {
  switch (kind_) {
    case kind::other:
      return term_.is_atom(name);
    case kind::exception:
      return false;
    case kind::shutdown:
      return !term_.is_tuple() && name == "shutdown";
    default:
      return as_term().is_atom(name);
  }
}

term::term exit_reason::as_term() const {
  const reason_atoms& a = atoms();
  switch (kind_) {
    case kind::normal:
      return a.normal;
    case kind::shutdown:
      return term_.is_tuple() ? term_ : term::term(a.shutdown);
    case kind::kill:
      return a.kill;
    case kind::killed:
      return a.killed;
    case kind::noproc:
      return a.noproc;
    case kind::noconnection:
      return a.noconnection;
    case kind::exception:
    case kind::other:
      return term_;
  }
  return term_;
}

std::string exit_reason::to_string() const { return term::to_string(as_term()); }

std::ostream& operator<<(std::ostream& os, const exit_reason& r) { return os << r.to_string(); }

}  // namespace bitactor
