// supervisor(3)'s bookkeeping of children: ignore, temporary children, simple_one_for_one,
// failing restart loops (cases named like supervisor_SUITE's).
#include <gtest/gtest.h>

#include <atomic>

#include "supervisor_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {
using err = supervisor_error;

supervisor_flags simple_flags(int intensity = 10) {
  return {.strategy = restart_strategy::simple_one_for_one, .intensity = intensity};
}
}  // namespace

// --- ignore --------------------------------------------------------------------------------

TEST_P(supervisor_both, sup_start_ignore_child) {
  // A permanent child whose start returns ignore keeps its spec, with no process.
  pid sup = start_sup({}, {child_spec::worker<ignorer>("i"), w("a")});
  notes(1);
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].id, "i");
  EXPECT_FALSE(kids[0].process);
  EXPECT_EQ(kids[0].status, child_status::undefined);
}

TEST_P(supervisor_both, sup_start_ignore_temporary_child) {
  pid sup = start_sup(
      {}, {child_spec::worker<ignorer>("i").with_restart(restart_type::temporary), w("a")});
  notes(1);
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 1u);  // OTP drops the ignored temporary child's spec
  EXPECT_EQ(kids[0].id, "a");
}

TEST_P(supervisor_both, sup_start_ignore_temporary_child_start_child) {
  pid sup = start_sup({}, {});
  auto r =
      start_child(n, sup, child_spec::worker<ignorer>("i").with_restart(restart_type::temporary));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->process);  // {ok, undefined}
  EXPECT_EQ(counts(sup).specs, 0u);
  auto p = start_child(n, sup, child_spec::worker<ignorer>("p"));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->process);
  EXPECT_EQ(counts(sup).specs, 1u);  // a permanent one is kept
}

TEST_P(supervisor_both, sup_start_ignore_temporary_child_start_child_simple) {
  pid sup = start_sup(simple_flags(),
                      {child_spec::worker<ignorer>("t").with_restart(restart_type::temporary)});
  auto r = start_child(n, sup, start_fn{});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->process);
  EXPECT_EQ(counts(sup), (child_counts{.specs = 1, .active = 0, .supervisors = 0, .workers = 0}));
  EXPECT_TRUE(children(sup).empty());
}

TEST_P(supervisor_both, restart_returning_ignore_removes_a_dynamic_child) {
  std::atomic<int> starts{0};
  pid sup = start_sup(simple_flags(), {child_spec::worker<ignore_after_first>("t", &starts)});
  auto r = start_child(n, sup, start_fn{});
  ASSERT_TRUE(r && r->process);
  ref m = box.monitor(r->process);
  cast(n, r->process, die{exit_reason::error("boom")});
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  // The restart answered ignore: nothing is left of the child.
  EXPECT_TRUE(eventually([&] { return children(sup).empty(); }));
  EXPECT_EQ(starts.load(), 2);
  EXPECT_EQ(counts(sup).workers, 0u);
}

TEST_P(supervisor_both, restart_returning_ignore_leaves_a_static_child_not_running) {
  std::atomic<int> starts{0};
  pid sup = start_sup({}, {child_spec::worker<ignore_after_first>("t", &starts)});
  pid first = child_pid(sup, "t");
  ASSERT_TRUE(first);
  ref m = box.monitor(first);
  cast(n, first, die{exit_reason::error("boom")});
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_TRUE(eventually([&] {
    const bool stopped = !child_pid(sup, "t");  // the call first: it runs the node
    return stopped && starts.load() == 2;
  }));
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 1u);  // supervisor.erl restart/2: {ok, undefined} keeps the spec
  EXPECT_FALSE(kids[0].process);
  EXPECT_EQ(starts.load(), 2);
}

// --- simple_one_for_one ----------------------------------------------------------------------

TEST_P(supervisor_both, child_adm_simple) {
  pid sup = start_sup(simple_flags(), {w("t")});
  auto r = start_child(n, sup, start_link_fn<worker>(box.self(), std::string("d1")));
  ASSERT_TRUE(r);
  notes(1);
  EXPECT_EQ(terminate_child(n, sup, std::string("t")).error(), err::simple_one_for_one());
  EXPECT_EQ(restart_child(n, sup, "t").error(), err::simple_one_for_one());
  EXPECT_EQ(delete_child(n, sup, "t").error(), err::simple_one_for_one());
  EXPECT_EQ(terminate_child(n, sup, box.self()).error(), err::not_found());  // alive, no child
  EXPECT_TRUE(terminate_child(n, sup, r->process).has_value());
  EXPECT_EQ(notes(1), (strings{"stop d1"}));
  // The child is gone; its pid is no longer alive, which OTP answers with ok.
  EXPECT_TRUE(terminate_child(n, sup, r->process).has_value());
}

TEST_P(supervisor_both, count_children_simple_one_for_one) {
  pid sup = start_sup(simple_flags(), {w("t")});
  EXPECT_EQ(counts(sup), (child_counts{.specs = 1, .active = 0, .supervisors = 0, .workers = 0}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(start_child(n, sup, start_link_fn<worker>(box.self(), std::to_string(i))));
  }
  notes(3);
  EXPECT_EQ(counts(sup), (child_counts{.specs = 1, .active = 3, .supervisors = 0, .workers = 3}));
}

TEST_F(supervisor_vt, simple_one_for_one_shutdown) {
  // Ten children that ignore shutdown, with a 1 s timeout each, are stopped together: 1 s.
  pid sup = start_sup(
      simple_flags(),
      {child_spec::plain_worker<stubborn>("s").with_shutdown(shutdown_policy::after(1s))});
  std::vector<pid> kids;
  for (int i = 0; i < 10; ++i) {
    auto r = start_child(n, sup, start_fn{});
    ASSERT_TRUE(r);
    kids.push_back(r->process);
  }
  std::vector<ref> monitors;
  for (auto& k : kids) monitors.push_back(box.monitor(k));
  ref m = box.monitor(sup);
  const auto t0 = n.now();
  n.exit(sup, exit_reason::shutdown());
  for (std::size_t i = 0; i < kids.size(); ++i) {
    auto d = box.receive<down_msg>(5s);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->reason, exit_reason::killed());
  }
  auto d = box.receive<down_msg>(5s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_GE(n.now() - t0, 1s);
  EXPECT_LT(n.now() - t0, 2s);
}

TEST_P(supervisor_both, do_not_save_start_parameters_for_temporary_children) {
  // The start function's captured state is released once a temporary child has started.
  auto token = std::make_shared<int>(42);
  std::weak_ptr<int> watch = token;
  pid sup = start_sup(simple_flags(), {w("t").with_restart(restart_type::temporary)});
  start_fn start = [token, inner = start_link_fn<worker>(box.self(), std::string("d"))](
                       actor& parent) { return inner(parent); };
  token.reset();
  auto r = start_child(n, sup, std::move(start));
  ASSERT_TRUE(r);
  notes(1);
  EXPECT_TRUE(watch.expired());
  auto spec = get_childspec(n, sup, r->process);
  ASSERT_TRUE(spec);
  EXPECT_FALSE(static_cast<bool>(spec->start));
}

TEST_P(supervisor_both, do_not_save_child_specs_for_temporary_children) {
  auto token = std::make_shared<int>(42);
  std::weak_ptr<int> watch = token;
  pid sup = start_sup({}, {});
  child_spec spec = w("t").with_restart(restart_type::temporary);
  spec.start = [token, inner = spec.start](actor& parent) { return inner(parent); };
  token.reset();
  ASSERT_TRUE(start_child(n, sup, std::move(spec)));
  notes(1);
  EXPECT_TRUE(watch.expired());
  auto kept = get_childspec(n, sup, "t");
  ASSERT_TRUE(kept);
  EXPECT_FALSE(static_cast<bool>(kept->start));
}

TEST_P(supervisor_both, auto_shutdown_any_significant_under_simple_one_for_one) {
  // OTP 25 accepts auto_shutdown with simple_one_for_one: a significant dynamic child that
  // ends for good shuts the supervisor down.
  pid sup = start_sup({.strategy = restart_strategy::simple_one_for_one,
                       .auto_shutdown = auto_shutdown_policy::any_significant},
                      {w("t").with_restart(restart_type::transient).as_significant()});
  auto r = start_child(n, sup, start_link_fn<worker>(box.self(), std::string("d")));
  ASSERT_TRUE(r);
  notes(1);
  ref m = box.monitor(sup);
  cast(n, r->process, die{exit_reason::normal()});
  auto d = box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
}

// --- a child stuck in a failing restart loop ---------------------------------------------------

struct restart_loop {
  std::atomic<bool> failing{false};
  std::atomic<int> attempts{0};
};

// Under the deterministic policy a supervisor retrying a restart without end keeps the
// calling thread's reply process from its turn until the intensity runs out, so these cases
// run under the work-stealing policy only.
class supervisor_ws : public ::testing::Test, public sup_fixture {
 public:
  supervisor_ws() : sup_fixture(config_for(scheduling_policy::work_stealing)) {}
};

TEST_F(supervisor_ws, hanging_restart_loop) {
  restart_loop loop;
  pid sup = start_sup({.intensity = 1000000, .period = 1s},
                      {child_spec::worker<flaky>("f", box.self(), std::string("f"), &loop.failing,
                                                 &loop.attempts)});
  notes(1);
  loop.failing = true;
  crash(sup, "f");
  // The restarts fail and are retried: the child is reported as restarting.
  EXPECT_TRUE(eventually([&] { return children(sup).at(0).status == child_status::restarting; }));
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].status, child_status::restarting);
  EXPECT_FALSE(kids[0].process);
  EXPECT_EQ(restart_child(n, sup, "f").error(), err::restarting());
  EXPECT_EQ(delete_child(n, sup, "f").error(), err::restarting());
  EXPECT_EQ(counts(sup), (child_counts{.specs = 1, .active = 0, .supervisors = 0, .workers = 1}));
  // terminate_child ends the loop.
  EXPECT_TRUE(terminate_child(n, sup, std::string("f")).has_value());
  EXPECT_EQ(children(sup).at(0).status, child_status::undefined);
  const int after = loop.attempts.load();
  EXPECT_EQ(counts(sup).active, 0u);  // round trips: a retry queued meanwhile has run
  EXPECT_EQ(counts(sup).active, 0u);
  EXPECT_EQ(loop.attempts.load(), after);
  loop.failing = false;
  auto r = restart_child(n, sup, "f");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->process);
  EXPECT_EQ(notes(1), (strings{"start f"}));
}

TEST_F(supervisor_ws, hanging_restart_loop_rest_for_one) {
  restart_loop loop;
  pid sup = start_sup(
      {.strategy = restart_strategy::rest_for_one, .intensity = 1000000},
      {w("a"),
       child_spec::worker<flaky>("f", box.self(), std::string("f"), &loop.failing, &loop.attempts),
       w("c")});
  EXPECT_EQ(notes(3), (strings{"start a", "start f", "start c"}));
  loop.failing = true;
  crash(sup, "f");
  EXPECT_EQ(notes(1), (strings{"stop c"}));
  // While f keeps failing, c (after it) is not started.
  EXPECT_TRUE(eventually([&] { return children(sup).at(1).status == child_status::restarting; }));
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_TRUE(kids[0].process);
  EXPECT_EQ(kids[1].status, child_status::restarting);
  EXPECT_EQ(kids[2].status, child_status::undefined);
  EXPECT_FALSE(kids[2].process);
  loop.failing = false;
  EXPECT_EQ(notes(2), (strings{"start f", "start c"}));
  auto after = children(sup);
  EXPECT_TRUE(after[1].process && after[2].process);
}

TEST_F(supervisor_ws, hanging_restart_loop_simple) {
  restart_loop loop;
  pid sup =
      start_sup(simple_flags(1000000), {child_spec::worker<flaky>("t", box.self(), std::string("d"),
                                                                  &loop.failing, &loop.attempts)});
  auto r = start_child(n, sup, start_fn{});
  ASSERT_TRUE(r);
  notes(1);
  loop.failing = true;
  cast(n, r->process, die{exit_reason::error("boom")});
  // count_children still reports the one template as specs while the child restarts.
  EXPECT_TRUE(eventually([&] {
    auto now = children(sup);
    return now.size() == 1 && now[0].status == child_status::restarting;
  }));
  auto kids = children(sup);
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].status, child_status::restarting);
  EXPECT_EQ(counts(sup), (child_counts{.specs = 1, .active = 0, .supervisors = 0, .workers = 1}));
  // terminate_child with the child's old pid ends the loop (OTP: {restarting, OldPid}).
  EXPECT_TRUE(terminate_child(n, sup, r->process).has_value());
  EXPECT_TRUE(children(sup).empty());
}

// --- a start with extra info ({ok, Pid, Info}) ---------------------------------------------

TEST_P(supervisor_both, extra_return) {
  pid sup = start_sup({}, {});
  child_spec spec = w("e");
  spec.start = [inner = spec.start](actor& parent) {
    child_start s = inner(parent);
    s.info = std::string("extra");
    return s;
  };
  auto r = start_child(n, sup, spec);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->process);
  ASSERT_TRUE(r->info.has_value());
  EXPECT_EQ(std::any_cast<std::string>(r->info), "extra");
  ASSERT_TRUE(terminate_child(n, sup, std::string("e")));
  auto again = restart_child(n, sup, "e");
  ASSERT_TRUE(again);
  EXPECT_EQ(std::any_cast<std::string>(again->info), "extra");
  notes(3);
}

TEST_P(supervisor_both, extra_return_of_a_plain_start_simple) {
  pid sup = start_sup(
      simple_flags(),
      {child_spec::plain_worker<stubborn>("s").with_shutdown(shutdown_policy::brutal_kill())});
  start_fn start = [](actor& parent) {
    return child_start{parent.spawn_link<stubborn>(), ref{}, std::any(7)};
  };
  auto r = start_child(n, sup, start);
  ASSERT_TRUE(r);
  EXPECT_EQ(std::any_cast<int>(r->info), 7);
  EXPECT_TRUE(terminate_child(n, sup, r->process));
}

// --- registered names ------------------------------------------------------------------------

TEST_P(supervisor_both, registered_child_is_found_by_name_and_keeps_it_across_restarts) {
  pid sup = start_sup({.intensity = 5},
                      {child_spec::worker<worker>("a", box.self(), "a").registered_as("alpha")});
  notes(1);
  pid first = child_pid(sup, "a");
  ASSERT_EQ(n.whereis("alpha"), first);
  crash(sup, "a");
  EXPECT_EQ(notes(2), (std::vector<std::string>{"stop a", "start a"}));
  pid second = child_pid(sup, "a");
  EXPECT_NE(second, first);
  EXPECT_EQ(n.whereis("alpha"), second);
}

TEST_P(supervisor_both, registered_child_supervisor_is_found_by_name) {
  supervisor_spec inner{{}, {w("x")}};
  pid sup = start_sup({}, {child_spec::supervisor("inner", inner).registered_as("inner_sup")});
  notes(1);
  EXPECT_EQ(n.whereis("inner_sup"), child_pid(sup, "inner"));
  EXPECT_EQ(children(*n.whereis("inner_sup")).size(), 1u);
}

TEST(supervisor_spec, registered_as_refuses_a_hand_written_start) {
  child_spec hand_written{"h", start_fn{}};
  EXPECT_THROW((void)std::move(hand_written).registered_as("h"), std::logic_error);
}
