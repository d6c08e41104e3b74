// One BitActor node in its own OS process, for the multi-process cluster test:
//   dist_cluster_node <alive> <cookie> <epmd_port>
// It registers `where` (answers gen_server:call with {ThisNode, Request}) and serves
//   cluster:nodes/0        the nodes it is connected to, sorted
//   cluster:call/2         (Name, Node): its own call to {Name, Node} with `hello`
//   cluster:where_pid/0    the pid of its `where`
// prints "ready <node name>" and runs until its stdin closes (or it is killed).
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/internal/net_kernel.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace t = bitactor::term;
using namespace bitactor;
using namespace bitactor::dist;

namespace {
void where_server(actor& self, message& m) {
  auto* c = m.get_if<t::term>();
  if (c == nullptr || !c->is_tuple() || c->size() != 3 || !(*c)[0].is_atom("$gen_call")) return;
  gen_reply(self, (*c)[1], t::tuple(t::atom(self.self().node_name()), (*c)[2]));
}

t::term atoms(const std::vector<std::string>& names) {
  std::vector<t::term> out;
  for (const auto& n : names) out.push_back(t::atom(n));
  return t::list_from(std::move(out));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <alive> <cookie> <epmd_port>\n", argv[0]);
    return 2;
  }
  dist_config c;
  c.name = std::string(argv[1]) + "@localhost";
  c.cookie = argv[2];
  c.epmd_port = static_cast<std::uint16_t>(std::atoi(argv[3]));
  node_config n;
  n.workers = 1;
  distributed_node dn(c, n);
  const pid where = dn.local().spawn(where_server);
  dn.local().register_name("where", where);
  dn.register_rpc("cluster", "nodes", 0,
                  [&](std::span<const t::term>) { return atoms(dn.nodes()); }, {.blocking = true});
  dn.register_rpc("cluster", "call", 2,
                  [&](std::span<const t::term> args) {
                    return dn.call(args[0].as_atom().name(), args[1].as_atom().name(),
                                   t::atom("hello"));
                  },
                  {.blocking = true});
  dn.register_rpc("cluster", "where_pid", 0,
                  [&](std::span<const t::term>) { return t::term(to_term(where)); });
  std::printf("ready %s\n", dn.name().c_str());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
