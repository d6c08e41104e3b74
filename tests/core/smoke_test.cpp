#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
struct ping {
  bitactor::pid from;
  int n;
};
TEST(smoke, ping) {
  bitactor::node n;
  bitactor::inbox box(n);
  auto p = n.spawn([](bitactor::actor& self, bitactor::message& m) {
    if (auto* x = m.get_if<ping>()) self.send(x->from, ping{self.self(), x->n + 1});
  });
  box.send(p, ping{box.self(), 1});
  auto r = box.receive<ping>();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->n, 2);
}
