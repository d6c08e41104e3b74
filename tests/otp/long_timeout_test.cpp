// Calls and awaits with a timeout too long to add to a clock (std::chrono::milliseconds::max())
// wait for the answer, as gen_server:call(S, R, infinity) does, on both scheduling policies,
// from a plain thread and from inside a process. The answers come from real (or virtual)
// timers a few tens of milliseconds later, so a wait that gives up at once is caught.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/gen_statem.hpp>
#include <bitactor/otp/task.hpp>
#include <future>
#include <string>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

constexpr auto forever = std::chrono::milliseconds::max();

node_config threaded() {
  node_config c;
  c.workers = 2;
  return c;
}

struct slow_echo {  // answered `after` later (a deferred reply)
  int value;
  std::chrono::milliseconds after;
  using reply = int;
};
struct answer_now {
  from to;
  int value;
};

class slow_server : public gen_server {
 protected:
  void handle_call(call_context& c) override {
    if (auto* s = c.get_if<slow_echo>())
      send_after(self(), s->after, answer_now{c.defer(), s->value});
  }
  void handle_info(message& m) override {
    if (auto* a = m.get_if<answer_now>()) reply(a->to, a->value);
  }
};

struct relay {  // ask the front server to call the slow one with an endless timeout
  int value;
  using reply = std::string;
};
class front : public gen_server {
 public:
  explicit front(pid back) : back_(back) {}

 protected:
  void handle_call(call_context& c) override {
    if (auto* r = c.get_if<relay>()) forward(c.defer(), r->value);
  }
  async forward(from caller, int value) {
    try {
      slow_echo request{value, 30ms};  // named: see behaviour::call on GCC 12
      int v = co_await call(back_, std::move(request), forever);
      reply(caller, std::to_string(v));
    } catch (const call_error& e) {
      reply(caller, std::string(e.timed_out() ? "timeout" : "failed"));
    }
  }

 private:
  pid back_;
};

class slow_machine : public gen_statem {
 protected:
  void init() override { start_in("ready"); }
  void handle_event(event& e) override {
    if (auto* s = e.get_if<slow_echo>())
      send_after(self(), s->after, answer_now{e.caller(), s->value});
    if (auto* a = e.get_if<answer_now>()) reply(a->to, a->value);
  }
};

template <class S, class... Args>
pid started(node& n, Args&&... args) {
  auto r = start<S>(n, {}, std::forward<Args>(args)...);
  EXPECT_TRUE(r.ok()) << r.to_string();
  return r.process;
}

}  // namespace

TEST(long_timeout, threaded_gen_server_call_from_a_thread_waits_for_a_late_reply) {
  node n{threaded()};
  pid p = started<slow_server>(n);
  EXPECT_EQ(call(n, p, slow_echo{7, 30ms}, forever), 7);
}

TEST(long_timeout, deterministic_gen_server_call_from_a_thread_waits_for_a_late_reply) {
  node n{deterministic()};
  pid p = started<slow_server>(n);
  EXPECT_EQ(call(n, p, slow_echo{8, 1h}, forever), 8);
  EXPECT_EQ(n.now(), 1h);
}

TEST(long_timeout, threaded_gen_server_call_from_a_process_waits_for_a_late_reply) {
  node n{threaded()};
  pid back = started<slow_server>(n);
  pid fr = started<front>(n, back);
  EXPECT_EQ(call(n, fr, relay{9}, 5s), "9");
}

TEST(long_timeout, deterministic_gen_server_call_from_a_process_waits_for_a_late_reply) {
  node n{deterministic()};
  pid back = started<slow_server>(n);
  pid fr = started<front>(n, back);
  EXPECT_EQ(call(n, fr, relay{10}, forever), "10");
}

TEST(long_timeout, threaded_gen_statem_call_from_a_thread_waits_for_a_late_reply) {
  node n{threaded()};
  pid m = started<slow_machine>(n);
  EXPECT_EQ(call(n, m, slow_echo{11, 30ms}, forever), 11);
}

TEST(long_timeout, deterministic_gen_statem_call_from_a_thread_waits_for_a_late_reply) {
  node n{deterministic()};
  pid m = started<slow_machine>(n);
  EXPECT_EQ(call(n, m, slow_echo{12, 1h}, forever), 12);
}

TEST(long_timeout, threaded_task_await_waits_for_a_slow_task) {
  // The task blocks until a process, woken by a 30 ms timer, releases it: the await must
  // still be waiting then.
  node n{threaded()};
  auto release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();
  pid releaser = n.spawn([release](actor&, message& m) {
    if (m.is<int>()) release->set_value();
  });
  auto t = async_task(n, [released] {
    released.wait();
    return 13;
  });
  n.send_after(releaser, 30ms, 0);
  EXPECT_EQ(await(t, forever), 13);
}

TEST(long_timeout, deterministic_task_await_gets_the_value) {
  node n{deterministic()};
  n.advance_time(3ms);
  auto t = async_task(n, [] { return 14; });
  EXPECT_EQ(await(t, forever), 14);
}
