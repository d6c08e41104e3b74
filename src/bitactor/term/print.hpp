// Printing terms in Erlang syntax, as `io_lib:format("~p")` writes them without line breaks:
// `{ok,[1,2,3]}`, strings as "abc" when every element is a printable Latin-1 character,
// binaries as <<"abc">> when printable and <<1,2>> otherwise, atoms quoted when needed, floats
// in erl's shortest round-trip form (1.0e3, 0.1).
//
// Identifiers have no literal syntax in Erlang; they print with their node name where erl
// would print a node index: <node.Id.Serial>, #Port<node.Id>, #Ref<node.W_n...W_0>,
// #Fun<module.Index.Uniq>, fun m:f/a. The output is UTF-8.
#pragma once

#include <bitactor/term/term.hpp>
#include <iosfwd>
#include <string>

namespace bitactor::term {

/// Appends the text of `t` to `out`.
void print(std::string& out, const term& t);

/// The text of `t`.
std::string to_string(const term& t);

/// Writes the text of `t`.
std::ostream& operator<<(std::ostream& os, const term& t);

/// Appends an atom's text, quoted when erl would quote it.
void print_atom(std::string& out, atom a);

/// erl's shortest round-trip text of a float (float_to_list(F, [short])).
std::string format_float(double d);

}  // namespace bitactor::term
