// How a gen_server answers calls beyond a plain return value: a handle_call written as a
// coroutine (async_reply), and a call the server has no handler for.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/term/match.hpp>
#include <bitactor/term/print.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

struct price_of {
  std::string item;
  using reply = int;
};
/// A back end that answers price_of after `delay`, so the front end's coroutine really waits.
class catalogue : public gen_server {
 public:
  explicit catalogue(std::chrono::milliseconds delay = 0ms) : delay_(delay) {}

 protected:
  struct answer {
    from to;
    int price;
  };
  void handle_call(call_context& c) override {
    c.match([&](price_of& p) {
      const int price = static_cast<int>(p.item.size()) * 10;
      if (delay_ == 0ms) {
        c.reply(price);
      } else {
        start_timer(self(), delay_, answer{c.defer(), price});
      }
    });
  }
  void handle_info(message& m) override {
    if (auto* t = m.get_if<timeout_msg<answer>>()) reply(t->message.to, t->message.price);
  }

 private:
  std::chrono::milliseconds delay_;
};

struct quote {  // price with tax, asked of the front end
  std::string item;
  using reply = int;
};
struct quote_now {  // answered without waiting, through an async_reply all the same
  int value;
  using reply = int;
};
struct quote_broken {  // the coroutine throws after its wait
  std::string item;
  using reply = int;
};

class front_end : public gen_server {
 public:
  explicit front_end(pid back_end) : back_end_(back_end) {}

 protected:
  void handle_call(call_context& c) override {
    c.match([&](quote& q) { return with_tax(q); }, [&](quote_now& q) { return at_once(q); },
            [&](quote_broken& q) { return broken(q); });
  }

 private:
  async_reply<int> with_tax(quote q) {
    price_of ask{q.item};
    int price = co_await call(back_end_, std::move(ask));
    co_return price + price / 10;
  }
  async_reply<int> at_once(quote_now q) { co_return q.value; }
  async_reply<int> broken(quote_broken q) {
    price_of ask{q.item};
    co_await call(back_end_, std::move(ask));
    throw std::domain_error("no tax rate for " + q.item);
  }

  pid back_end_;
};

struct both_policies_call : ::testing::TestWithParam<scheduling_policy> {};

TEST_P(both_policies_call, an_async_reply_answers_with_what_the_coroutine_returns) {
  node n{config_for(GetParam())};
  auto back = start<catalogue>(n, {}, 5ms);
  ASSERT_TRUE(back.ok());
  auto front = start<front_end>(n, {}, back.process);
  ASSERT_TRUE(front.ok());
  EXPECT_EQ(call(n, front.process, quote{"book"}), 44);  // 40 + 10%
  EXPECT_EQ(call(n, front.process, quote_now{7}), 7);
  EXPECT_EQ(call(n, front.process, quote{"pen"}), 33) << "the server keeps answering";
}

TEST_P(both_policies_call, an_async_reply_that_throws_crashes_the_server_and_fails_the_caller) {
  node n{config_for(GetParam())};
  report_capture reports;
  auto back = start<catalogue>(n, {});
  ASSERT_TRUE(back.ok());
  auto front = start<front_end>(n, {}, back.process);
  ASSERT_TRUE(front.ok());
  try {
    call(n, front.process, quote_broken{"gift"});
    FAIL() << "the call should fail";
  } catch (const call_error& e) {
    EXPECT_EQ(e.reason().code(), exit_reason::kind::exception);
    EXPECT_NE(e.reason().to_string().find("no tax rate for gift"), std::string::npos)
        << e.reason().to_string();
  }
  EXPECT_FALSE(n.is_alive(front.process));
  EXPECT_EQ(reports.of_kind(report::kind::crash).size(), 1U);
}

TEST_P(both_policies_call, a_finished_call_leaves_no_monitor_on_either_side) {
  // gen:call demonitors its server once the reply is in; here the server ends the caller's
  // monitor as it replies, so nothing of the call is left on either side when the reply
  // arrives (no demonitor signal still on its way to the server).
  node n{config_for(GetParam())};
  auto at_once = start<catalogue>(n, {});
  auto later = start<catalogue>(n, {}, 1ms);  // replies from handle_info, deferred
  ASSERT_TRUE(at_once.ok() && later.ok());
  for (const pid& back : {at_once.process, later.process}) {
    auto front = start<front_end>(n, {}, back);
    ASSERT_TRUE(front.ok());
    for (int i = 0; i < 3; ++i) ASSERT_EQ(call(n, front.process, quote{"book"}), 44);
    auto back_info = n.info(back);
    auto front_info = n.info(front.process);
    ASSERT_TRUE(back_info && front_info);
    EXPECT_TRUE(back_info->monitored_by.empty()) << back_info->monitored_by.size();
    EXPECT_TRUE(front_info->monitors.empty()) << front_info->monitors.size();
    EXPECT_TRUE(front_info->monitored_by.empty()) << "the thread's call ended its monitor too";
  }
}

INSTANTIATE_TEST_SUITE_P(policies, both_policies_call, both_policies, policy_name);

// --- a call the server has no handler for ---------------------------------------------------

struct rename_item {
  std::string from, to;
  using reply = ok_t;
};

/// Answers price_of only, and says so.
class price_list : public gen_server {
 public:
  using calls = otp::calls<price_of>;

 protected:
  void handle_call(call_context& c) override {
    c.match([&](price_of& p) { return static_cast<int>(p.item.size()); });
  }
};

TEST(gen_server_call, a_request_no_handler_takes_fails_the_caller_at_once_naming_its_type) {
  node n{deterministic()};
  report_capture reports;
  auto r = start<price_list>(n, {});
  ASSERT_TRUE(r.ok());
  try {
    // No timeout to wait out: a long one shows the caller is not left waiting for it.
    call(n, r.process, rename_item{"a", "b"}, std::chrono::hours(1));
    FAIL() << "the call should fail";
  } catch (const call_error& e) {
    const term::term reason = e.reason().as_term();
    ASSERT_TRUE(term::match(reason, term::tuple(term::atom("unexpected_call"), term::any())))
        << e.reason();
    EXPECT_NE(reason.as_tuple()[1].as_binary_view().find("rename_item"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rename_item"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(n.is_alive(r.process)) << "as OTP: a call with no clause crashes the server";
  EXPECT_EQ(reports.of_kind(report::kind::crash).size(), 1U);
}

// Whether `call(node, ref, req)` compiles for a typed reference.
template <class S, class Req>
concept callable_through_ref = requires(node& n, server_ref<S> s, Req q) {
  otp::call(n, s, std::move(q));
};

TEST(gen_server_call, a_typed_reference_accepts_only_the_requests_the_server_lists) {
  static_assert(answers<price_list, price_of>);
  static_assert(!answers<price_list, rename_item>);
  static_assert(callable_through_ref<price_list, price_of>);
  static_assert(!callable_through_ref<price_list, rename_item>,
                "a request the server does not list must not compile");
  static_assert(callable_through_ref<catalogue, rename_item>,
                "a server that lists nothing is checked when it runs");
  node n{deterministic()};
  auto r = start<price_list>(n, {});
  ASSERT_TRUE(r.ok());
  server_ref<price_list> prices{r.process};
  EXPECT_EQ(call(n, prices, price_of{"lamp"}), 4);
}

}  // namespace

// --- calls and casts in gen's term form (what an Erlang node sends) -------------------------

namespace {

/// Counts in a term, for callers that speak terms.
class term_counter : public gen_server {
 protected:
  void handle_call(call_context& c) override {
    c.match([&](term::term& req) -> term::term {
      if (req.is_atom("get")) return term::term(count_);
      if (req.is_atom("incr")) return term::term(++count_);
      if (req.is_atom("not_a_term")) {
        // A C++ value as the reply to a call from Erlang: the server fails, naming the type.
        struct opaque {};
        c.reply(opaque{});
      }
      return term::tuple(term::atom("error"), req);
    });
  }
  void handle_cast(message& m) override {
    if (auto* t = m.get_if<term::term>(); t != nullptr && t->is_atom("incr")) ++count_;
  }

 private:
  std::int64_t count_ = 0;
};

/// Sends `{'$gen_call', {Box, Tag}, Req}` and returns the `{Tag, Reply}` that comes back.
term::term erlang_call(node& n, inbox& box, const pid& server, term::term request,
                       const term::term& tag) {
  n.send(server, term::tuple(term::atom("$gen_call"), term::tuple(to_term_pid(box.self()), tag),
                             std::move(request)));
  auto answer = box.receive<term::term>(1s);
  return answer ? *answer : term::atom("no_answer");
}

}  // namespace

TEST(gen_server_erlang_form, a_call_and_a_cast_in_term_form_reach_handle_call_and_handle_cast) {
  node n{deterministic()};
  inbox box{n};
  auto r = start<term_counter>(n, {});
  ASSERT_TRUE(r.ok());
  n.send(r.process, term::tuple(term::atom("$gen_cast"), term::atom("incr")));
  n.send(r.process, term::tuple(term::atom("$gen_cast"), term::atom("incr")));
  const term::term tag = term::term(to_term_ref(n.make_ref()));
  EXPECT_EQ(erlang_call(n, box, r.process, term::atom("get"), tag),
            term::tuple(tag, term::term(2)));
  // OTP 25's alias tag, an improper list [alias|Ref], comes back exactly as it was sent.
  const term::term alias_tag =
      term::list_from({term::atom("alias")}, term::term(to_term_ref(n.make_ref())));
  EXPECT_EQ(erlang_call(n, box, r.process, term::atom("other"), alias_tag),
            term::tuple(alias_tag, term::tuple(term::atom("error"), term::atom("other"))));
}

TEST(gen_server_erlang_form, a_reply_that_is_not_a_term_fails_the_server_naming_the_type) {
  node n{deterministic()};
  inbox box{n};
  report_capture reports;
  auto r = start<term_counter>(n, {});
  ASSERT_TRUE(r.ok());
  ref mon = box.monitor(r.process);
  n.send(r.process, term::tuple(term::atom("$gen_call"),
                                term::tuple(to_term_pid(box.self()), term::atom("tag")),
                                term::atom("not_a_term")));
  auto down = box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, mon);
  EXPECT_NE(down->reason.to_string().find("must be a term"), std::string::npos)
      << down->reason.to_string();
  EXPECT_NE(down->reason.to_string().find("opaque"), std::string::npos);
}

TEST(gen_server_erlang_form, a_term_that_is_not_gen_form_goes_to_handle_info) {
  struct keeps_info : gen_server {
    explicit keeps_info(pid observer) : observer_(observer) {}
    void handle_info(message& m) override {
      if (auto* t = m.get_if<term::term>()) send(observer_, note{term::to_string(*t)});
    }
    pid observer_;
  };
  node n{deterministic()};
  inbox box{n};
  auto r = start<keeps_info>(n, {}, box.self());
  ASSERT_TRUE(r.ok());
  // A '$gen_call' whose From is not {Pid, Tag} is not a call.
  n.send(r.process, term::tuple(term::atom("$gen_call"), term::atom("nobody"), term::atom("x")));
  auto seen = box.receive<note>(1s);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->text, "{'$gen_call',nobody,x}");
}

namespace {
/// Asks `server` (which answers terms) for its total with a term call, from inside a
/// behaviour, and replies to its own caller with what came back.
struct relay_total {
  using reply = std::int64_t;
};
class term_relay : public gen_server {
 public:
  explicit term_relay(pid server) : server_(server) {}

 protected:
  void handle_call(call_context& c) override {
    c.match([&](relay_total&) { return relay(); });
  }

 private:
  async_reply<std::int64_t> relay() {
    term::term ask = term::atom("get");
    term::term answer = co_await call(server_, std::move(ask));
    co_return answer.as_int();
  }
  pid server_;
};
}  // namespace

TEST(gen_server_erlang_form, a_term_call_from_a_thread_and_from_a_behaviour_gets_the_term_reply) {
  node n{deterministic()};
  auto counter = start<term_counter>(n, {});
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(call(n, counter.process, term::atom("incr")), term::term(1));
  EXPECT_EQ(call(n, counter.process, term::atom("get")), term::term(1));
  EXPECT_EQ(call(n, counter.process, term::atom("what")),
            term::tuple(term::atom("error"), term::atom("what")));
  auto relay = start<term_relay>(n, {}, counter.process);
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(call(n, relay.process, relay_total{}), 1);
}

TEST(gen_server_erlang_form, a_term_call_to_a_dead_server_fails_with_noproc) {
  node n{deterministic()};
  pid gone = n.spawn([](actor& self, message&) { self.exit(exit_reason::normal()); });
  n.send(gone, 0);
  n.run_until_idle();
  try {
    call(n, gone, term::atom("get"), 1s);
    FAIL() << "the call should fail";
  } catch (const call_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::noproc());
  }
}
