// supervisor(3)'s checks of flags and child specs, with OTP's named errors, and the typed
// {error, Reason} answers of the client functions (cases named like supervisor_SUITE's).
#include <gtest/gtest.h>

#include "supervisor_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {
using err = supervisor_error;
}  // namespace

// --- sup_flags: bad flags stop the start with {supervisor_data, E} --------------------------

TEST_P(supervisor_both, sup_flags_invalid_intensity) {
  auto r = start_supervisor(n, supervisor_spec{{.intensity = -1}, {w("a")}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "{supervisor_data,{invalid_intensity,-1}}");
  EXPECT_TRUE(quiet());  // no child started
}

TEST_P(supervisor_both, sup_flags_invalid_period) {
  auto r = start_supervisor(n, supervisor_spec{{.period = std::chrono::milliseconds(0)}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "{supervisor_data,{invalid_period,0}}");
}

// --- child_specs: check_childspecs/2 and the start's {start_spec, E} --------------------------

TEST(supervisor_check, child_specs) {
  auto good = child_spec::plain_worker<stubborn>("a");
  EXPECT_TRUE(check_childspecs({good}).has_value());
  EXPECT_TRUE(check_childspecs({child_spec::plain_worker<stubborn>("z").with_shutdown(
                                   shutdown_policy::after(0ms))})
                  .has_value());

  child_spec no_start;
  no_start.id = "x";
  EXPECT_EQ(check_childspecs({no_start}).error(), err::missing_start());
  EXPECT_EQ(check_childspecs({no_start}).error().to_string(), "missing_start");

  auto negative = child_spec::plain_worker<stubborn>("a").with_shutdown(
      shutdown_policy::after(std::chrono::milliseconds(-5)));
  EXPECT_EQ(check_childspecs({negative}).error(), err::invalid_shutdown(-5));
  EXPECT_EQ(check_childspecs({negative}).error().to_string(), "{invalid_shutdown,-5}");

  auto permanent_significant = child_spec::plain_worker<stubborn>("a").as_significant();
  EXPECT_EQ(check_childspecs({permanent_significant}).error().to_string(),
            "{bad_combination,[{restart,permanent},{significant,true}]}");
  auto transient_significant = child_spec::plain_worker<stubborn>("a")
                                   .with_restart(restart_type::transient)
                                   .as_significant();
  EXPECT_TRUE(check_childspecs({transient_significant}).has_value());  // auto_shutdown unknown
  EXPECT_EQ(check_childspecs({transient_significant}, auto_shutdown_policy::never).error(),
            err::bad_combination(err::combination::significant_without_auto_shutdown));
  EXPECT_EQ(
      check_childspecs({transient_significant}, auto_shutdown_policy::never).error().to_string(),
      "{bad_combination,[{auto_shutdown,never},{significant,true}]}");
  EXPECT_TRUE(
      check_childspecs({transient_significant}, auto_shutdown_policy::any_significant).has_value());

  auto a1 = child_spec::plain_worker<stubborn>("a");
  auto a2 = child_spec::plain_worker<stubborn>("a");
  EXPECT_EQ(check_childspecs({a1, a2}).error().to_string(), "{duplicate_child_name,a}");
}

TEST_P(supervisor_both, sup_start_map_faulty_specs_missing_start) {
  child_spec no_start;
  no_start.id = "x";
  auto r = start_supervisor(n, supervisor_spec{{}, {w("a"), no_start}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "{start_spec,missing_start}");
  EXPECT_TRUE(quiet());  // checked before any child starts
}

TEST_P(supervisor_both, sup_start_map_faulty_specs_invalid_shutdown) {
  auto r = start_supervisor(
      n, supervisor_spec{{}, {w("a").with_shutdown(shutdown_policy::after(-1ms))}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "{start_spec,{invalid_shutdown,-1}}");
}

TEST_P(supervisor_both, sup_start_significant_child_under_auto_shutdown_never) {
  auto r = start_supervisor(
      n, supervisor_spec{{}, {w("a").with_restart(restart_type::transient).as_significant()}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(),
            "{start_spec,{bad_combination,[{auto_shutdown,never},{significant,true}]}}");
}

TEST_P(supervisor_both, sup_start_duplicate_child_name) {
  auto r = start_supervisor(n, supervisor_spec{{}, {w("a"), w("a")}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "{start_spec,{duplicate_child_name,a}}");
}

TEST_P(supervisor_both, simple_one_for_one_template_is_checked) {
  child_spec no_start;
  no_start.id = "t";
  auto r = start_supervisor(
      n, supervisor_spec{{.strategy = restart_strategy::simple_one_for_one}, {no_start}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "{start_spec,missing_start}");
  auto two = start_supervisor(
      n, supervisor_spec{{.strategy = restart_strategy::simple_one_for_one}, {w("a"), w("b")}});
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.reason.to_string(), "{bad_start_spec,[a,b]}");
}

// --- start_child with a bad spec answers the error; the supervisor and its children live on ----

TEST_P(supervisor_both, start_child_missing_start_keeps_the_supervisor_running) {
  pid sup = start_sup({}, {w("a")});
  notes(1);
  pid a = child_pid(sup, "a");
  child_spec no_start;
  no_start.id = "x";
  auto r = start_child(n, sup, no_start);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), err::missing_start());
  EXPECT_TRUE(n.is_alive(sup));
  EXPECT_TRUE(n.is_alive(a));
  EXPECT_EQ(child_pid(sup, "a"), a);
  EXPECT_TRUE(quiet());
}

TEST_P(supervisor_both, start_child_invalid_shutdown_and_bad_combination) {
  pid sup = start_sup({}, {});
  EXPECT_EQ(start_child(n, sup, w("a").with_shutdown(shutdown_policy::after(-5ms))).error(),
            err::invalid_shutdown(-5));
  EXPECT_EQ(start_child(n, sup, w("b").with_restart(restart_type::transient).as_significant())
                .error()
                .to_string(),
            "{bad_combination,[{auto_shutdown,never},{significant,true}]}");
  EXPECT_EQ(counts(sup).specs, 0u);
  EXPECT_TRUE(quiet());
}

// --- get_childspec -------------------------------------------------------------------------

TEST_P(supervisor_both, get_childspec_by_id_and_pid) {
  pid sup = start_sup({}, {w("a").with_restart(restart_type::transient)});
  notes(1);
  auto spec = get_childspec(n, sup, "a");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->id, "a");
  EXPECT_EQ(spec->restart, restart_type::transient);
  EXPECT_TRUE(static_cast<bool>(spec->start));
  auto by_pid = get_childspec(n, sup, child_pid(sup, "a"));
  ASSERT_TRUE(by_pid);
  EXPECT_EQ(by_pid->id, "a");
  EXPECT_EQ(get_childspec(n, sup, "nope").error(), err::not_found());
}

// --- client functions: call failures and timeouts are errors too ---------------------------

TEST_P(supervisor_both, client_functions_on_a_dead_supervisor_answer_call_failed) {
  pid sup = start_sup({}, {});
  ref m = box.monitor(sup);
  n.exit(sup, exit_reason::kill());
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  auto r = which_children(n, sup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().which(), err::code::call_failed);
  EXPECT_EQ(r.error().reason(), exit_reason::noproc());
  EXPECT_EQ(r.error().to_string(), "noproc");
  EXPECT_EQ(start_child(n, sup, w("a")).error().which(), err::code::call_failed);
}

TEST_P(supervisor_both, client_function_timeout) {
  // A supervisor stopping a child that ignores shutdown (infinity) answers nothing meanwhile.
  pid sup = start_sup(
      {}, {child_spec::plain_worker<stubborn>("s").with_shutdown(shutdown_policy::wait_forever())});
  pid s = child_pid(sup, "s");
  auto t = terminate_child(n, sup, std::string("s"), 100ms);
  ASSERT_FALSE(t);
  EXPECT_TRUE(t.error().timed_out());
  auto r = count_children(n, sup, 100ms);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().timed_out());
  EXPECT_EQ(r.error().to_string(), "timeout");
  n.exit(s, exit_reason::kill());  // the stop ends; the supervisor answers again
  EXPECT_EQ(counts(sup).active, 0u);
}

TEST(supervisor_error_text, errors_print_as_erlang_does) {
  EXPECT_EQ(err::not_found().to_string(), "not_found");
  EXPECT_EQ(err::running().to_string(), "running");
  EXPECT_EQ(err::restarting().to_string(), "restarting");
  EXPECT_EQ(err::already_present().to_string(), "already_present");
  EXPECT_EQ(err::simple_one_for_one().to_string(), "simple_one_for_one");
  EXPECT_EQ(err::invalid_intensity(-1).to_string(), "{invalid_intensity,-1}");
  EXPECT_EQ(err::invalid_period(0).to_string(), "{invalid_period,0}");
  EXPECT_EQ(err::failed_to_start_child("db", exit_reason::error("no_database")).to_string(),
            "{failed_to_start_child,db,no_database}");
  EXPECT_EQ(err::start_error(exit_reason::error("nope")).to_string(), "nope");
  EXPECT_NE(err::not_found(), err::running());
}
