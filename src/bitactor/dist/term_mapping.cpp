#include "bitactor/dist/term_mapping.hpp"

#include "bitactor/term/errors.hpp"
#include "bitactor/term/parse.hpp"
#include "bitactor/term/print.hpp"

namespace bitactor::dist {
namespace {

// Reason text that is one Erlang term (`boom`, `{bad,1}`) goes out as that term; other text as
// a binary, so arbitrary text never mints atoms on the peer.
term::term text_term(const std::string& text) {
  try {
    term::term t = term::parse(text);
    if (!t.is_atom() || term::valid_atom_name(text)) return t;
  } catch (const term::term_error&) {
  }
  return term::binary(text);
}

}  // namespace

term::pid to_term(const pid& p) {
  return term::pid{term::atom(p.node_name()), p.id, p.serial, p.creation};
}

pid from_term(const term::pid& p) {
  return pid{node_names::intern(p.node.name()), p.id, p.serial, p.creation};
}

term::reference to_term(const ref& r) {
  term::reference out;
  out.node = term::atom(node_names::name(r.node));
  out.creation = r.creation;
  out.size = 3;
  out.words[0] = r.words[0];
  out.words[1] = r.words[1];
  out.words[2] = r.words[2];
  return out;
}

ref from_term(const term::reference& r) {
  ref out;
  out.node = node_names::intern(r.node.name());
  out.creation = r.creation;
  for (std::size_t i = 0; i < 3 && i < r.size; ++i) out.words[i] = r.words[i];
  return out;
}

term::term to_term(const exit_reason& r) {
  using k = exit_reason::kind;
  switch (r.code()) {
    case k::normal:
      return term::atom("normal");
    case k::shutdown:
      if (r.detail().empty()) return term::atom("shutdown");
      return term::tuple(term::atom("shutdown"), text_term(r.detail()));
    case k::kill:
      return term::atom("kill");
    case k::killed:
      return term::atom("killed");
    case k::noproc:
      return term::atom("noproc");
    case k::noconnection:
      return term::atom("noconnection");
    case k::exception:
      return term::tuple(term::atom("exception"), term::binary(r.detail()));
    case k::other:
      return text_term(r.detail());
  }
  return term::atom("normal");
}

exit_reason exit_reason_from_term(const term::term& t) {
  if (t.is_atom()) {
    std::string_view a = t.as_atom().name();
    if (a == "normal") return exit_reason::normal();
    if (a == "shutdown") return exit_reason::shutdown();
    if (a == "kill") return exit_reason::kill();
    if (a == "killed") return exit_reason::killed();
    if (a == "noproc") return exit_reason::noproc();
    if (a == "noconnection") return exit_reason::noconnection();
  }
  if (t.is_tuple() && t.size() == 2 && t[0].is_atom("shutdown")) {
    return exit_reason::shutdown(term::to_string(t[1]));
  }
  return exit_reason::error(term::to_string(t));
}

}  // namespace bitactor::dist
