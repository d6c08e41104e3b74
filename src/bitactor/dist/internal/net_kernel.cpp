#include "bitactor/dist/internal/net_kernel.hpp"

#include <cstdio>
#include <string>

#include "bitactor/dist/internal/io_server.hpp"
#include "bitactor/dist/term_mapping.hpp"

namespace bitactor::dist {

bool gen_reply(actor& self, const term::term& from, term::term reply) {
  if (!from.is_tuple() || from.size() != 2 || !from[0].is_pid()) return false;
  self.send(from_term(from[0].as_pid()), term::tuple(from[1], std::move(reply)));
  return true;
}

void net_kernel::handle(message& m) {
  auto* t = m.get_if<term::term>();
  if (t == nullptr || !t->is_tuple()) return;
  if (t->size() == 4 && (*t)[0].is_atom("io_request") && (*t)[1].is_pid()) {
    // {io_request, From, ReplyAs, Request}: as the group leader of rpc'd processes.
    std::string output;
    term::term reply = detail::io_reply((*t)[3], output);
    if (!output.empty()) {
      std::fwrite(output.data(), 1, output.size(), stdout);
      std::fflush(stdout);
    }
    send(from_term((*t)[1].as_pid()), term::tuple(term::atom("io_reply"), (*t)[2], reply));
    return;
  }
  if (t->size() != 3 || !(*t)[0].is_atom("$gen_call")) return;
  const term::term& request = (*t)[2];
  if (request.is_tuple() && request.size() == 2 && request[0].is_atom("is_auth")) {
    gen_reply(*this, (*t)[1], term::atom("yes"));
  }
}

}  // namespace bitactor::dist
