#pragma once
// Internal: erpc's semantics (kernel erpc.erl), for both sides of an rpc. The serving side
// applies a function as execute_call/4 and execute_cast/3 do and turns how it ended into the
// exit reason of the process that ran it; the calling side turns the DOWN reason of that
// process into the value erpc:call/5 returns or the exception it raises (result/4).

#include <string>
#include <string_view>

#include "bitactor/core/exit_reason.hpp"
#include "bitactor/dist/dist_error.hpp"
#include "bitactor/dist/rpc.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist::detail {

/// How applying a function ended: its value, or the Erlang exception it raised.
struct apply_outcome {
  bool returned = false;
  term::term value;  // returned: the value
  exception_class cls = exception_class::error;
  term::term reason;  // else: the exception's reason
  term::term stack;   // the stack trace erpc's trim_stack/4 leaves: [{M, F, ArityOrArgs, []}]
};

/// apply(Module, Function, Args) with `fn` as the function, nullptr when there is none: error
/// undef with the stack [{M, F, Args, []}], as BEAM raises it. Args that are not a proper list
/// raise error badarg. An erlang_exception raises its class and reason; any other C++
/// exception the error {cpp_exception, <<Type>>, <<What>>}.
apply_outcome apply(const rpc_function* fn, term::atom module, term::atom function,
                    const term::term& args);

/// What erpc:execute_call(Res, M, F, A) exits with: {Res, return, Value}, {Res, throw, R},
/// {Res, exit, R} or {Res, error, R, Stack}.
term::term execute_call_reply(const term::term& res, const apply_outcome& o);

/// The exit reason of a process whose function ended as `o`: normal when it returned, else
/// that of an uncaught exception in BEAM ({{nocatch, R}, Stack} for throw, R for exit,
/// {R, Stack} for error). For execute_cast/3 (`cast`), an error is raised again as
/// {exception, {R, Stack}}, as erpc.erl does so that its crash report says what failed.
exit_reason exit_reason_of(const apply_outcome& o, bool cast);

/// erpc.erl result/4 for the DOWN `reason` of the process that ran execute_call with `res`:
/// the value it returned, else throws the rpc_error erpc:call raises, naming `call`.
term::term call_result(const term::term& res, const term::term& reason, const std::string& call);

/// The rpc_error of an erpc failure: error {erpc, Why}.
rpc_error erpc_failure(std::string_view why, const std::string& call);

}  // namespace bitactor::dist::detail
