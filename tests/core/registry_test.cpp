// The name registry: erlang:register/2, unregister/1, whereis/1, registered/0.
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

class registry : public policy_test {};
INSTANTIATE_TEST_SUITE_P(policies, registry, both_policies, policy_name);

TEST_P(registry, registered_name_resolves_and_receives) {
  node n(config());
  inbox box(n);
  pid p = n.spawn([to = box.self()](actor& self, message& m) {
    if (auto* i = m.get_if<int>()) self.send(to, *i + 1);
  });
  n.register_name("adder", p);
  EXPECT_EQ(n.whereis("adder"), p);
  n.send("adder", 1);
  EXPECT_EQ(box.receive<int>(), 2);
  EXPECT_EQ(n.registered(), std::vector<std::string>{"adder"});
  EXPECT_EQ(n.info(p)->registered_name, "adder");
}

TEST_P(registry, registering_a_taken_name_fails_clearly) {
  node n(config());
  pid a = n.spawn([](actor&, message&) {});
  pid b = n.spawn([](actor&, message&) {});
  n.register_name("svc", a);
  try {
    n.register_name("svc", b);
    FAIL() << "expected badarg";
  } catch (const badarg& e) {
    EXPECT_NE(std::string(e.what()).find("already registered"), std::string::npos);
  }
  EXPECT_EQ(n.whereis("svc"), a);
}

TEST_P(registry, registering_a_dead_pid_fails_clearly) {
  node n(config());
  inbox box(n);
  pid p = n.spawn([](actor&, message&) {});
  box.monitor(p);
  n.exit(p, exit_reason::kill());
  ASSERT_TRUE(box.receive<down_msg>());
  try {
    n.register_name("ghost", p);
    FAIL() << "expected badarg";
  } catch (const badarg& e) {
    EXPECT_NE(std::string(e.what()).find("not alive"), std::string::npos);
  }
  EXPECT_FALSE(n.whereis("ghost"));
}

TEST_P(registry, a_process_has_at_most_one_name) {
  node n(config());
  pid p = n.spawn([](actor&, message&) {});
  n.register_name("one", p);
  EXPECT_THROW(n.register_name("two", p), badarg);
}

TEST_P(registry, name_is_freed_on_exit_and_can_be_reused) {
  node n(config());
  inbox box(n);
  pid p = n.spawn([](actor&, message&) {});
  n.register_name("worker", p);
  box.monitor(p);
  n.exit(p, exit_reason::error("crash"));
  ASSERT_TRUE(box.receive<down_msg>());
  EXPECT_FALSE(n.whereis("worker"));
  pid q = n.spawn([](actor&, message&) {});
  EXPECT_NO_THROW(n.register_name("worker", q));
  EXPECT_EQ(n.whereis("worker"), q);
}

TEST_P(registry, unregister_frees_the_name) {
  node n(config());
  pid p = n.spawn([](actor&, message&) {});
  n.register_name("x", p);
  n.unregister_name("x");
  EXPECT_FALSE(n.whereis("x"));
  EXPECT_FALSE(n.info(p)->registered_name);
  EXPECT_THROW(n.unregister_name("x"), badarg);
  n.register_name("y", p);  // may take a new name now
  EXPECT_EQ(n.whereis("y"), p);
}

TEST_P(registry, process_can_register_itself_and_send_by_name) {
  node n(config());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  on(n, p, [](actor& self) {
    self.register_name("me");
    self.send("me", std::string("hello"));
  });
  auto s = box.receive<seen>();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->what, "hello");
}

TEST_P(registry, send_to_unknown_name_from_a_process_crashes_it_with_badarg) {
  node n(config());
  inbox box(n);
  pid p = n.spawn<puppet>(box.self(), false);
  box.monitor(p);
  on(n, p, [](actor& self) { self.send("nobody", 1); });
  auto d = box.receive<down_msg>();
  ASSERT_TRUE(d);
  EXPECT_NE(d->reason.to_string().find("bitactor::badarg"), std::string::npos);
}
