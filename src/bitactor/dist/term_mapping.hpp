#pragma once
// Core's identities and reasons as the terms they are on the wire: thin forwards to core's own
// lossless conversions (pid.hpp, exit_reason.hpp), under the names the distribution code uses.

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

inline term::pid to_term(const pid& p) { return to_term_pid(p); }
/// Interns the pid's node name (node_names::intern).
inline pid from_term(const term::pid& p) { return from_term_pid(p); }

inline term::reference to_term(const ref& r) { return to_term_ref(r); }
/// Lossless up to Erlang's 5 words (BEAM's aliases have 5).
inline ref from_term(const term::reference& r) { return from_term_ref(r); }

/// The reason's term (exit_reason::as_term).
inline term::term to_term(const exit_reason& r) { return r.as_term(); }
/// The reason a term is: the well-known atoms and {shutdown, _} get their kinds.
inline exit_reason exit_reason_from_term(const term::term& t) { return exit_reason::from_term(t); }

}  // namespace bitactor::dist
