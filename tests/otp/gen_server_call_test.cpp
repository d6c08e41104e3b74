// How a gen_server answers calls beyond a plain return value: a handle_call written as a
// coroutine (async_reply), and a call the server has no handler for.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/term/match.hpp>
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
