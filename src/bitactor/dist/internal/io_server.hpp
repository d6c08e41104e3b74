#pragma once
// Internal: Erlang's I/O protocol (stdlib io_protocol.html), served by net_kernel, which this
// node names as the group leader of the processes peers spawn here and of the processes it
// asks peers to spawn (rpc). io:format in a function this node calls by rpc sends its output
// here, and waits for the answer: without one, the call would hang until its timeout.

#include <optional>
#include <string>

#include "bitactor/term/term.hpp"

namespace bitactor::dist::detail {

/// The reply to the io request `request` (the Request of `{io_request, From, ReplyAs,
/// Request}`), with the characters it writes appended to `output` as UTF-8:
///   {put_chars, Encoding, Chars} (and the old {put_chars, Chars})  ok
///   {put_chars, [Encoding,] io_lib, format, [Format, Args]}          ok: io:format's common
///        directives (~p ~w ~s ~n ~c ~b ~e ~f ~g ...; io_server.cpp), {error, format} otherwise
///   {put_chars, Encoding, M, F, A}, any other M:F                   {error, enotsup}
///   get_chars, get_line, get_until (any form)                       eof (there is no input)
///   {setopts, _}                                                    ok
///   getopts                                                         []
///   {requests, [R...]}                                              each in turn, up to the first
///   error anything else                                                   {error, request}
/// Chars that are not chardata (a binary, or a list of code points, binaries and such lists)
/// give {error, put_chars}, as the standard io server does.
term::term io_reply(const term::term& request, std::string& output);

}  // namespace bitactor::dist::detail
