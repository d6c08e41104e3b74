// supervisor as OTP 25's supervisor(3) defines it (cases named like supervisor_SUITE's).
#include <gtest/gtest.h>

#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

struct die {
  exit_reason reason;
};

/// A worker that tells the observer when it starts and stops.
class worker : public gen_server {
 public:
  worker(pid observer, std::string name) : observer_(observer), name_(std::move(name)) {}

 protected:
  void init() override {
    trap_exit(true);  // so terminate runs on shutdown
    send(observer_, note{"start " + name_});
  }
  void handle_cast(message& m) override {
    if (auto* d = m.get_if<die>()) stop(d->reason);
  }
  void terminate(const exit_reason&) override { send(observer_, note{"stop " + name_}); }

 private:
  pid observer_;
  std::string name_;
};

/// A worker whose init fails.
class broken : public gen_server {
 protected:
  void init() override { stop(exit_reason::error("no_database")); }
};

/// A plain process that traps exits and ignores the supervisor's shutdown.
struct stubborn : actor {
  void on_start() override { trap_exit(true); }
  void handle(message&) override {}
};

struct fixture {
  node n{deterministic()};
  inbox box{n};
  report_capture reports;

  child_spec w(const std::string& id) { return child_spec::worker<worker>(id, box.self(), id); }

  pid start_sup(supervisor_flags flags, std::vector<child_spec> children) {
    auto r = start_supervisor(n, supervisor_spec{flags, std::move(children)});
    EXPECT_TRUE(r.ok()) << r.to_string();
    return r.process;
  }
  std::vector<std::string> notes(std::size_t count) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
      auto m = box.receive<note>(1s);
      out.push_back(m ? m->text : "<none>");
    }
    return out;
  }
  bool quiet() { return !box.receive<note>(100ms); }
  pid child_pid(const pid& sup, const std::string& id) {
    for (auto& c : which_children(n, sup)) {
      if (c.id == id) return c.process;
    }
    return {};
  }
  void crash(const pid& sup, const std::string& id, exit_reason r = exit_reason::error("boom")) {
    cast(n, child_pid(sup, id), die{std::move(r)});
  }
};

using strings = std::vector<std::string>;

}  // namespace

TEST(supervisor, children_start_in_order_and_stop_in_reverse_order) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a"), f.w("b"), f.w("c")});
  EXPECT_EQ(f.notes(3), (strings{"start a", "start b", "start c"}));
  ref m = f.box.monitor(sup);
  f.n.exit(sup, exit_reason::shutdown());
  EXPECT_EQ(f.notes(3), (strings{"stop c", "stop b", "stop a"}));
  auto d = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
}

TEST(supervisor, progress_report_for_each_started_child) {
  fixture f;
  f.start_sup({}, {f.w("a"), f.w("b")});
  auto progress = f.reports.of_kind(report::kind::progress);
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0].get("child"), "a");
  EXPECT_EQ(progress[1].get("child"), "b");
}

TEST(supervisor, one_for_one_restarts_only_the_crashed_child) {
  fixture f;
  pid sup = f.start_sup({.strategy = restart_strategy::one_for_one, .intensity = 3},
                        {f.w("a"), f.w("b"), f.w("c")});
  f.notes(3);
  pid old_b = f.child_pid(sup, "b");
  f.crash(sup, "b");
  EXPECT_EQ(f.notes(2), (strings{"stop b", "start b"}));
  EXPECT_TRUE(f.quiet());
  EXPECT_NE(f.child_pid(sup, "b"), old_b);
  auto sr = f.reports.of_kind(report::kind::supervisor);
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(sr[0].get("action"), "restarting");
  EXPECT_EQ(sr[0].get("reason"), "boom");
}

TEST(supervisor, one_for_all_restarts_all_children) {
  fixture f;
  pid sup = f.start_sup({.strategy = restart_strategy::one_for_all, .intensity = 3},
                        {f.w("a"), f.w("b"), f.w("c")});
  f.notes(3);
  f.crash(sup, "b");
  EXPECT_EQ(f.notes(7),
            (strings{"stop b", "stop c", "stop a", "start a", "start b", "start c", "<none>"}));
}

TEST(supervisor, rest_for_one_restarts_the_crashed_child_and_those_after_it) {
  fixture f;
  pid sup = f.start_sup({.strategy = restart_strategy::rest_for_one, .intensity = 3},
                        {f.w("a"), f.w("b"), f.w("c")});
  f.notes(3);
  f.crash(sup, "b");
  EXPECT_EQ(f.notes(5), (strings{"stop b", "stop c", "start b", "start c", "<none>"}));
}

TEST(supervisor, permanent_child_restarted_after_normal_exit) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a")});
  f.notes(1);
  f.crash(sup, "a", exit_reason::normal());
  EXPECT_EQ(f.notes(2), (strings{"stop a", "start a"}));
}

TEST(supervisor, transient_child_not_restarted_after_normal_exit) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a").with_restart(restart_type::transient)});
  f.notes(1);
  f.crash(sup, "a", exit_reason::normal());
  EXPECT_EQ(f.notes(2), (strings{"stop a", "<none>"}));
  auto kids = which_children(f.n, sup);
  ASSERT_EQ(kids.size(), 1u);  // the spec stays, without a process
  EXPECT_FALSE(kids[0].process);
}

TEST(supervisor, transient_child_not_restarted_after_shutdown_exit) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a").with_restart(restart_type::transient)});
  f.notes(1);
  f.crash(sup, "a", exit_reason::shutdown("done"));
  EXPECT_EQ(f.notes(2), (strings{"stop a", "<none>"}));
}

TEST(supervisor, transient_child_restarted_after_abnormal_exit) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a").with_restart(restart_type::transient)});
  f.notes(1);
  f.crash(sup, "a");
  EXPECT_EQ(f.notes(2), (strings{"stop a", "start a"}));
}

TEST(supervisor, temporary_child_never_restarted_and_forgotten) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a").with_restart(restart_type::temporary), f.w("b")});
  f.notes(2);
  f.crash(sup, "a");
  EXPECT_EQ(f.notes(2), (strings{"stop a", "<none>"}));
  auto kids = which_children(f.n, sup);
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].id, "b");
}

TEST(supervisor, exceeding_intensity_terminates_supervisor_with_shutdown) {
  fixture f;
  pid sup = f.start_sup({.intensity = 2, .period = 10s}, {f.w("a"), f.w("b")});
  f.notes(2);
  ref m = f.box.monitor(sup);
  f.crash(sup, "a");
  f.notes(2);
  f.crash(sup, "a");
  f.notes(2);
  f.crash(sup, "a");  // third restart within 10 s: more than intensity 2
  auto d = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
  auto sr = f.reports.of_kind(report::kind::supervisor);
  ASSERT_FALSE(sr.empty());
  EXPECT_EQ(sr.back().get("action"), "reached_max_restart_intensity");
}

TEST(supervisor, restarts_older_than_period_do_not_count) {
  fixture f;
  pid sup = f.start_sup({.intensity = 1, .period = 5s}, {f.w("a")});
  f.notes(1);
  for (int i = 0; i < 4; ++i) {
    f.crash(sup, "a");
    EXPECT_EQ(f.notes(2), (strings{"stop a", "start a"}));
    f.n.advance_time(6s);  // each restart falls out of the period before the next
  }
  EXPECT_TRUE(f.n.is_alive(sup));
}

TEST(supervisor, failing_child_start_aborts_supervisor_start_and_stops_started_children) {
  fixture f;
  auto r = start_supervisor(
      f.n, supervisor_spec{{}, {f.w("a"), child_spec::worker<broken>("db"), f.w("c")}});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason, exit_reason::shutdown("{failed_to_start_child,db,no_database}"));
  EXPECT_EQ(f.notes(3), (strings{"start a", "stop a", "<none>"}));
}

TEST(supervisor, brutal_kill_shutdown_kills_the_child_without_terminate) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a").with_shutdown(shutdown_policy::brutal_kill())});
  f.notes(1);
  pid a = f.child_pid(sup, "a");
  ref m = f.box.monitor(a);
  EXPECT_TRUE(terminate_child(f.n, sup, std::string("a")).ok());
  auto d = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::killed());
  EXPECT_TRUE(f.quiet());  // terminate did not run
}

TEST(supervisor, shutdown_timeout_kills_a_child_that_does_not_stop_in_time) {
  fixture f;
  pid sup = f.start_sup(
      {}, {child_spec::plain_worker<stubborn>("s").with_shutdown(shutdown_policy::after(2s))});
  pid s = f.child_pid(sup, "s");
  ref m = f.box.monitor(s);
  auto t0 = f.n.now();
  EXPECT_TRUE(terminate_child(f.n, sup, std::string("s")).ok());
  auto d = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::killed());
  EXPECT_GE(f.n.now() - t0, 2s);
}

TEST(supervisor, shutdown_timeout_lets_a_cooperative_child_run_terminate) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a")});
  f.notes(1);
  EXPECT_TRUE(terminate_child(f.n, sup, std::string("a")).ok());
  EXPECT_EQ(f.notes(1), (strings{"stop a"}));
}

TEST(supervisor, nested_supervisor_exceeding_intensity_is_restarted_by_its_parent) {
  fixture f;
  supervisor_spec inner{{.intensity = 0}, {f.w("leaf")}};
  pid top = f.start_sup({.intensity = 5}, {child_spec::supervisor("inner", inner)});
  f.notes(1);
  pid inner_pid = f.child_pid(top, "inner");
  pid leaf = f.child_pid(inner_pid, "leaf");
  cast(f.n, leaf, die{exit_reason::error("boom")});
  // inner may not restart (intensity 0): it stops and top restarts it, and with it the leaf.
  EXPECT_EQ(f.notes(2), (strings{"stop leaf", "start leaf"}));
  pid new_inner = f.child_pid(top, "inner");
  EXPECT_TRUE(new_inner);
  EXPECT_NE(new_inner, inner_pid);
  EXPECT_FALSE(f.n.is_alive(inner_pid));
}

TEST(supervisor, supervisors_nest_to_any_depth_and_stop_depth_first_in_reverse) {
  fixture f;
  supervisor_spec level3{{}, {f.w("deep")}};
  supervisor_spec level2{{}, {child_spec::supervisor("l3", level3), f.w("mid")}};
  pid top = f.start_sup({}, {child_spec::supervisor("l2", level2), f.w("top")});
  EXPECT_EQ(f.notes(3), (strings{"start deep", "start mid", "start top"}));
  f.n.exit(top, exit_reason::shutdown());
  EXPECT_EQ(f.notes(3), (strings{"stop top", "stop mid", "stop deep"}));
}

TEST(supervisor, simple_one_for_one_starts_dynamic_children_and_restarts_them) {
  fixture f;
  pid sup = f.start_sup({.strategy = restart_strategy::simple_one_for_one, .intensity = 3},
                        {f.w("template")});
  EXPECT_TRUE(f.quiet());  // no child until start_child
  auto r1 = start_child(f.n, sup, start_link_fn<worker>(f.box.self(), std::string("d1")));
  auto r2 = start_child(f.n, sup, start_link_fn<worker>(f.box.self(), std::string("d2")));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(f.notes(2), (strings{"start d1", "start d2"}));
  EXPECT_EQ(count_children(f.n, sup).active, 2u);
  cast(f.n, r1.process, die{exit_reason::error("boom")});
  EXPECT_EQ(f.notes(2), (strings{"stop d1", "start d1"}));
  EXPECT_TRUE(terminate_child(f.n, sup, r2.process).ok());
  EXPECT_EQ(f.notes(1), (strings{"stop d2"}));
  EXPECT_EQ(count_children(f.n, sup).specs, 1u);
}

TEST(supervisor, start_restart_delete_child_manage_specs_like_otp) {
  fixture f;
  pid sup = f.start_sup({}, {f.w("a")});
  f.notes(1);
  EXPECT_TRUE(start_child(f.n, sup, f.w("b")).ok());
  EXPECT_EQ(start_child(f.n, sup, f.w("b")).reason.to_string().rfind("{already_started,", 0), 0u);
  EXPECT_EQ(delete_child(f.n, sup, "b").reason.to_string(), "running");
  EXPECT_TRUE(terminate_child(f.n, sup, std::string("b")).ok());
  EXPECT_EQ(start_child(f.n, sup, f.w("b")).reason.to_string(), "already_present");
  EXPECT_TRUE(restart_child(f.n, sup, "b").ok());
  EXPECT_EQ(restart_child(f.n, sup, "b").reason.to_string(), "running");
  EXPECT_TRUE(terminate_child(f.n, sup, std::string("b")).ok());
  EXPECT_TRUE(delete_child(f.n, sup, "b").ok());
  EXPECT_EQ(delete_child(f.n, sup, "b").reason.to_string(), "not_found");
  auto counts = count_children(f.n, sup);
  EXPECT_EQ(counts.specs, 1u);
  EXPECT_EQ(counts.active, 1u);
  EXPECT_EQ(counts.workers, 1u);
}

TEST(supervisor, start_child_with_failing_start_returns_the_error) {
  fixture f;
  pid sup = f.start_sup({}, {});
  auto r = start_child(f.n, sup, child_spec::worker<broken>("db"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "no_database");
  EXPECT_EQ(count_children(f.n, sup).specs, 0u);
}

TEST(supervisor, any_significant_child_exit_shuts_the_supervisor_down) {
  fixture f;
  pid sup =
      f.start_sup({.auto_shutdown = auto_shutdown_policy::any_significant},
                  {f.w("a").with_restart(restart_type::transient).as_significant(), f.w("b")});
  f.notes(2);
  ref m = f.box.monitor(sup);
  f.crash(sup, "a", exit_reason::normal());
  auto d = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown());
}

TEST(supervisor, all_significant_waits_for_every_significant_child) {
  fixture f;
  pid sup = f.start_sup({.auto_shutdown = auto_shutdown_policy::all_significant},
                        {f.w("a").with_restart(restart_type::temporary).as_significant(),
                         f.w("b").with_restart(restart_type::temporary).as_significant()});
  f.notes(2);
  f.crash(sup, "a", exit_reason::normal());
  f.notes(1);
  f.n.run_until_idle();
  EXPECT_TRUE(f.n.is_alive(sup));
  f.crash(sup, "b", exit_reason::normal());
  f.notes(1);
  f.n.run_until_idle();
  EXPECT_FALSE(f.n.is_alive(sup));
}
