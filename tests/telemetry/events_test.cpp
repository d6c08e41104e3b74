// Telemetry events: attach and detach by prefix, events built only when observed, spans and
// their start/stop/exception events, handlers that throw, emit or attach, and many threads.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/telemetry/events.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace telemetry = bitactor::telemetry;
using telemetry::event;
using telemetry::event_name;

namespace {
/// Detaches on scope exit, so a failed expectation leaves no handler behind.
struct attached {
  telemetry::handler_id id;
  ~attached() { telemetry::detach(id); }
};

std::string joined(const event_name& n) {
  std::string s;
  for (const auto& w : n) s += (s.empty() ? "" : ".") + w;
  return s;
}
}  // namespace

TEST(telemetry_events, nothing_attached_means_disabled_and_the_event_is_never_built) {
  ASSERT_FALSE(telemetry::enabled());
  bool built = false;
  telemetry::execute_with([&] {
    built = true;
    return event{};
  });
  EXPECT_FALSE(built);
}

TEST(telemetry_events, execute_with_builds_the_event_once_something_is_attached) {
  int built = 0, seen = 0;
  attached a{telemetry::attach({"other"}, [&](const event&) { ++seen; })};
  EXPECT_TRUE(telemetry::enabled());
  telemetry::execute_with([&] {
    ++built;
    return event{{"bitactor", "x"}, {}, {}};
  });
  EXPECT_EQ(built, 1) << "enabled() is global: any attached handler makes events get built";
  EXPECT_EQ(seen, 0) << "but only handlers under a matching prefix see them";
}

TEST(telemetry_events, a_handler_gets_only_the_events_under_its_prefix) {
  std::vector<std::string> seen;
  const auto id = telemetry::attach({"bitactor", "db"},
                                    [&](const event& e) { seen.push_back(joined(e.name)); });
  telemetry::execute({{"bitactor", "db", "query"}, {}, {}});
  telemetry::execute({{"bitactor", "db"}, {}, {}});  // the prefix itself is under it
  telemetry::execute({{"bitactor", "http", "request"}, {}, {}});
  telemetry::execute({{"bitactor"}, {}, {}});         // shorter than the prefix
  telemetry::execute({{"bitactor", "dbx"}, {}, {}});  // words match whole
  EXPECT_EQ(seen, (std::vector<std::string>{"bitactor.db.query", "bitactor.db"}));
  EXPECT_TRUE(telemetry::detach(id));
  EXPECT_FALSE(telemetry::enabled());
}

TEST(telemetry_events, an_empty_prefix_sees_every_event) {
  int seen = 0;
  attached a{telemetry::attach({}, [&](const event&) { ++seen; })};
  telemetry::execute({{"a"}, {}, {}});
  telemetry::execute({{"b", "c"}, {}, {}});
  telemetry::execute({{}, {}, {}});
  EXPECT_EQ(seen, 3);
}

TEST(telemetry_events, a_detached_handler_is_not_called_again_and_detach_twice_is_false) {
  int calls = 0;
  const auto id = telemetry::attach({}, [&](const event&) { ++calls; });
  telemetry::execute({{"x"}, {}, {}});
  EXPECT_TRUE(telemetry::detach(id));
  EXPECT_FALSE(telemetry::detach(id));
  EXPECT_FALSE(telemetry::detach(987654321));
  telemetry::execute({{"x"}, {}, {}});
  EXPECT_EQ(calls, 1);
}

TEST(telemetry_events, attaching_an_empty_handler_is_refused) {
  EXPECT_THROW(telemetry::attach({"x"}, telemetry::event_handler{}), std::invalid_argument);
  EXPECT_FALSE(telemetry::enabled());
}

TEST(telemetry_events, handlers_run_in_attach_order_and_see_measurements_and_metadata) {
  std::vector<int> order;
  double rows = 0;
  std::string table;
  attached a{telemetry::attach({"db"}, [&](const event& e) {
    order.push_back(1);
    rows = *e.measurement("rows");
    table = *e.meta("table");
    EXPECT_EQ(e.measurement("none"), nullptr);
    EXPECT_EQ(e.meta("none"), nullptr);
  })};
  attached b{telemetry::attach({"db"}, [&](const event&) { order.push_back(2); })};
  telemetry::execute({{"db", "query"}, {{"rows", 12.0}}, {{"table", "users"}}});
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(rows, 12.0);
  EXPECT_EQ(table, "users");
}

TEST(telemetry_events, a_throwing_handler_does_not_stop_the_others) {
  int calls = 0;
  attached a{telemetry::attach({}, [](const event&) { throw std::runtime_error("observer"); })};
  attached b{telemetry::attach({}, [](const event&) { throw 42; })};
  attached c{telemetry::attach({}, [&](const event&) { ++calls; })};
  EXPECT_NO_THROW(telemetry::execute({{"x"}, {}, {}}));
  EXPECT_EQ(calls, 1);
}

TEST(telemetry_events, a_handler_attached_from_a_handler_sees_only_later_events) {
  int inner_calls = 0;
  std::vector<telemetry::handler_id> added;
  attached outer{telemetry::attach({"x"}, [&](const event&) {
    if (added.empty()) {
      added.push_back(telemetry::attach({"x"}, [&](const event&) { ++inner_calls; }));
    }
  })};
  telemetry::execute({{"x"}, {}, {}});
  EXPECT_EQ(inner_calls, 0) << "the emit in progress keeps the table it started with";
  telemetry::execute({{"x"}, {}, {}});
  EXPECT_EQ(inner_calls, 1);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_TRUE(telemetry::detach(added[0]));
}

TEST(telemetry_events, a_handler_may_detach_itself_and_the_rest_still_run) {
  int later = 0, self_calls = 0;
  telemetry::handler_id self = 0;
  self = telemetry::attach({}, [&](const event&) {
    ++self_calls;
    telemetry::detach(self);
  });
  attached b{telemetry::attach({}, [&](const event&) { ++later; })};
  telemetry::execute({{"x"}, {}, {}});
  telemetry::execute({{"x"}, {}, {}});
  EXPECT_EQ(self_calls, 1);
  EXPECT_EQ(later, 2);
}

TEST(telemetry_events, a_handler_may_emit_events_which_reach_every_handler) {
  std::vector<std::string> seen;
  attached a{telemetry::attach({"outer"}, [&](const event&) {
    // A nested emit that also changes the table while the outer emit walks it.
    attached inner{telemetry::attach({"nowhere"}, [](const event&) {})};
    telemetry::execute({{"inner"}, {}, {}});
  })};
  attached b{telemetry::attach({}, [&](const event& e) { seen.push_back(joined(e.name)); })};
  telemetry::execute({{"outer"}, {}, {}});
  EXPECT_EQ(seen, (std::vector<std::string>{"inner", "outer"}));
}

TEST(telemetry_events, a_span_with_nothing_attached_just_runs) {
  ASSERT_FALSE(telemetry::enabled());
  EXPECT_EQ(telemetry::span({"db", "query"}, {}, [] { return 7; }), 7);
  EXPECT_THROW(telemetry::span({"db", "query"}, {}, []() -> int { throw std::logic_error("x"); }),
               std::logic_error);
}

TEST(telemetry_events, a_span_emits_start_then_stop_with_its_metadata_and_times) {
  std::vector<event> seen;
  attached a{telemetry::attach({"db", "query"}, [&](const event& e) { seen.push_back(e); })};
  const int n = telemetry::span({"db", "query"}, {{"table", "users"}}, [] { return 12; });
  EXPECT_EQ(n, 12);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].name, (event_name{"db", "query", "start"}));
  EXPECT_EQ(seen[1].name, (event_name{"db", "query", "stop"}));
  for (const auto& e : seen) {
    ASSERT_NE(e.meta("table"), nullptr);
    EXPECT_EQ(*e.meta("table"), "users");
  }
  ASSERT_NE(seen[0].measurement("monotonic_time"), nullptr);
  ASSERT_NE(seen[0].measurement("system_time"), nullptr);
  EXPECT_GT(*seen[0].measurement("system_time"), 1.5e18) << "nanoseconds since 1970";
  ASSERT_NE(seen[1].measurement("duration"), nullptr);
  ASSERT_NE(seen[1].measurement("monotonic_time"), nullptr);
  EXPECT_GE(*seen[1].measurement("duration"), 0.0);
  EXPECT_EQ(*seen[1].measurement("monotonic_time") - *seen[0].measurement("monotonic_time"),
            *seen[1].measurement("duration"))
      << "the stop's time is the start's plus the duration";
}

TEST(telemetry_events, a_void_span_emits_start_and_stop) {
  std::vector<std::string> seen;
  attached a{telemetry::attach({"job"}, [&](const event& e) { seen.push_back(e.name.back()); })};
  bool ran = false;
  telemetry::span({"job"}, {}, [&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_EQ(seen, (std::vector<std::string>{"start", "stop"}));
}

TEST(telemetry_events, a_span_that_throws_emits_exception_with_the_reason_and_rethrows) {
  std::vector<event> seen;
  attached a{telemetry::attach({"db"}, [&](const event& e) { seen.push_back(e); })};
  try {
    telemetry::span({"db", "query"}, {{"table", "users"}},
                    []() -> int { throw std::runtime_error("connection lost"); });
    ADD_FAILURE() << "the span must rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "connection lost");
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].name, (event_name{"db", "query", "exception"}));
  EXPECT_EQ(*seen[1].meta("table"), "users");
  EXPECT_EQ(*seen[1].meta("kind"), "exception");
  EXPECT_EQ(*seen[1].meta("reason"), "connection lost");
  EXPECT_NE(seen[1].measurement("duration"), nullptr);
  EXPECT_NE(seen[1].measurement("monotonic_time"), nullptr);
}

TEST(telemetry_events, a_span_that_throws_something_not_an_exception_gives_reason_unknown) {
  std::string reason;
  attached a{
      telemetry::attach({"job", "exception"}, [&](const event& e) { reason = *e.meta("reason"); })};
  EXPECT_THROW(telemetry::span({"job"}, {}, [] { throw 5; }), int);
  EXPECT_EQ(reason, "unknown");
}

TEST(telemetry_events, a_span_decides_at_its_start_so_it_never_emits_a_lone_stop) {
  std::vector<std::string> seen;
  telemetry::handler_id id = 0;
  ASSERT_FALSE(telemetry::enabled());
  telemetry::span({"job"}, {}, [&] {
    id = telemetry::attach({"job"}, [&](const event& e) { seen.push_back(e.name.back()); });
  });
  EXPECT_TRUE(telemetry::detach(id));
  EXPECT_TRUE(seen.empty()) << "nothing was attached when the span started";
}

TEST(telemetry_events, a_span_returns_a_move_only_value) {
  attached a{telemetry::attach({}, [](const event&) {})};
  auto p = telemetry::span({"job"}, {}, [] { return std::make_unique<int>(3); });
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 3);
}

// Every event of every emitting thread reaches a handler attached throughout, while other
// handlers come and go on another thread.
TEST(telemetry_events, emits_from_many_threads_while_handlers_attach_and_detach) {
  constexpr int threads = 4, per_thread = 20000;
  std::atomic<long> counted{0};
  attached steady{telemetry::attach({"load"}, [&](const event& e) {
    counted.fetch_add(static_cast<long>(*e.measurement("n")), std::memory_order_relaxed);
  })};
  std::atomic<bool> stop{false};
  std::atomic<long> churned_calls{0};
  std::thread churn([&] {
    while (!stop.load()) {
      const auto id = telemetry::attach(
          {"load"}, [&](const event&) { churned_calls.fetch_add(1, std::memory_order_relaxed); });
      telemetry::detach(id);
    }
  });
  std::vector<std::thread> emitters;
  for (int t = 0; t < threads; ++t) {
    emitters.emplace_back([] {
      for (int i = 0; i < per_thread; ++i) {
        telemetry::execute_with([] { return event{{"load", "tick"}, {{"n", 1.0}}, {}}; });
      }
    });
  }
  for (auto& t : emitters) t.join();
  stop = true;
  churn.join();
  EXPECT_EQ(counted.load(), long{threads} * per_thread);
}
