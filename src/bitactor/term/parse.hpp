// Reading terms from Erlang syntax, as erl_scan + erl_parse + erl_parse:normalise/1 would.
//
// Accepted: atoms (bare and 'quoted'), integers (-12, 16#FF, 2#1010, $a, 1_000), big integers,
// floats (1.5, -2.0e-3), strings ("a\n" with erl's escapes; adjacent strings concatenate),
// binaries and bitstrings (<<1,2>>, <<"abc">>, <<1,5:3>>), lists ([1,2|T]), tuples ({a,b}),
// maps (#{k => v}), nested at most 1000 deep. An optional final '.' is allowed. Identifiers (pids,
// refs, ports) and funs have no literal syntax and are rejected.
#pragma once

#include <bitactor/term/errors.hpp>
#include <bitactor/term/term.hpp>
#include <string_view>

namespace bitactor::term {

/// Parses exactly one term from `text`. Throws parse_error (with line and column) otherwise.
term parse(std::string_view text);

}  // namespace bitactor::term
