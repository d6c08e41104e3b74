// The events hook: prefix matching, detach, and the zero-cost check with nothing attached.
#include <gtest/gtest.h>

#include <bitactor/resilience/events.hpp>
#include <string>
#include <vector>

namespace resilience = bitactor::resilience;
using resilience::event;

TEST(events, nothing_attached_means_disabled_and_the_event_is_never_built) {
  ASSERT_FALSE(resilience::enabled());
  bool built = false;
  resilience::emit_with([&] {
    built = true;
    return event{};
  });
  EXPECT_FALSE(built);
}

TEST(events, a_handler_gets_only_the_events_under_its_prefix) {
  std::vector<std::string> seen;
  auto id = resilience::attach({"bitactor", "breaker"},
                               [&](const event& e) { seen.push_back(e.name.back()); });
  EXPECT_TRUE(resilience::enabled());
  resilience::emit(event{{"bitactor", "breaker", "state_change"}, {}, {}});
  resilience::emit(event{{"bitactor", "retry", "attempt_failed"}, {}, {}});
  resilience::emit(event{{"bitactor"}, {}, {}});  // shorter than the prefix
  EXPECT_EQ(seen, std::vector<std::string>{"state_change"});
  EXPECT_TRUE(resilience::detach(id));
  EXPECT_FALSE(resilience::enabled());
}

TEST(events, a_detached_handler_is_not_called_again) {
  int calls = 0;
  auto id = resilience::attach({}, [&](const event&) { ++calls; });
  resilience::emit(event{{"x"}, {}, {}});
  EXPECT_TRUE(resilience::detach(id));
  EXPECT_FALSE(resilience::detach(id));
  resilience::emit(event{{"x"}, {}, {}});
  EXPECT_EQ(calls, 1);
}

TEST(events, a_throwing_handler_does_not_stop_the_others) {
  int calls = 0;
  auto a = resilience::attach({}, [](const event&) { throw 1; });
  auto b = resilience::attach({}, [&](const event&) { ++calls; });
  resilience::emit(event{{"x"}, {{"n", 1.0}}, {{"k", "v"}}});
  EXPECT_EQ(calls, 1);
  resilience::detach(a);
  resilience::detach(b);
}

TEST(events, measurements_and_metadata_are_found_by_key) {
  event e{{"x"}, {{"count", 3.0}}, {{"code", "db"}}};
  ASSERT_NE(e.measurement("count"), nullptr);
  EXPECT_EQ(*e.measurement("count"), 3.0);
  EXPECT_EQ(*e.meta("code"), "db");
  EXPECT_EQ(e.measurement("none"), nullptr);
  EXPECT_EQ(e.meta("none"), nullptr);
}
