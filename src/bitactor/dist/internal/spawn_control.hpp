#pragma once
// SPAWN_REQUEST and SPAWN_REPLY (erl_dist_protocol.html; erts dist.c): the control tuples a
// spawn on another node is made of, read and built here so that the controller deals in
// fields. erpc:call and rpc:call are such spawns (of erpc:execute_call/4).

#include <cstddef>
#include <cstdint>
#include <optional>

#include "bitactor/dist/internal/control.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

// The Flags of SPAWN_REPLY (erts dist.h, ERTS_DIST_SPAWN_FLAG_*).
inline constexpr std::int64_t spawn_flag_link = 1;
inline constexpr std::int64_t spawn_flag_monitor = 2;

/// `{29, ReqId, From, GroupLeader, {Module, Function, Arity}, Opts}` + Args, or the `_TT` form
/// (30) with a trace token after Opts.
struct spawn_request {
  term::term req_id;        // a reference: the requester's monitor ref when it monitors
  term::term from;          // the requesting process
  term::term group_leader;  // a pid
  term::atom module;
  term::atom function;
  term::term args;  // the argument list (the frame's message)
  // What Opts asks for (erlang:spawn_opt/5). Options that mean nothing here (priority, heap
  // sizes, ...) are accepted and ignored, as BEAM ignores {reply, _}, which the requester's
  // node handles itself.
  bool link = false;
  bool monitor = false;
  bool options_ok = true;  // false: Opts is not a proper list (BEAM answers badopt)
};

/// The request `f` carries; nullopt when it is malformed (the wrong arity or element types, no
/// argument list), for which BEAM drops the connection.
std::optional<spawn_request> parse_spawn_request(const control_frame& f);

/// The control tuple of a SPAWN_REQUEST without a token; the argument list travels as the
/// frame's message. `options` must be a proper list.
term::term spawn_request_control(const term::term& req_id, const term::term& from,
                                 const term::term& group_leader, term::atom module,
                                 term::atom function, std::size_t arity, const term::term& options);

/// `{31, ReqId, To, Flags, Result}`, or the `_TT` form (32) with a trace token.
struct spawn_reply {
  term::term req_id;
  term::term to;           // the requester
  std::int64_t flags = 0;  // spawn_flag_link | spawn_flag_monitor: what was set up
  term::term result;       // the new process's pid, or an error atom (badopt, system_limit, ...)
};

/// The reply `f` carries; nullopt when it is malformed.
std::optional<spawn_reply> parse_spawn_reply(const control_frame& f);

term::term spawn_reply_control(const spawn_reply& r);

}  // namespace bitactor::dist
