#pragma once
// The process registered as `net_kernel`: what a peer's net_adm:ping/1 talks to. ping is a
// gen_server:call({net_kernel, Node}, {is_auth, CallerNode}) answered `yes`
// (kernel net_adm.erl). It is also the group leader this node names in spawn requests: it
// answers Erlang's I/O protocol (io_server.hpp), writing output to this node's stdout.

#include "bitactor/core/actor.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

class net_kernel final : public actor {
 public:
  void handle(message& m) override;
};

/// gen:reply/2 for a `From` of a '$gen_call': `{Pid, Tag}` gets `{Tag, Reply}` sent to Pid
/// (Tag may be a ref, `[alias|Ref]` or `[[alias|Ref]|_]`; sending to the pid is accepted for
/// all of them). Returns false if `from` is not such a pair.
bool gen_reply(actor& self, const term::term& from, term::term reply);

}  // namespace bitactor::dist
