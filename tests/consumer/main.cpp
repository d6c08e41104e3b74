// Spawns a process through the installed headers and library and checks the reply.
#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>

#include <cstdio>

int main() {
  bitactor::node node;
  bitactor::inbox box(node);
  bitactor::pid doubler = node.spawn([](bitactor::actor& self, bitactor::message& m) {
    if (auto* p = m.get_if<std::pair<bitactor::pid, int>>()) self.send(p->first, p->second * 2);
  });
  node.send(doubler, std::pair{box.self(), 21});
  auto answer = box.receive<int>();
  if (!answer || *answer != 42) {
    std::puts("consumer: FAILED");
    return 1;
  }
  std::puts("consumer: find_package(BitActor) works, got 42");
  return 0;
}
