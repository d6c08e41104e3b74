// Tasks as Elixir's Task and Task.Supervisor define them: async/await, await timeouts that
// kill the task, crashes that reach the awaiter, tasks awaited inside a behaviour, and a
// task supervisor's temporary children and async_nolink.
#include <gtest/gtest.h>

#include <bitactor/otp/report.hpp>
#include <bitactor/otp/task.hpp>
#include <future>
#include <stdexcept>
#include <string>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

/// A server that computes a sum with a task and answers the call when the task finishes.
struct sum_with_task {
  int a, b;
  bool crash = false;
  using reply = std::string;
};
class delegating : public gen_server {
 public:
  explicit delegating(bool trap = true) : trap_(trap) {}

 protected:
  void init() override { trap_exit(trap_); }  // trapping: a crashing task does not kill it
  void handle_call(call_context& c) override {
    if (auto* s = c.get_if<sum_with_task>()) compute(c.defer(), *s);
  }

 private:
  async compute(from caller, sum_with_task s) {
    auto t = async_task(*this, [s] {
      if (s.crash) throw std::runtime_error("bad sum");
      return s.a + s.b;
    });
    try {
      int v = co_await await(*this, t, 1s);
      reply(caller, std::to_string(v));
    } catch (const call_error& e) {
      reply(caller, std::string("failed: ") + e.reason().to_string());
    }
  }
  bool trap_;
};

}  // namespace

TEST(task, await_returns_the_value_of_the_function) {
  node n{deterministic()};
  auto t = async_task(n, [] { return 6 * 7; });
  EXPECT_EQ(await(t, 1s), 42);
  n.run_until_idle();
  EXPECT_FALSE(n.is_alive(t.process()));  // the task exited normally
}

TEST(task, function_returning_void_gives_ok) {
  node n{deterministic()};
  int ran = 0;
  auto t = async_task(n, [&ran] { ++ran; });
  EXPECT_EQ(await(t, 1s), ok);
  EXPECT_EQ(ran, 1);
}

TEST(task, crashing_task_propagates_its_reason_to_the_awaiter) {
  node n{deterministic()};
  report_capture quiet;
  auto t = async_task(n, []() -> int { throw std::runtime_error("division by zero"); });
  try {
    await(t, 1s);
    FAIL() << "await returned";
  } catch (const call_error& e) {
    EXPECT_EQ(e.reason().code(), exit_reason::kind::exception);
    EXPECT_NE(e.reason().to_string().find("division by zero"), std::string::npos);
  }
}

TEST(task, await_timeout_throws_and_kills_the_task) {
  // A task that does not finish needs a function that blocks, which only the production
  // policy allows (it would stall the deterministic one). The 20 ms is the await timeout
  // under test, not a wait for synchronisation.
  node_config cfg;
  cfg.workers = 2;
  node n{cfg};
  inbox watcher{n};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto t = async_task(n, [released] {
    released.wait();
    return 1;
  });
  watcher.monitor(t.process());
  try {
    await(t, 20ms);
    FAIL() << "await returned";
  } catch (const call_error& e) {
    EXPECT_TRUE(e.timed_out()) << e.what();
  }
  release.set_value();
  auto down = watcher.receive<down_msg>(5s);  // the killed task is gone
  ASSERT_TRUE(down);
}

TEST(task, dropped_task_handle_leaves_no_process_behind) {
  node n{deterministic()};
  inbox watcher{n};
  pid task_pid;
  {
    auto t = async_task(n, [] { return 1; });
    task_pid = t.process();
    watcher.monitor(task_pid);
  }  // the handle (the caller's mailbox) is dropped unawaited
  auto down = watcher.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_FALSE(n.is_alive(task_pid));
}

TEST(task, behaviour_awaits_a_task_without_blocking) {
  node n{deterministic()};
  auto s = start<delegating>(n, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(call(n, s.process, sum_with_task{2, 3}), "5");
}

TEST(task, crashing_task_reaches_a_behaviour_that_awaits_it) {
  node n{deterministic()};
  report_capture quiet;
  auto s = start<delegating>(n, {});
  ASSERT_TRUE(s.ok());
  auto answer = call(n, s.process, sum_with_task{1, 1, true});
  EXPECT_NE(answer.find("failed: {exception,"), std::string::npos) << answer;
  EXPECT_NE(answer.find("bad sum"), std::string::npos) << answer;
  EXPECT_TRUE(n.is_alive(s.process));  // it traps exits: the link told it, did not kill it
}

TEST(task, crashing_task_takes_down_a_linked_behaviour_that_does_not_trap_exits) {
  node n{deterministic()};
  report_capture quiet;
  auto s = start<delegating>(n, {}, false);
  ASSERT_TRUE(s.ok());
  try {
    call(n, s.process, sum_with_task{1, 1, true});
    FAIL() << "call returned";
  } catch (const call_error& e) {
    EXPECT_NE(e.reason().to_string().find("bad sum"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(n.is_alive(s.process));
}

// --- task supervisor ---------------------------------------------------------------------------

TEST(task_supervisor, start_task_runs_a_temporary_child) {
  node n{deterministic()};
  inbox box{n};
  auto sup = start_task_supervisor(n, "tasks");
  ASSERT_TRUE(sup.ok());
  pid observer = box.self();
  auto r = start_task(n, sup.process, [&n, observer] { n.send(observer, note{"ran"}); });
  ASSERT_TRUE(r) << r.error();
  auto got = box.receive<note>(1s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->text, "ran");
  n.run_until_idle();
  EXPECT_EQ(count_children(n, sup.process).value().active, 0u);  // finished and forgotten
}

TEST(task_supervisor, crashed_task_is_reported_and_not_restarted) {
  node n{deterministic()};
  report_capture reports;
  auto sup = start_task_supervisor(n);
  ASSERT_TRUE(sup.ok());
  auto r = start_task(n, sup.process, [] { throw std::runtime_error("task failed"); });
  ASSERT_TRUE(r);
  n.run_until_idle();
  EXPECT_EQ(count_children(n, sup.process).value().active, 0u);
  EXPECT_TRUE(n.is_alive(sup.process));
  EXPECT_FALSE(reports.of_kind(report::kind::supervisor).empty());
}

TEST(task_supervisor, async_nolink_result_is_awaited) {
  node n{deterministic()};
  auto sup = start_task_supervisor(n);
  ASSERT_TRUE(sup.ok());
  auto t = async_nolink(n, sup.process, [] { return std::string("done"); });
  EXPECT_EQ(await(t, 1s), "done");
}

namespace {
/// A server that does not trap exits and runs its work under a task supervisor, unlinked.
struct risky_sum {
  int a, b;
  bool crash = false;
  using reply = std::string;
};
class careful : public gen_server {
 public:
  explicit careful(pid tasks) : tasks_(tasks) {}

 protected:
  void handle_call(call_context& c) override {
    if (auto* r = c.get_if<risky_sum>()) compute(c.defer(), *r);
  }

 private:
  async compute(from caller, risky_sum r) {
    try {
      auto t = co_await async_nolink(*this, tasks_, [r] {
        if (r.crash) throw std::runtime_error("bad input");
        return r.a + r.b;
      });
      int v = co_await await(*this, t, 1s);
      reply(caller, std::to_string(v));
    } catch (const call_error& e) {
      reply(caller, std::string("failed: ") + e.reason().to_string());
    }
  }
  pid tasks_;
};
}  // namespace

TEST(task_supervisor, behaviour_awaits_an_unlinked_task_and_survives_its_crash) {
  node n{deterministic()};
  report_capture quiet;
  auto sup = start_task_supervisor(n);
  ASSERT_TRUE(sup.ok());
  auto s = start<careful>(n, {}, sup.process);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(call(n, s.process, risky_sum{20, 22}), "42");
  auto answer = call(n, s.process, risky_sum{1, 1, true});
  EXPECT_NE(answer.find("bad input"), std::string::npos) << answer;
  EXPECT_TRUE(n.is_alive(s.process));  // not linked: the crash reached it only through await
}

TEST(task_supervisor, async_nolink_crash_reaches_the_awaiter_only_through_await) {
  node n{deterministic()};
  report_capture quiet;
  auto sup = start_task_supervisor(n);
  ASSERT_TRUE(sup.ok());
  auto t = async_nolink(n, sup.process, []() -> int { throw std::runtime_error("nope"); });
  EXPECT_THROW(await(t, 1s), call_error);
  EXPECT_TRUE(n.is_alive(sup.process));
}

namespace {
/// A server that starts a fire-and-forget task under a task supervisor (start_task) from its
/// coroutine and answers with what start_task gave.
struct launch {
  pid tasks;
  pid observer;
  using reply = supervisor_result<started_child>;
};
class launcher : public gen_server {
 protected:
  void handle_call(call_context& c) override {
    if (auto* l = c.get_if<launch>()) run(c.defer(), *l);
  }

 private:
  async run(from caller, launch l) {
    pid observer = l.observer;
    node* n = &this_node();
    auto work = [n, observer] { n->send(observer, note{"ran"}); };
    supervisor_result<started_child> r = co_await start_task(*this, l.tasks, work);
    reply(caller, std::move(r));
  }
};
}  // namespace

TEST(task_supervisor, behaviour_starts_a_task_and_gets_its_pid) {
  node n{deterministic()};
  inbox box{n};
  auto sup = start_task_supervisor(n);
  ASSERT_TRUE(sup.ok());
  auto s = start<launcher>(n, {});
  ASSERT_TRUE(s.ok());
  auto r = call(n, s.process, launch{sup.process, box.self()});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->process);
  auto got = box.receive<note>(1s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->text, "ran");
}

/// A task supervisor that has already exited (the pid stays valid, the process is gone).
pid dead_task_supervisor(node& n, inbox& box) {
  auto sup = start_task_supervisor(n);
  EXPECT_TRUE(sup.ok());
  ref mon = box.monitor(sup.process);
  n.exit(sup.process, exit_reason::shutdown());
  auto down = box.receive<down_msg>(1s);
  EXPECT_TRUE(down && down->monitor == mon);
  return sup.process;
}

TEST(task_supervisor, behaviour_start_task_under_a_dead_supervisor_is_call_failed_noproc) {
  node n{deterministic()};
  inbox box{n};
  const pid sup = dead_task_supervisor(n, box);
  auto s = start<launcher>(n, {});
  ASSERT_TRUE(s.ok());
  auto r = call(n, s.process, launch{sup, box.self()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().which(), supervisor_error::code::call_failed);
  EXPECT_EQ(r.error().reason(), exit_reason::noproc());
  EXPECT_TRUE(n.is_alive(s.process));
}

TEST(task_supervisor, behaviour_async_nolink_under_a_dead_supervisor_throws_noproc) {
  node n{deterministic()};
  inbox box{n};
  const pid sup = dead_task_supervisor(n, box);
  auto s = start<careful>(n, {}, sup);
  ASSERT_TRUE(s.ok());
  auto answer = call(n, s.process, risky_sum{1, 2});
  EXPECT_EQ(answer, "failed: noproc");
}
