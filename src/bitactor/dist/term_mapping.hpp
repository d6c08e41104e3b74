#pragma once
// Conversions between core's identities and reasons and their Erlang terms, as they cross the
// wire. Kept in dist until core carries its own (then these become thin forwards).
//
// A core pid names its node by an interned index (node_names); on the wire the node is an
// atom. The layouts are otherwise the same (NEW_PID_EXT, NEWER_REFERENCE_EXT).

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

term::pid to_term(const pid& p);
/// Interns the pid's node name (node_names::intern).
pid from_term(const term::pid& p);

term::reference to_term(const ref& r);
/// References with more than 3 words keep their first 3 (core refs hold 3, as BEAM's own).
ref from_term(const term::reference& r);

/// normal, shutdown, kill, killed, noproc and noconnection as their atoms; {shutdown, Detail}
/// with the detail as a string; anything else as the reason's text, parsed as a term when it
/// is one (so `boom` becomes the atom boom), else as a string.
term::term to_term(const exit_reason& r);
/// The reverse: the well-known atoms to their kinds, {shutdown, _} to shutdown, anything
/// else to exit_reason::error holding the term's printed form.
exit_reason exit_reason_from_term(const term::term& t);

}  // namespace bitactor::dist
