// gen_statem as OTP 25's gen_statem(3) defines it: both callback modes, state enter calls,
// the three kinds of timeout, postpone, inserted events, calls with deferred replies, stop.
// Cases run under both scheduler policies (gen_statem_both). Timers use short real delays;
// an absence is shown by a later timer's event (timers fire in deadline order), never by
// waiting a while.
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
struct barrier {  // the call fixture::notes() makes: answered, never noted
  using reply = ok_t;
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
    if (e.get_if<barrier>()) {
      e.reply(ok);
      return;
    }
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

using strings = std::vector<std::string>;

struct fixture {
  node n;
  inbox box{n};
  pid m;

  explicit fixture(node_config cfg = deterministic(), bool functions_mode = false,
                   bool enter = true)
      : n(std::move(cfg)) {
    auto r = start<probe>(n, {}, box.self(), functions_mode, enter);
    EXPECT_TRUE(r.ok()) << r.to_string();
    m = r.process;
  }
  void script(std::string label, std::function<void(probe&, event&)> act = {}) {
    if (!act) act = [](probe&, event&) {};
    cast(n, m, step{std::move(label), std::move(act)});
  }
  std::string next_note(std::chrono::milliseconds wait = 2s) {
    auto got = box.receive<note>(wait);
    return got ? got->text : "<none>";
  }
  /// Every note the machine sent before answering a call made now: it handles the call after
  /// what this thread sent it before. The call is an event, so it cancels an event timeout.
  strings notes() {
    EXPECT_EQ(call(n, m, barrier{}), ok);
    return queued_notes();
  }
  /// The next `count` notes, each waited for ("<none>" for one that does not come).
  strings notes(std::size_t count) {
    strings out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(next_note());
    return out;
  }
  /// Every note until the node is idle (the deterministic policy; no event, no time passes).
  strings notes_when_idle() {
    n.run_until_idle();
    return queued_notes();
  }

 private:
  strings queued_notes() {
    EXPECT_TRUE(flush(n, box));
    strings out;
    while (auto got = box.receive<note>(0ms)) out.push_back(got->text);
    return out;
  }
};

class gen_statem_both : public policy_test {};
INSTANTIATE_TEST_SUITE_P(policies, gen_statem_both, both_policies, policy_name);

}  // namespace

// --- start and callback modes ---------------------------------------------------------------

TEST_P(gen_statem_both, initial_state_gets_an_enter_call_with_itself_as_old_state) {
  fixture f{config()};
  EXPECT_EQ(f.notes(), strings{"handle_event a enter from a"});
}

TEST_P(gen_statem_both, state_functions_mode_calls_the_function_of_the_current_state) {
  fixture f{config(), true};
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  f.script("x");
  EXPECT_EQ(f.notes(), (strings{"fn_a a enter from a", "fn_a a cast go", "fn_b b enter from a",
                                "fn_b b cast x"}));
}

TEST_P(gen_statem_both, handle_event_mode_sees_casts_calls_and_infos_with_the_state) {
  fixture f{config()};
  f.notes();
  f.script("c");
  f.n.send(f.m, std::string("hello"));
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast c", "handle_event a info hello"}));
}

TEST_P(gen_statem_both, no_enter_calls_unless_state_enter_is_on) {
  fixture f{config(), false, false};
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  EXPECT_EQ(f.notes(), strings{"handle_event a cast go"});
}

TEST_P(gen_statem_both, init_without_initial_state_fails_the_start) {
  struct stateless : gen_statem {};
  node n{config()};
  auto r = start<stateless>(n, {});
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.reason.is("no_initial_state")) << r.reason;
}

// --- state enter calls ------------------------------------------------------------------------

TEST_P(gen_statem_both, state_change_makes_an_enter_call_naming_the_old_state) {
  fixture f{config()};
  f.notes();
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast go", "handle_event b enter from a"}));
}

TEST_P(gen_statem_both, next_state_to_the_same_state_makes_no_enter_call) {
  fixture f{config()};
  f.notes();
  f.script("stay", [](probe& p, event&) { p.next_state("a"); });
  EXPECT_EQ(f.notes(), strings{"handle_event a cast stay"});
}

TEST_P(gen_statem_both, repeat_state_makes_the_enter_call_again) {
  fixture f{config()};
  f.notes();
  f.script("again", [](probe& p, event&) { p.repeat_state(); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast again", "handle_event a enter from a"}));
}

// --- timeouts -------------------------------------------------------------------------------

TEST_P(gen_statem_both, event_timeout_fires_when_no_event_arrives) {
  fixture f{config()};
  f.notes();
  f.script("arm", [](probe& p, event&) { p.event_timeout(50ms, std::string("idle")); });
  EXPECT_EQ(f.notes(2), (strings{"handle_event a cast arm", "handle_event a timeout idle"}));
}

// Deterministic only: it measures the timeout against virtual time, to the millisecond.
TEST(gen_statem, event_timeout_fires_no_sooner_than_its_time) {
  fixture f;
  f.notes_when_idle();
  f.script("arm", [](probe& p, event&) { p.event_timeout(100ms, std::string("idle")); });
  f.n.run_until_idle();
  f.n.advance_time(99ms);
  EXPECT_EQ(f.notes_when_idle(), strings{"handle_event a cast arm"});
  f.n.advance_time(1ms);
  EXPECT_EQ(f.notes_when_idle(), strings{"handle_event a timeout idle"});
}

TEST_P(gen_statem_both, event_timeout_is_cancelled_by_any_event) {
  fixture f{config()};
  f.notes();
  f.script("arm", [](probe& p, event&) {
    p.event_timeout(300ms, std::string("idle"));
    p.generic_timeout("later", 600ms, std::string("check"));  // due after idle would be
  });
  ASSERT_EQ(f.next_note(), "handle_event a cast arm");
  f.n.send(f.m, std::string("poke"));
  EXPECT_EQ(f.notes(2),
            (strings{"handle_event a info poke", "handle_event a generic_timeout later check"}));
}

TEST_P(gen_statem_both, event_timeout_does_not_start_while_inserted_events_are_queued) {
  fixture f{config()};
  f.notes();
  f.script("arm", [](probe& p, event&) {
    p.event_timeout(100ms, std::string("idle"));
    p.next_event(std::string("inserted"));  // an event already queued cancels it at once
    p.generic_timeout("later", 200ms, std::string("check"));
  });
  EXPECT_EQ(f.notes(3), (strings{"handle_event a cast arm", "handle_event a internal inserted",
                                 "handle_event a generic_timeout later check"}));
}

TEST_P(gen_statem_both, state_timeout_fires_despite_other_events_in_the_same_state) {
  fixture f{config()};
  f.notes();
  f.script("arm", [](probe& p, event&) { p.state_timeout(200ms, std::string("st")); });
  f.script("other");
  EXPECT_EQ(f.notes(3), (strings{"handle_event a cast arm", "handle_event a cast other",
                                 "handle_event a state_timeout st"}));
}

TEST_P(gen_statem_both, state_timeout_is_cancelled_by_a_state_change) {
  fixture f{config()};
  f.notes();
  f.script("arm", [](probe& p, event&) { p.state_timeout(200ms, std::string("st")); });
  f.script("go", [](probe& p, event&) {
    p.next_state("b");
    p.generic_timeout("later", 400ms, std::string("check"));  // due after st would be
  });
  EXPECT_EQ(f.notes(4),
            (strings{"handle_event a cast arm", "handle_event a cast go",
                     "handle_event b enter from a", "handle_event b generic_timeout later check"}));
}

TEST_P(gen_statem_both, state_timeout_set_again_restarts_it_and_can_be_cancelled) {
  fixture f{config()};
  f.notes();
  // A generic timeout 100 ms in sets the state timeout again (due 300 ms in at the earliest)
  // and arms a check due before that but after the first one would have fired.
  f.script("arm", [](probe& p, event&) {
    p.state_timeout(200ms, std::string("st"));
    p.generic_timeout("later", 100ms, step{"rearm", [](probe& q, event&) {
                                             q.state_timeout(200ms, std::string("st"));
                                             q.generic_timeout("check", 150ms,
                                                               std::string("passed"));
                                           }});
  });
  EXPECT_EQ(
      f.notes(4),
      (strings{"handle_event a cast arm", "handle_event a generic_timeout later rearm",
               "handle_event a generic_timeout check passed", "handle_event a state_timeout st"}));
  // Cancelled 100 ms in, it has not fired by a check due 300 ms in.
  f.script("arm", [](probe& p, event&) {
    p.state_timeout(200ms, std::string("st"));
    p.generic_timeout("later", 100ms, step{"cancel", [](probe& q, event&) {
                                             q.cancel_state_timeout();
                                             q.generic_timeout("check", 200ms,
                                                               std::string("passed"));
                                           }});
  });
  EXPECT_EQ(f.notes(3),
            (strings{"handle_event a cast arm", "handle_event a generic_timeout later cancel",
                     "handle_event a generic_timeout check passed"}));
}

TEST_P(gen_statem_both, state_timeout_set_with_the_state_change_runs_in_the_new_state) {
  fixture f{config()};
  f.notes();
  f.script("go", [](probe& p, event&) {
    p.next_state("b");
    p.state_timeout(20ms, std::string("in_b"));
  });
  EXPECT_EQ(f.notes(3), (strings{"handle_event a cast go", "handle_event b enter from a",
                                 "handle_event b state_timeout in_b"}));
}

TEST_P(gen_statem_both, generic_timeouts_are_named_and_survive_state_changes) {
  fixture f{config()};
  f.notes();
  f.script("arm", [](probe& p, event&) {
    p.generic_timeout("t1", 200ms, std::string("one"));
    p.generic_timeout("t2", 300ms, std::string("two"));
  });
  f.script("go", [](probe& p, event&) { p.next_state("b"); });
  EXPECT_EQ(
      f.notes(5),
      (strings{"handle_event a cast arm", "handle_event a cast go", "handle_event b enter from a",
               "handle_event b generic_timeout t1 one", "handle_event b generic_timeout t2 two"}));
}

TEST_P(gen_statem_both, generic_timeout_can_be_restarted_or_cancelled_by_name) {
  fixture f{config()};
  f.notes();
  // A generic timeout 100 ms in restarts t1 (due 300 ms in at the earliest) and cancels t2:
  // either would otherwise fire 200 ms in, before the restarted t1.
  f.script("arm", [](probe& p, event&) {
    p.generic_timeout("t1", 200ms, std::string("one"));
    p.generic_timeout("t2", 200ms, std::string("two"));
    p.generic_timeout("later", 100ms, step{"change", [](probe& q, event&) {
                                             q.generic_timeout("t1", 200ms,
                                                               std::string("one again"));
                                             q.cancel_generic_timeout("t2");
                                           }});
  });
  EXPECT_EQ(f.notes(3),
            (strings{"handle_event a cast arm", "handle_event a generic_timeout later change",
                     "handle_event a generic_timeout t1 one again"}));
}

// --- postpone and inserted events -----------------------------------------------------------

TEST_P(gen_statem_both, postponed_event_is_retried_after_state_change) {
  fixture f{config()};
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

TEST_P(gen_statem_both, postponed_event_is_not_retried_without_a_state_change) {
  fixture f{config()};
  f.notes();
  f.script("x", [](probe& p, event&) {
    if (p.state() == "a") p.postpone();
  });
  f.script("stay", [](probe& p, event&) { p.next_state("a"); });
  EXPECT_EQ(f.notes(), (strings{"handle_event a cast x", "handle_event a cast stay"}));
}

TEST_P(gen_statem_both, inserted_events_are_handled_before_queued_ones_in_order) {
  fixture f{config()};
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

TEST_P(gen_statem_both, inserted_events_come_before_retried_postponed_ones) {
  fixture f{config()};
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

TEST_P(gen_statem_both, call_is_answered_with_reply) {
  fixture f{config()};
  auto answer = call(f.n, f.m, ask{"q", [](probe& p, event& e) { e.reply(p.state() + "!"); }});
  EXPECT_EQ(answer, "a!");
}

TEST_P(gen_statem_both, deferred_call_is_answered_from_a_later_state) {
  fixture f{config()};
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

TEST_P(gen_statem_both, reply_can_be_sent_later_with_the_kept_caller) {
  fixture f{config()};
  // The caller is kept in a generic timeout's content and answered when it fires.
  auto answer =
      call(f.n, f.m,
           ask{"q", [](probe& p, event& e) { p.generic_timeout("answer", 50ms, e.caller()); }});
  EXPECT_EQ(answer, "late answer from a");
}

// --- stop -------------------------------------------------------------------------------------

TEST_P(gen_statem_both, stop_runs_terminate_and_exits_with_the_reason) {
  fixture f{config()};
  f.notes();
  ref mon = f.box.monitor(f.m);
  f.script("bye", [](probe& p, event&) { p.stop(exit_reason::shutdown("done")); });
  EXPECT_EQ(f.notes(2), (strings{"handle_event a cast bye", "terminate a {shutdown,done}"}));
  auto down = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, exit_reason::shutdown("done"));
}

TEST_P(gen_statem_both, stop_and_reply_answers_the_caller_before_stopping) {
  fixture f{config()};
  f.box.monitor(f.m);
  auto answer =
      call(f.n, f.m, ask{"q", [](probe& p, event& e) {
                           p.stop_and_reply(exit_reason::normal(), e.caller(), std::string("bye"));
                         }});
  EXPECT_EQ(answer, "bye");
  auto down = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->reason, exit_reason::normal());
  EXPECT_TRUE(holds_within(f.n, 2s, [&] { return !f.n.is_alive(f.m); }));
}

TEST_P(gen_statem_both, unexpected_event_crashes_the_machine_with_a_crash_report) {
  struct strict : gen_statem {
    void init() override {
      on_state("only", [](event&) {});
      start_in("elsewhere");  // no function for this state and no handle_event
    }
  };
  node n{config()};
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

TEST_P(gen_statem_both, runs_as_a_supervised_child_and_is_restarted) {
  node n{config()};
  inbox box{n};
  supervisor_spec spec{.flags = {.strategy = restart_strategy::one_for_one, .intensity = 3},
                       .children = {child_spec::worker<probe>("probe", box.self(), false, true)}};
  auto sup = start_supervisor(n, spec);
  ASSERT_TRUE(sup.ok());
  auto first = which_children(n, sup.process).value().at(0).process;
  n.exit(first, exit_reason::kill());
  // The supervisor restarts it on an exit signal this thread cannot wait on: ask until then.
  pid second;
  EXPECT_TRUE(holds_within(n, 2s, [&] {
    second = which_children(n, sup.process).value().at(0).process;
    return second && second != first;
  }));
  EXPECT_NE(first, second);
  EXPECT_TRUE(n.is_alive(second));
}
