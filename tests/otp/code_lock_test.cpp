// OTP's code lock example (gen_statem guide) pinned down: enter calls lock and unlock, the
// right code opens, the open state's state timeout locks again, a pause forgets digits.
#include <gtest/gtest.h>

#include <code_lock/code_lock.hpp>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

struct fixture {
  node n{deterministic()};
  inbox door{n};
  pid lock;
  fixture() {
    auto r = start<code_lock::code_lock>(n, {}, std::string("123"), door.self());
    EXPECT_TRUE(r.ok()) << r.to_string();
    lock = r.process;
  }
  void press(const std::string& digits) {
    for (char d : digits) cast(n, lock, code_lock::button{d});
    n.run_until_idle();
  }
  std::vector<std::string> events() {
    n.run_until_idle();
    std::vector<std::string> out;
    while (auto e = door.receive<code_lock::lock_event>(0ms)) out.push_back(e->what);
    return out;
  }
};

using strings = std::vector<std::string>;

}  // namespace

TEST(code_lock, starts_locked_through_the_enter_call) {
  fixture f;
  EXPECT_EQ(f.events(), strings{"locked"});
}

TEST(code_lock, right_code_unlocks) {
  fixture f;
  f.events();
  f.press("123");
  EXPECT_EQ(f.events(), strings{"unlocked"});
}

TEST(code_lock, wrong_digits_before_the_right_code_are_dropped) {
  fixture f;
  f.events();
  f.press("9912");
  EXPECT_TRUE(f.events().empty());
  f.press("3");
  EXPECT_EQ(f.events(), strings{"unlocked"});
}

TEST(code_lock, open_door_locks_again_after_the_state_timeout) {
  fixture f;
  f.events();
  f.press("123");
  f.events();
  f.n.advance_time(code_lock::open_time - 1ms);
  EXPECT_TRUE(f.events().empty());
  f.n.advance_time(1ms);
  EXPECT_EQ(f.events(), strings{"locked"});
}

TEST(code_lock, buttons_while_open_do_not_extend_the_open_time) {
  fixture f;
  f.events();
  f.press("123");
  f.n.advance_time(5s);
  f.press("1");
  f.n.advance_time(5s);
  EXPECT_EQ(f.events(), (strings{"unlocked", "locked"}));
}

TEST(code_lock, a_pause_longer_than_the_button_timeout_forgets_the_digits) {
  fixture f;
  f.events();
  f.press("12");
  f.n.advance_time(code_lock::button_time);
  f.press("3");
  EXPECT_TRUE(f.events().empty());
}

TEST(code_lock, code_length_is_answered_in_any_state) {
  fixture f;
  EXPECT_EQ(call(f.n, f.lock, code_lock::code_length{}), 3u);
  f.press("123");
  EXPECT_EQ(call(f.n, f.lock, code_lock::code_length{}), 3u);
}
