// The remote_router seam: messages and signals for pids of other nodes reach the router.
#include <gtest/gtest.h>

#include <bitactor/core/internal/remote_router.hpp>
#include <bitactor/core/internal/runtime.hpp>
#include <bitactor/core/internal/signal.hpp>
#include <bitactor/term/print.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace bitactor;
using namespace bitactor::test;

namespace {

struct routed {
  pid to;
  message_ptr m;
};

class recording_router final : public remote_router {
 public:
  void route(const pid& to, message* m) noexcept override {
    std::lock_guard guard(lock_);
    seen_.push_back(routed{to, message_ptr(m)});
  }
  std::vector<routed> take() {
    std::lock_guard guard(lock_);
    return std::move(seen_);
  }
  void send_named(const pid& from, std::string_view name, std::string_view node,
                  const term::term& msg) noexcept override {
    std::lock_guard guard(lock_);
    named_.push_back(std::string(name) + "@" + std::string(node) + " from " + from.to_string() +
                     ": " + term::to_string(msg));
  }
  std::vector<std::string> named() {
    std::lock_guard guard(lock_);
    return named_;
  }

 private:
  std::mutex lock_;
  std::vector<routed> seen_;
  std::vector<std::string> named_;
};

node_config named_node() {
  node_config c = deterministic();
  c.name = "here@localhost";
  c.creation = 7;
  return c;
}

pid remote_pid() { return pid{node_names::intern("there@localhost"), 42, 0, 3}; }

}  // namespace

TEST(remote_router, send_to_a_pid_of_another_node_goes_to_the_router) {
  node n(named_node());
  recording_router router;
  detail::runtime_of(n).set_remote_router(&router);
  pid p = n.spawn([](actor& self, message& m) {
    if (m.is<int>()) self.send(remote_pid(), std::string("hello"));
  });
  n.send(p, 1);
  n.run_until_idle();
  auto seen = router.take();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].to, remote_pid());
  ASSERT_NE(seen[0].m->get_if<std::string>(), nullptr);
  EXPECT_EQ(*seen[0].m->get_if<std::string>(), "hello");
  detail::runtime_of(n).set_remote_router(nullptr);
}

TEST(remote_router, link_and_exit_of_a_linked_process_reach_the_router_as_signals) {
  node n(named_node());
  recording_router router;
  detail::runtime_of(n).set_remote_router(&router);
  pid p = n.spawn([](actor& self, message& m) {
    if (m.is<int>()) {
      self.link(remote_pid());
      self.exit(exit_reason::error("boom"));
    }
  });
  n.send(p, 1);
  n.run_until_idle();
  auto seen = router.take();
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_TRUE(seen[0].m->is<detail::signal>());
  auto* link = static_cast<detail::signal*>(seen[0].m.get());
  EXPECT_EQ(link->kind, detail::signal_kind::link);
  EXPECT_EQ(link->from, p);
  ASSERT_TRUE(seen[1].m->is<detail::signal>());
  auto* ex = static_cast<detail::signal*>(seen[1].m.get());
  EXPECT_EQ(ex->kind, detail::signal_kind::exit);
  EXPECT_TRUE(ex->via_link);
  EXPECT_EQ(ex->reason, exit_reason::error("boom"));
  detail::runtime_of(n).set_remote_router(nullptr);
}

TEST(remote_router, without_a_router_sends_to_other_nodes_are_dropped) {
  node n(named_node());
  inbox box(n);
  n.send(remote_pid(), 5);  // no crash, nothing delivered anywhere
  n.send(box.self(), 6);
  EXPECT_EQ(box.receive<int>(), 6);
}

// {Name, Node}: a send to another node's name goes to the router; to this node's own name it is
// a local send to the registered process.
TEST(remote_router, a_send_to_a_name_on_another_node_goes_to_the_router) {
  node n(named_node());
  recording_router router;
  detail::runtime_of(n).set_remote_router(&router);
  inbox box(n);
  n.register_name("box", box.self());
  pid p = n.spawn([](actor& self, message& m) {
    if (!m.is<int>()) return;
    self.send("srv", "there@localhost", term::atom("hi"));
    self.send("box", "here@localhost", term::atom("local"));
    self.send("nobody", "here@localhost", term::atom("dropped"));
  });
  n.send(p, 1);
  n.run_until_idle();
  EXPECT_EQ(router.named(),
            std::vector<std::string>{"srv@there@localhost from " + p.to_string() + ": hi"});
  auto local = box.receive<term::term>(0ms);
  ASSERT_TRUE(local);
  EXPECT_TRUE(local->is_atom("local"));
}

// erlang:monitor(process, {Name, Node}): a name here is monitored as its process; no such name
// is noproc at once; a node the router cannot reach (here: the default answer) is noconnection
// at once.
TEST(remote_router, a_monitor_by_name_and_node_watches_the_process_or_fails_at_once) {
  node n(named_node());
  recording_router router;
  detail::runtime_of(n).set_remote_router(&router);
  inbox box(n);
  pid target = n.spawn([](actor& self, message& m) {
    if (m.is<int>()) self.exit(exit_reason::error("bye"));
  });
  n.register_name("target", target);
  std::vector<ref> refs;
  pid watcher = n.spawn([&, observer = box.self()](actor& self, message& m) {
    if (m.is<int>()) {
      refs.push_back(self.monitor("target", "here@localhost"));
      refs.push_back(self.monitor("nobody", "here@localhost"));
      refs.push_back(self.monitor("srv", "there@localhost"));
    } else if (auto* d = m.get_if<down_msg>()) {
      self.send(observer, *d);
    }
  });
  n.send(watcher, 1);
  n.run_until_idle();
  n.send(target, 1);
  n.run_until_idle();
  ASSERT_EQ(refs.size(), 3u);
  std::map<ref, down_msg> downs;
  for (int i = 0; i < 3; ++i) {
    auto d = box.receive<down_msg>(0ms);
    ASSERT_TRUE(d) << "DOWN " << i;
    downs.emplace(d->monitor, *d);
  }
  EXPECT_EQ(downs.at(refs[0]).process, target);
  EXPECT_EQ(downs.at(refs[0]).reason, exit_reason::error("bye"));
  EXPECT_EQ(downs.at(refs[1]).reason, exit_reason::noproc());
  EXPECT_EQ(downs.at(refs[2]).reason, exit_reason::noconnection());
}

// runtime::park_after_turn, which the distribution's busy limit uses: a parked process runs
// nothing more until resumed, its mail waiting; an exit signal does not wait for the resume.
TEST(park_after_turn, a_parked_process_waits_for_its_resume_but_not_for_an_exit_signal) {
  node n(deterministic());
  std::function<void()> resume;
  int handled = 0;
  pid p = n.spawn([&](actor&, message& m) {
    if (!m.is<int>()) return;
    ++handled;
    if (m.get_if<int>() != nullptr && *m.get_if<int>() == 1) {
      detail::runtime::park_after_turn([&](std::function<void()> r) { resume = std::move(r); });
    }
  });
  n.send(p, 1);
  n.run_until_idle();
  ASSERT_TRUE(resume) << "the park function was not called at the end of the turn";
  EXPECT_EQ(n.info(p)->status, process_status::suspended);
  n.send(p, 2);
  n.send(p, 3);
  n.run_until_idle();
  EXPECT_EQ(handled, 1);  // parked: 2 and 3 wait
  resume();
  n.run_until_idle();
  EXPECT_EQ(handled, 3);
  EXPECT_EQ(n.info(p)->status, process_status::waiting);

  // Parked again, then killed: it dies without being resumed; a late resume does nothing.
  resume = nullptr;
  n.send(p, 1);
  n.run_until_idle();
  ASSERT_TRUE(resume);
  n.exit(p, exit_reason::kill());
  n.run_until_idle();
  EXPECT_FALSE(n.is_alive(p));
  resume();
  n.run_until_idle();
  EXPECT_EQ(handled, 4);
}

TEST(park_after_turn, outside_a_turn_it_does_nothing) {
  bool called = false;
  detail::runtime::park_after_turn([&](std::function<void()>) { called = true; });
  node n(deterministic());
  pid p = n.spawn([](actor&, message&) {});
  n.send(p, 1);
  n.run_until_idle();
  EXPECT_FALSE(called);
  EXPECT_EQ(n.info(p)->status, process_status::waiting);
}
