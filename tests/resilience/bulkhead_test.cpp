// The bulkhead: the concurrency bound, the bounded queue and its rejections, FIFO turns for
// threads and for coroutines inside gen_servers, and giving up a place when a waiter ends.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/resilience/bulkhead.hpp>
#include <bitactor/resilience/events.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace resilience = bitactor::resilience;
namespace otp = bitactor::otp;
using namespace std::chrono_literals;
using resilience::error_category;
using resilience::failure;

namespace {

/// Waits (bounded) until pred() holds; for state another thread reaches soon.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

std::string rejection_reason(const failure& f) { return *f.details().context_value("reason"); }

}  // namespace

TEST(bulkhead, admits_up_to_max_concurrent_then_refuses_try_enter) {
  resilience::bulkhead b({.max_concurrent = 2});
  auto a = b.try_enter();
  auto c = b.try_enter();
  ASSERT_TRUE(a);
  ASSERT_TRUE(c);
  EXPECT_FALSE(b.try_enter());
  EXPECT_EQ(b.active(), 2u);
  a->release();
  EXPECT_EQ(b.active(), 1u);
  EXPECT_TRUE(b.try_enter());
}

TEST(bulkhead, a_full_bulkhead_without_a_queue_rejects_with_a_rejected_error) {
  resilience::bulkhead b({.name = "pricing", .max_concurrent = 1});
  auto held = b.try_enter();
  try {
    b.call([] { return 0; });
    FAIL() << "the call went through";
  } catch (const failure& f) {
    EXPECT_EQ(f.details().category(), error_category::rejected);
    EXPECT_EQ(f.details().code(), "bulkhead_full");
    EXPECT_EQ(*f.details().context_value("bulkhead"), "pricing");
    EXPECT_EQ(rejection_reason(f), "queue_full");
    EXPECT_TRUE(f.details().is_retryable());
  }
}

TEST(bulkhead, a_waiting_thread_gets_the_slot_when_it_is_released) {
  resilience::bulkhead b({.max_concurrent = 1, .max_waiting = 1, .max_wait = 30s});
  auto held = b.try_enter();
  std::atomic<bool> ran{false};
  std::thread waiter([&] { b.call([&] { ran = true; }); });
  ASSERT_TRUE(eventually([&] { return b.waiting() == 1; }));
  EXPECT_FALSE(ran.load());
  held->release();
  waiter.join();
  EXPECT_TRUE(ran.load());
  EXPECT_EQ(b.active(), 0u);
}

TEST(bulkhead, calls_over_the_queue_bound_are_rejected_at_once) {
  resilience::bulkhead b({.max_concurrent = 1, .max_waiting = 1, .max_wait = 30s});
  auto held = b.try_enter();
  std::thread waiter([&] { b.call([] {}); });
  ASSERT_TRUE(eventually([&] { return b.waiting() == 1; }));
  try {
    b.call([] {});
    ADD_FAILURE() << "the call went through";
  } catch (const failure& f) {
    EXPECT_EQ(rejection_reason(f), "queue_full");
  }
  EXPECT_FALSE(b.try_enter());  // try_enter does not jump the queue either
  held->release();
  waiter.join();
}

TEST(bulkhead, a_wait_longer_than_max_wait_is_rejected) {
  resilience::bulkhead b({.max_concurrent = 1, .max_waiting = 4, .max_wait = 1ms});
  auto held = b.try_enter();
  try {
    b.call([] {});
    FAIL() << "the call went through";
  } catch (const failure& f) {
    EXPECT_EQ(rejection_reason(f), "wait_timeout");
  }
  EXPECT_EQ(b.waiting(), 0u);  // it left the queue
}

TEST(bulkhead, rejections_are_emitted) {
  resilience::bulkhead b({.name = "db", .max_concurrent = 1});
  auto held = b.try_enter();
  std::vector<resilience::event> seen;
  auto id = resilience::attach({"bitactor", "bulkhead"},
                               [&](const resilience::event& e) { seen.push_back(e); });
  EXPECT_THROW(b.call([] {}), failure);
  resilience::detach(id);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(*seen[0].meta("name"), "db");
  EXPECT_EQ(*seen[0].measurement("active"), 1.0);
}

TEST(bulkhead, concurrent_callers_never_exceed_the_bound) {
  resilience::bulkhead b({.max_concurrent = 3, .max_waiting = 64, .max_wait = 30s});
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        b.call([&] {
          const int now = inside.fetch_add(1) + 1;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          inside.fetch_sub(1);
        });
        done.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), 3000);
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(b.active(), 0u);
}

// --- coroutines inside behaviours ------------------------------------------------------------

namespace {

struct work {
  std::string label;
};
struct finish {};  // releases the turn the server holds

/// Takes a turn on `work` and keeps it until `finish`; logs what happened.
class worker : public otp::gen_server {
 public:
  worker(resilience::bulkhead* b, std::vector<std::string>* log) : bulkhead_(b), log_(log) {}

 protected:
  void handle_cast(bitactor::message& m) override {
    if (auto* w = m.get_if<work>()) take(w->label);
    if (m.is<finish>()) turn_.release();
  }

 private:
  otp::async take(std::string label) {
    try {
      turn_ = co_await bulkhead_->enter(*this);
      log_->push_back(label + " entered");
    } catch (const failure& f) {
      log_->push_back(label + " " + rejection_reason(f));
    }
  }
  resilience::bulkhead* bulkhead_;
  std::vector<std::string>* log_;
  resilience::bulkhead::permit turn_;
};

}  // namespace

TEST(bulkhead_in_a_behaviour, waiters_are_resumed_in_arrival_order_without_blocking) {
  bitactor::node n{bitactor::node_config::deterministic(3)};
  resilience::bulkhead b({.max_concurrent = 1, .max_waiting = 2, .max_wait = 1h});
  std::vector<std::string> log;
  auto held = b.try_enter();  // the test holds the only slot
  std::vector<bitactor::pid> servers;
  for (int i = 0; i < 3; ++i) {
    auto r = otp::start<worker>(n, {}, &b, &log);
    ASSERT_TRUE(r.ok());
    servers.push_back(r.process);
  }
  otp::cast(n, servers[0], work{"a"});
  n.run_until_idle();
  otp::cast(n, servers[1], work{"b"});
  n.run_until_idle();
  otp::cast(n, servers[2], work{"c"});  // the queue holds two: c is rejected
  n.run_until_idle();
  EXPECT_EQ(log, std::vector<std::string>{"c queue_full"});
  EXPECT_EQ(b.waiting(), 2u);

  held->release();
  n.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"c queue_full", "a entered"}));
  otp::cast(n, servers[0], finish{});
  n.run_until_idle();
  EXPECT_EQ(log, (std::vector<std::string>{"c queue_full", "a entered", "b entered"}));
  otp::cast(n, servers[1], finish{});
  n.run_until_idle();
  EXPECT_EQ(b.active(), 0u);
}

namespace {

// A deterministic node, a bulkhead whose one slot the test holds, with one waiting place,
// and a worker that has asked for the slot and waits for it.
struct one_waiter {
  one_waiter(std::uint64_t seed, std::chrono::milliseconds max_wait)
      : n(bitactor::node_config::deterministic(seed)),
        b({.max_concurrent = 1, .max_waiting = 1, .max_wait = max_wait}),
        held(b.try_enter()) {
    auto r = otp::start<worker>(n, {}, &b, &log);
    if (!r.ok()) throw std::runtime_error("the worker did not start: " + r.to_string());
    process = r.process;
    otp::cast(n, process, work{"a"});
    n.run_until_idle();
  }
  bitactor::node n;
  resilience::bulkhead b;
  std::vector<std::string> log;
  std::optional<resilience::bulkhead::permit> held;
  bitactor::pid process;
};

}  // namespace

TEST(bulkhead_in_a_behaviour, a_wait_past_max_wait_is_rejected_on_virtual_time) {
  one_waiter w(4, 500ms);
  w.n.advance_time(499ms);
  EXPECT_TRUE(w.log.empty());
  w.n.advance_time(1ms);
  EXPECT_EQ(w.log, std::vector<std::string>{"a wait_timeout"});
  EXPECT_EQ(w.b.waiting(), 0u);
}

TEST(bulkhead_in_a_behaviour, a_waiter_that_dies_gives_up_its_place) {
  one_waiter w(5, 1h);
  ASSERT_EQ(w.b.waiting(), 1u);
  w.n.exit(w.process, bitactor::exit_reason::kill());
  w.n.run_until_idle();
  EXPECT_EQ(w.b.waiting(), 0u);
  w.held->release();
  EXPECT_EQ(w.b.active(), 0u);  // the slot was not handed to the dead process
  EXPECT_TRUE(w.b.try_enter());
}
