// gen_statem as OTP 25's gen_statem(3) defines it: both callback modes, state enter calls,
// the three kinds of timeout, postpone, inserted events, calls with deferred replies, stop.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_statem.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

class probe;

/// An event whose handling is scripted by the test: `act` runs each time the machine
/// handles it (again when a postponed event is retried).
struct step {
  std::string label;
  std::function<void(probe&, event&)> act;
};
struct ask {  // a call answered by its script
  std::string label;
  std::function<void(probe&, event&)> act;
  using reply = std::string;
};

/// A machine that tells the observer about every event ("state type label") and runs the
/// scripts it is given. Its actions are public so scripts can use them.
class probe : public gen_statem {
 public:
  probe(pid observer, bool functions_mode, bool enter = true)
      : observer_(observer), functions_mode_(functions_mode), enter_(enter) {}

  using gen_statem::cancel_event_timeout;
  using gen_statem::cancel_generic_timeout;
  using gen_statem::cancel_state_timeout;
  using gen_statem::event_timeout;
  using gen_statem::generic_timeout;
  using gen_statem::next_event;
  using gen_statem::next_state;
  using gen_statem::postpone;
  using gen_statem::repeat_state;
  using gen_statem::state_timeout;
  using gen_statem::stop;
  using gen_statem::stop_and_reply;

 protected:
  void init() override {
    state_enter(enter_);
    if (functions_mode_) {
      on_state("a", [this](event& e) { record("fn_a", e); });
      on_state("b", [this](event& e) { record("fn_b", e); });
    }
    start_in("a");
  }
  void handle_event(event& e) override { record("handle_event", e); }
  void terminate(const exit_reason& r) override {
    send(observer_, note{"terminate " + state() + " " + r.to_string()});
  }

 private:
  void record(const std::string& via, event& e) {
    std::string label;
    if (e.is_enter()) label = "from " + e.old_state();
    if (auto* s = e.get_if<step>()) label = s->label;
    if (auto* a = e.get_if<ask>()) label = a->label;
    if (auto* text = e.get_if<std::string>()) label = *text;
    if (e.type() == event_type::generic_timeout) label = e.timeout_name() + " " + label;
    send(observer_, note{via + " " + state() + " " + to_string(e.type()) +
                         (label.empty() ? "" : " " + label)});
    if (auto* s = e.get_if<step>()) s->act(*this, e);
    if (auto* a = e.get_if<ask>()) a->act(*this, e);
    if (auto* caller = e.get_if<from>()) reply(*caller, "late answer from " + state());
  }

  pid observer_;
  bool functions_mode_;
  bool enter_;
};

struct fixture {
  node n{deterministic()};
  inbox box{n};
  pid m;

  explicit fixture(bool functions_mode = false, bool enter = true) {
    auto r = start<probe>(n, {}, box.self(), functions_mode, enter);
    EXPECT_TRUE(r.ok()) << r.to_string();
    m = r.process;
  }
  void script(std::string label, std::function<void(probe&, event&)> act = {}) {
    if (!act) act = [](probe&, event&) {};
    cast(n, m, step{std::move(label), std::move(act)});
  }
  std::string next_note(std::chrono::milliseconds wait = 1s) {
    auto got = box.receive<note>(wait);
    return got ? got->text : "<none>";
  }
  /// Every note until the machine is idle.
  std::vector<std::string> notes() {
    n.run_until_idle();
    std::vector<std::string> out;
    while (auto got = box.receive<note>(0ms)) out.push_back(got->text);
    return out;
  }
};

using strings = std::vector<std::string>;

}  // namespace

// --- start and callback modes ---------------------------------------------------------------

TEST(gen_statem, initial_state_gets_an_enter_call_with_itself_as_old_state) {
  fixture f;
  EXPECT_EQ(f.notes(), strings{"handle_event a enter from a"});
}

TEST(gen_statem, state_functions_mode_calls_the_function_of_the_current_state) {
  fixture f(true);
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  f.script("x");
  EXPECT_EQ(f.notes(), (strings{"fn_a a enter from a", "fn_a a cast go", "fn_b b enter from a",
                                "fn_b b cast x"}));
}

TEST(gen_statem, handle_event_mode_sees_casts_calls_and_infos_with_the_state) {
  fixture f;
  f.notes();
  f.script("c");
  f.n.send(f.m, std::string("hello"));
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast c", "handle_event a info hello"}));
}

TEST(gen_statem, no_enter_calls_unless_state_enter_is_on) {
  fixture f(false, false);
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  EXPECT_EQ(f.notes(), strings{"handle_event a cast go"});
}

TEST(gen_statem, init_without_initial_state_fails_the_start) {
  struct stateless : gen_statem {};
  node n{deterministic()};
  auto r = start<stateless>(n, {});
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.reason.is("no_initial_state")) << r.reason;
}

// --- state enter calls ------------------------------------------------------------------------

TEST(gen_statem, state_change_makes_an_enter_call_naming_the_old_state) {
  fixture f;
  f.notes();
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast go", "handle_event b enter from a"}));
}

TEST(gen_statem, next_state_to_the_same_state_makes_no_enter_call) {
  fixture f;
  f.notes();
  f.script("stay", [](probe& p, event&) { p.next_state("a"); });
  EXPECT_EQ(f.notes(), strings{"handle_event a cast stay"});
}

TEST(gen_statem, repeat_state_makes_the_enter_call_again) {
  fixture f;
  f.notes();
  f.script("again", [](probe& p, event&) { p.repeat_state(); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast again", "handle_event a enter from a"}));
}

// --- timeouts -------------------------------------------------------------------------------

TEST(gen_statem, event_timeout_fires_when_no_event_arrives) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) { p.event_timeout(100ms, std::string("idle")); });
  f.n.run_until_idle();
  f.n.advance_time(99ms);
  EXPECT_EQ(f.notes(), strings{"handle_event a cast arm"});
  f.n.advance_time(1ms);
  EXPECT_EQ(f.notes(), strings{"handle_event a timeout idle"});
}

TEST(gen_statem, event_timeout_is_cancelled_by_any_event) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) { p.event_timeout(100ms, std::string("idle")); });
  f.n.advance_time(50ms);
  f.n.send(f.m, std::string("poke"));
  f.n.advance_time(200ms);
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast arm", "handle_event a info poke"}));
}

TEST(gen_statem, event_timeout_does_not_start_while_inserted_events_are_queued) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) {
    p.event_timeout(100ms, std::string("idle"));
    p.next_event(std::string("inserted"));  // an event already queued cancels it at once
  });
  f.n.advance_time(500ms);
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast arm", "handle_event a internal inserted"}));
}

TEST(gen_statem, state_timeout_fires_despite_other_events_in_the_same_state) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) { p.state_timeout(100ms, std::string("st")); });
  f.n.advance_time(50ms);
  f.script("other");
  f.n.advance_time(50ms);
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast arm", "handle_event a cast other",
                                "handle_event a state_timeout st"}));
}

TEST(gen_statem, state_timeout_is_cancelled_by_a_state_change) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) { p.state_timeout(100ms, std::string("st")); });
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  f.n.advance_time(500ms);
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast arm", "handle_event a cast go",
                                "handle_event b enter from a"}));
}

TEST(gen_statem, state_timeout_set_again_restarts_it_and_can_be_cancelled) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) { p.state_timeout(100ms, std::string("st")); });
  f.n.advance_time(80ms);
  f.script("rearm", [](probe& p, event&) { p.state_timeout(100ms, std::string("st")); });
  f.n.advance_time(80ms);  // 160 ms after the first: a restarted timer has not fired yet
  EXPECT_EQ(f.notes().size(), 2u);
  f.n.advance_time(20ms);
  EXPECT_EQ(f.notes(), strings{"handle_event a state_timeout st"});
  f.script("arm", [](probe& p, event&) { p.state_timeout(100ms, std::string("st")); });
  f.script("cancel", [](probe& p, event&) { p.cancel_state_timeout(); });
  f.n.advance_time(300ms);
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast arm", "handle_event a cast cancel"}));
}

TEST(gen_statem, state_timeout_set_with_the_state_change_runs_in_the_new_state) {
  fixture f;
  f.notes();
  f.script("go", [](probe& p, event&) {
    p.next_state("b");
    p.state_timeout(100ms, std::string("in_b"));
  });
  f.n.advance_time(100ms);
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast go", "handle_event b enter from a",
                                "handle_event b state_timeout in_b"}));
}

TEST(gen_statem, generic_timeouts_are_named_and_survive_state_changes) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) {
    p.generic_timeout("t1", 100ms, std::string("one"));
    p.generic_timeout("t2", 200ms, std::string("two"));
  });
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  f.n.advance_time(200ms);
  EXPECT_EQ(
      f.notes(),
      (strings{"handle_event a cast arm", "handle_event a cast go", "handle_event b enter from a",
               "handle_event b generic_timeout t1 one", "handle_event b generic_timeout t2 two"}));
}

TEST(gen_statem, generic_timeout_can_be_restarted_or_cancelled_by_name) {
  fixture f;
  f.notes();
  f.script("arm", [](probe& p, event&) {
    p.generic_timeout("t1", 100ms, std::string("one"));
    p.generic_timeout("t2", 100ms, std::string("two"));
  });
  f.n.advance_time(50ms);
  f.script("change", [](probe& p, event&) {
    p.generic_timeout("t1", 100ms, std::string("one again"));
    p.cancel_generic_timeout("t2");
  });
  f.n.advance_time(60ms);  // 110 ms: neither fired (t1 restarted, t2 cancelled)
  EXPECT_EQ(f.notes().size(), 2u);
  f.n.advance_time(40ms);
  EXPECT_EQ(f.notes(), strings{"handle_event a generic_timeout t1 one again"});
}

// --- postpone and inserted events -----------------------------------------------------------

TEST(gen_statem, postponed_event_is_retried_after_state_change) {
  fixture f;
  f.notes();
  auto only_in_b = [](probe& p, event&) {
    if (p.state() == "a") p.postpone();
  };
  f.script("x1", only_in_b);
  f.script("x2", only_in_b);
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  f.script("later");
  EXPECT_EQ(f.notes(),
            (strings{"handle_event a cast x1", "handle_event a cast x2", "handle_event a cast go",
                     "handle_event b enter from a", "handle_event b cast x1",
                     "handle_event b cast x2", "handle_event b cast later"}));
}

TEST(gen_statem, postponed_event_is_not_retried_without_a_state_change) {
  fixture f;
  f.notes();
  f.script("x", [](probe& p, event&) {
    if (p.state() == "a") p.postpone();
  });
  f.script("stay", [](probe& p, event&) { p.next_state("a"); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast x", "handle_event a cast stay"}));
}

TEST(gen_statem, inserted_events_are_handled_before_queued_ones_in_order) {
  fixture f;
  f.notes();
  f.script("first", [](probe& p, event&) {
    p.next_event(std::string("inserted1"));
    p.next_event(std::string("inserted2"));
  });
  f.script("second");
  EXPECT_EQ(f.notes(),
            (strings{"handle_event a cast first", "handle_event a internal inserted1",
                     "handle_event a internal inserted2", "handle_event a cast second"}));
}

TEST(gen_statem, inserted_events_come_before_retried_postponed_ones) {
  fixture f;
  f.notes();
  f.script("x", [](probe& p, event&) {
    if (p.state() == "a") p.postpone();
  });
  f.script("go", [](probe& p, event&) {
    p.next_state("b");
    p.next_event(std::string("inserted"));
  });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast x", "handle_event a cast go",
                                "handle_event b enter from a", "handle_event b internal inserted",
                                "handle_event b cast x"}));
}

// --- calls ------------------------------------------------------------------------------------

TEST(gen_statem, call_is_answered_with_reply) {
  fixture f;
  auto answer = call(f.n, f.m, ask{"q", [](probe& p, event& e) { e.reply(p.state() + "!"); }});
  EXPECT_EQ(answer, "a!");
}

TEST(gen_statem, deferred_call_is_answered_from_a_later_state) {
  fixture f;
  // The call is postponed in "a" and answered when retried in "b" (a deferred reply).
  auto answer = call(f.n, f.m, ask{"q", [](probe& p, event& e) {
                                     if (p.state() == "a") {
                                       p.postpone();
                                       p.next_state("b");
                                     } else {
                                       e.reply(std::string("answered in ") + p.state());
                                     }
                                   }});
  EXPECT_EQ(answer, "answered in b");
}

TEST(gen_statem, reply_can_be_sent_later_with_the_kept_caller) {
  fixture f;
  // The caller is kept in a generic timeout's content and answered when it fires.
  auto answer =
      call(f.n, f.m,
           ask{"q", [](probe& p, event& e) { p.generic_timeout("answer", 50ms, e.caller()); }});
  EXPECT_EQ(answer, "late answer from a");
}

// --- stop -------------------------------------------------------------------------------------

TEST(gen_statem, stop_runs_terminate_and_exits_with_the_reason) {
  fixture f;
  f.notes();
  ref mon = f.box.monitor(f.m);
  f.script("bye", [](probe& p, event&) { p.stop(exit_reason::shutdown("done")); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast bye", "terminate a {shutdown,done}"}));
  auto down = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, exit_reason::shutdown("done"));
}

TEST(gen_statem, stop_and_reply_answers_the_caller_before_stopping) {
  fixture f;
  auto answer =
      call(f.n, f.m, ask{"q", [](probe& p, event& e) {
                           p.stop_and_reply(exit_reason::normal(), e.caller(), std::string("bye"));
                         }});
  EXPECT_EQ(answer, "bye");
  f.n.run_until_idle();
  EXPECT_FALSE(f.n.is_alive(f.m));
}

TEST(gen_statem, unexpected_event_crashes_the_machine_with_a_crash_report) {
  struct strict : gen_statem {
    void init() override {
      on_state("only", [](event&) {});
      start_in("elsewhere");  // no function for this state and no handle_event
    }
  };
  node n{deterministic()};
  inbox box{n};
  report_capture reports;
  auto r = start<strict>(n, {});
  ASSERT_TRUE(r.ok());
  box.monitor(r.process);
  n.send(r.process, 42);
  auto down = box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->reason.to_string(), R"({unexpected_event,info,<<"int">>,<<"elsewhere">>})");
  EXPECT_EQ(reports.of_kind(report::kind::crash).size(), 1u);
}

TEST(gen_statem, runs_as_a_supervised_child_and_is_restarted) {
  node n{deterministic()};
  inbox box{n};
  supervisor_spec spec{.flags = {.strategy = restart_strategy::one_for_one, .intensity = 3},
                       .children = {child_spec::worker<probe>("probe", box.self(), false, true)}};
  auto sup = start_supervisor(n, spec);
  ASSERT_TRUE(sup.ok());
  auto first = which_children(n, sup.process).value().at(0).process;
  n.exit(first, exit_reason::kill());
  n.run_until_idle();
  auto second = which_children(n, sup.process).value().at(0).process;
  EXPECT_NE(first, second);
  EXPECT_TRUE(n.is_alive(second));
}
