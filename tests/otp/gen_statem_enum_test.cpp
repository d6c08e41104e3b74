// gen_statem with states of an enum: transitions, enter calls, names in reports, and the
// errors of a machine that mixes names and enums or uses a value out of range.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_statem.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace turnstile_states {
enum class turnstile { locked, unlocked };
const char* to_string(turnstile s) { return s == turnstile::locked ? "locked" : "unlocked"; }
}  // namespace turnstile_states

namespace {
using turnstile_states::turnstile;

struct coin {};
struct push {};
struct where {
  using reply = std::string;
};

class gate : public gen_statem {
 public:
  explicit gate(pid observer) : observer_(observer) {}

 protected:
  void init() override {
    state_enter(true);
    on_state(turnstile::locked, &gate::locked);
    on_state(turnstile::unlocked, &gate::unlocked);
    start_in(turnstile::locked);
  }

 private:
  void locked(event& e) {
    if (e.is_enter()) return note_entry(e);
    if (answer_where(e)) return;
    if (e.get_if<coin>()) next_state(turnstile::unlocked);
  }
  void unlocked(event& e) {
    if (e.is_enter()) return note_entry(e);
    if (answer_where(e)) return;
    if (e.get_if<push>()) next_state(turnstile::locked);
  }
  void note_entry(event& e) {
    const bool typed_agrees = e.old_state_as<turnstile>() == turnstile::locked
                                  ? e.old_state() == "locked"
                                  : e.old_state() == "unlocked";
    send(observer_, note{"enter " + state() + " from " + e.old_state() +
                         (typed_agrees && in(state_as<turnstile>()) ? "" : " (mismatch)")});
  }
  bool answer_where(event& e) {
    if (!e.get_if<where>()) return false;
    e.reply(state());
    return true;
  }

  pid observer_;
};

template <class T>
cast_request cast_of(T value) {
  return cast_request{message_ptr(make_message<T>(std::move(value)))};
}

TEST(gen_statem_enum, states_of_an_enum_transition_and_are_named_by_their_to_string) {
  node n{deterministic()};
  inbox box{n};
  auto r = start<gate>(n, {}, box.self());
  ASSERT_TRUE(r.ok());
  auto next_note = [&] {
    auto m = box.receive<note>(1s);
    return m ? m->text : std::string("(no note)");
  };
  EXPECT_EQ(next_note(), "enter locked from locked");
  n.send(r.process, cast_of(coin{}));
  EXPECT_EQ(next_note(), "enter unlocked from locked");
  EXPECT_EQ(call(n, r.process, where{}), "unlocked");
  n.send(r.process, cast_of(coin{}));  // no change: no enter call
  n.send(r.process, cast_of(push{}));
  EXPECT_EQ(next_note(), "enter locked from unlocked");
  EXPECT_EQ(call(n, r.process, where{}), "locked");
}

enum class unnamed { first, second };

TEST(gen_statem_enum, a_state_without_to_string_is_named_by_its_number) {
  struct strict : gen_statem {
    void init() override {
      on_state(unnamed::first, [this](event&) { next_state(unnamed::second); });
      start_in(unnamed::first);
    }
  };
  node n{deterministic()};
  inbox box{n};
  auto r = start<strict>(n, {});
  ASSERT_TRUE(r.ok());
  box.monitor(r.process);
  n.send(r.process, 1);  // first -> second
  n.send(r.process, 2);  // second has no function and there is no handle_event: a crash
  auto down = box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->reason.to_string(), R"({unexpected_event,info,<<"int">>,<<"1">>})");
}

TEST(gen_statem_enum, a_machine_mixing_names_and_an_enum_fails_to_start) {
  struct mixed : gen_statem {
    void init() override {
      on_state("named", [](event&) {});
      start_in(unnamed::first);
    }
  };
  node n{deterministic()};
  auto r = start<mixed>(n, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason.to_string().find("either names or one enum"), std::string::npos)
      << r.reason.to_string();
}

enum class sparse : int { low = 0, huge = 5000 };

TEST(gen_statem_enum, an_enum_value_out_of_range_fails_to_start) {
  struct wide : gen_statem {
    void init() override { start_in(sparse::huge); }
  };
  node n{deterministic()};
  auto r = start<wide>(n, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason.to_string().find("std::out_of_range"), std::string::npos)
      << r.reason.to_string();
}

}  // namespace
