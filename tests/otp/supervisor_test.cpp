// supervisor as OTP 25's supervisor(3) defines it (cases named like supervisor_SUITE's).
#include <gtest/gtest.h>

#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <string>
#include <vector>

#include "supervisor_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

INSTANTIATE_TEST_SUITE_P(policies, supervisor_both, both_policies, policy_name);

TEST_P(supervisor_both, children_start_in_order_and_stop_in_reverse_order) {
  pid sup = start_sup({}, {w("a"), w("b"), w("c")});
  EXPECT_EQ(notes(3), (strings{"start a", "start b", "start c"}));
  ref m = box.monitor(sup);
  n.exit(sup, exit_reason::shutdown());
  EXPECT_EQ(notes(3), (strings{"stop c", "stop b", "stop a"}));
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
}

TEST_P(supervisor_both, progress_report_for_each_started_child) {
  start_sup({}, {w("a"), w("b")});
  auto progress = reports.of_kind(report::kind::progress);
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_TRUE(progress[0].find("child")->is_atom("a"));
  EXPECT_TRUE(progress[1].find("child")->is_atom("b"));
}

TEST_P(supervisor_both, one_for_one_restarts_only_the_crashed_child) {
  pid sup = start_sup({.strategy = restart_strategy::one_for_one, .intensity = 3},
                      {w("a"), w("b"), w("c")});
  notes(3);
  pid old_b = child_pid(sup, "b");
  crash(sup, "b");
  EXPECT_EQ(notes(2), (strings{"stop b", "start b"}));
  EXPECT_TRUE(quiet());
  EXPECT_NE(child_pid(sup, "b"), old_b);
  auto sr = reports.of_kind(report::kind::supervisor);
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_TRUE(sr[0].find("action")->is_atom("restarting"));
  EXPECT_TRUE(sr[0].find("reason")->is_atom("boom"));
}

TEST_P(supervisor_both, one_for_all_restarts_all_children) {
  pid sup = start_sup({.strategy = restart_strategy::one_for_all, .intensity = 3},
                      {w("a"), w("b"), w("c")});
  notes(3);
  crash(sup, "b");
  EXPECT_EQ(notes(7),
            (strings{"stop b", "stop c", "stop a", "start a", "start b", "start c", "<none>"}));
}

TEST_P(supervisor_both, rest_for_one_restarts_the_crashed_child_and_those_after_it) {
  pid sup = start_sup({.strategy = restart_strategy::rest_for_one, .intensity = 3},
                      {w("a"), w("b"), w("c")});
  notes(3);
  crash(sup, "b");
  EXPECT_EQ(notes(5), (strings{"stop b", "stop c", "start b", "start c", "<none>"}));
}

TEST_P(supervisor_both, permanent_child_restarted_after_normal_exit) {
  pid sup = start_sup({}, {w("a")});
  notes(1);
  crash(sup, "a", exit_reason::normal());
  EXPECT_EQ(notes(2), (strings{"stop a", "start a"}));
}

TEST_P(supervisor_both, transient_child_not_restarted_after_normal_exit) {
  pid sup = start_sup({}, {w("a").with_restart(restart_type::transient)});
  notes(1);
  crash(sup, "a", exit_reason::normal());
  EXPECT_EQ(notes(2), (strings{"stop a", "<none>"}));
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 1u);  // the spec stays, without a process
  EXPECT_FALSE(kids[0].process);
}

TEST_P(supervisor_both, transient_child_not_restarted_after_shutdown_exit) {
  pid sup = start_sup({}, {w("a").with_restart(restart_type::transient)});
  notes(1);
  crash(sup, "a", exit_reason::shutdown("done"));
  EXPECT_EQ(notes(2), (strings{"stop a", "<none>"}));
}

TEST_P(supervisor_both, transient_child_restarted_after_abnormal_exit) {
  pid sup = start_sup({}, {w("a").with_restart(restart_type::transient)});
  notes(1);
  crash(sup, "a");
  EXPECT_EQ(notes(2), (strings{"stop a", "start a"}));
}

TEST_P(supervisor_both, temporary_child_never_restarted_and_forgotten) {
  pid sup = start_sup({}, {w("a").with_restart(restart_type::temporary), w("b")});
  notes(2);
  crash(sup, "a");
  EXPECT_EQ(notes(2), (strings{"stop a", "<none>"}));
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].id, "b");
}

TEST_P(supervisor_both, exceeding_intensity_terminates_supervisor_with_shutdown) {
  pid sup = start_sup({.intensity = 2, .period = 10s}, {w("a"), w("b")});
  notes(2);
  ref m = box.monitor(sup);
  crash(sup, "a");
  notes(2);
  crash(sup, "a");
  notes(2);
  crash(sup, "a");  // third restart within 10 s: more than intensity 2
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
  auto sr = reports.of_kind(report::kind::supervisor);
  ASSERT_FALSE(sr.empty());
  EXPECT_TRUE(sr.back().find("action")->is_atom("reached_max_restart_intensity"));
}

TEST_F(supervisor_vt, restarts_older_than_period_do_not_count) {
  pid sup = start_sup({.intensity = 1, .period = 5s}, {w("a")});
  notes(1);
  for (int i = 0; i < 4; ++i) {
    crash(sup, "a");
    EXPECT_EQ(notes(2), (strings{"stop a", "start a"}));
    n.advance_time(6s);  // each restart falls out of the period before the next
  }
  EXPECT_TRUE(n.is_alive(sup));
}

TEST_P(supervisor_both, failing_child_start_aborts_supervisor_start_and_stops_started_children) {
  auto r =
      start_supervisor(n, supervisor_spec{{}, {w("a"), child_spec::worker<broken>("db"), w("c")}});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason, exit_reason::shutdown("{failed_to_start_child,db,no_database}"));
  EXPECT_EQ(notes(3), (strings{"start a", "stop a", "<none>"}));
}

TEST_P(supervisor_both, brutal_kill_shutdown_kills_the_child_without_terminate) {
  pid sup = start_sup({}, {w("a").with_shutdown(shutdown_policy::brutal_kill())});
  notes(1);
  pid a = child_pid(sup, "a");
  ref m = box.monitor(a);
  EXPECT_TRUE(terminate_child(n, sup, std::string("a")).has_value());
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::killed());
  EXPECT_TRUE(quiet());  // terminate did not run
}

TEST_F(supervisor_vt, shutdown_timeout_kills_a_child_that_does_not_stop_in_time) {
  pid sup = start_sup(
      {}, {child_spec::plain_worker<stubborn>("s").with_shutdown(shutdown_policy::after(2s))});
  pid s = child_pid(sup, "s");
  ref m = box.monitor(s);
  auto t0 = n.now();
  EXPECT_TRUE(terminate_child(n, sup, std::string("s")).has_value());
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::killed());
  EXPECT_GE(n.now() - t0, 2s);
}

TEST_P(supervisor_both, shutdown_timeout_lets_a_cooperative_child_run_terminate) {
  pid sup = start_sup({}, {w("a")});
  notes(1);
  EXPECT_TRUE(terminate_child(n, sup, std::string("a")).has_value());
  EXPECT_EQ(notes(1), (strings{"stop a"}));
}

TEST_P(supervisor_both, nested_supervisor_exceeding_intensity_is_restarted_by_its_parent) {
  supervisor_spec inner{{.intensity = 0}, {w("leaf")}};
  pid top = start_sup({.intensity = 5}, {child_spec::supervisor("inner", inner)});
  notes(1);
  pid inner_pid = child_pid(top, "inner");
  pid leaf = child_pid(inner_pid, "leaf");
  cast(n, leaf, die{exit_reason::error("boom")});
  // inner may not restart (intensity 0): it stops and top restarts it, and with it the lea
  EXPECT_EQ(notes(2), (strings{"stop leaf", "start leaf"}));
  pid new_inner = child_pid(top, "inner");
  EXPECT_TRUE(new_inner);
  EXPECT_NE(new_inner, inner_pid);
  EXPECT_FALSE(n.is_alive(inner_pid));
}

TEST_P(supervisor_both, supervisors_nest_to_any_depth_and_stop_depth_first_in_reverse) {
  supervisor_spec level3{{}, {w("deep")}};
  supervisor_spec level2{{}, {child_spec::supervisor("l3", level3), w("mid")}};
  pid top = start_sup({}, {child_spec::supervisor("l2", level2), w("top")});
  EXPECT_EQ(notes(3), (strings{"start deep", "start mid", "start top"}));
  n.exit(top, exit_reason::shutdown());
  EXPECT_EQ(notes(3), (strings{"stop top", "stop mid", "stop deep"}));
}

TEST_P(supervisor_both, simple_one_for_one_starts_dynamic_children_and_restarts_them) {
  pid sup = start_sup({.strategy = restart_strategy::simple_one_for_one, .intensity = 3},
                      {w("template")});
  EXPECT_TRUE(quiet());  // no child until start_child
  auto r1 = start_child(n, sup, start_link_fn<worker>(box.self(), std::string("d1")));
  auto r2 = start_child(n, sup, start_link_fn<worker>(box.self(), std::string("d2")));
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(notes(2), (strings{"start d1", "start d2"}));
  EXPECT_EQ(counts(sup).active, 2u);
  cast(n, r1->process, die{exit_reason::error("boom")});
  EXPECT_EQ(notes(2), (strings{"stop d1", "start d1"}));
  EXPECT_TRUE(terminate_child(n, sup, r2->process).has_value());
  EXPECT_EQ(notes(1), (strings{"stop d2"}));
  EXPECT_EQ(counts(sup).specs, 1u);
}

TEST_P(supervisor_both, start_restart_delete_child_manage_specs_like_otp) {
  pid sup = start_sup({}, {w("a")});
  notes(1);
  auto b = start_child(n, sup, w("b"));
  ASSERT_TRUE(b);
  EXPECT_EQ(start_child(n, sup, w("b")).error(), supervisor_error::already_started(b->process));
  EXPECT_EQ(delete_child(n, sup, "b").error(), supervisor_error::running());
  EXPECT_TRUE(terminate_child(n, sup, std::string("b")).has_value());
  EXPECT_EQ(start_child(n, sup, w("b")).error(), supervisor_error::already_present());
  EXPECT_TRUE(restart_child(n, sup, "b").has_value());
  EXPECT_EQ(restart_child(n, sup, "b").error(), supervisor_error::running());
  EXPECT_TRUE(terminate_child(n, sup, std::string("b")).has_value());
  EXPECT_TRUE(delete_child(n, sup, "b").has_value());
  EXPECT_EQ(delete_child(n, sup, "b").error(), supervisor_error::not_found());
  EXPECT_EQ(counts(sup), (child_counts{.specs = 1, .active = 1, .supervisors = 0, .workers = 1}));
}

TEST_P(supervisor_both, start_child_with_failing_start_returns_the_error) {
  pid sup = start_sup({}, {});
  auto r = start_child(n, sup, child_spec::worker<broken>("db"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), supervisor_error::start_error(exit_reason::error("no_database")));
  EXPECT_EQ(r.error().to_string(), "no_database");
  EXPECT_EQ(counts(sup).specs, 0u);
}

TEST_P(supervisor_both, any_significant_child_exit_shuts_the_supervisor_down) {
  pid sup = start_sup({.auto_shutdown = auto_shutdown_policy::any_significant},
                      {w("a").with_restart(restart_type::transient).as_significant(), w("b")});
  notes(2);
  ref m = box.monitor(sup);
  crash(sup, "a", exit_reason::normal());
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
}

TEST_F(supervisor_vt, all_significant_waits_for_every_significant_child) {
  pid sup = start_sup({.auto_shutdown = auto_shutdown_policy::all_significant},
                      {w("a").with_restart(restart_type::temporary).as_significant(),
                       w("b").with_restart(restart_type::temporary).as_significant()});
  notes(2);
  crash(sup, "a", exit_reason::normal());
  notes(1);
  n.run_until_idle();
  EXPECT_TRUE(n.is_alive(sup));
  crash(sup, "b", exit_reason::normal());
  notes(1);
  n.run_until_idle();
  EXPECT_FALSE(n.is_alive(sup));
}
