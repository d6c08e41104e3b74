// Applications stop in reverse start order, one at a time (OTP application_controller: on
// init:stop every application is stopped, the last started first, its top supervisor shut
// down under its shutdown policies before the next), and stopping one whose children never
// stop is bounded by its shutdown_timeout (kernel(6): shutdown_timeout), then killed.
#include <gtest/gtest.h>

#include <bitactor/otp/application.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

using strings = std::vector<std::string>;

class recorded : public gen_server {
 public:
  recorded(std::shared_ptr<shared_journal> j, std::string name)
      : j_(std::move(j)), name_(std::move(name)) {}

 protected:
  void init() override { trap_exit(true); }  // so terminate runs on shutdown
  void terminate(const exit_reason&) override { j_->add("stop " + name_); }

 private:
  std::shared_ptr<shared_journal> j_;
  std::string name_;
};

/// An application of two recorded workers, `<name>1` and `<name>2`.
application_spec recorded_app(const std::string& name, const std::shared_ptr<shared_journal>& j) {
  application_spec spec;
  spec.name = name;
  spec.top = [name, j](const environment&) {
    return supervisor_spec{{},
                           {child_spec::worker<recorded>(name + "1", j, name + "1"),
                            child_spec::worker<recorded>(name + "2", j, name + "2")}};
  };
  return spec;
}

/// An application whose top supervisor waits forever for a child that never stops.
application_spec stuck_app(std::chrono::milliseconds shutdown_timeout) {
  application_spec spec;
  spec.name = "stuck";
  spec.top = [](const environment&) {
    return supervisor_spec{{},
                           {child_spec{"stubborn", spawn_link_fn<stubborn_child>(),
                                       restart_type::permanent, shutdown_policy::wait_forever()}}};
  };
  spec.shutdown_timeout = shutdown_timeout;
  return spec;
}

class application_stop_order : public ::testing::TestWithParam<scheduling_policy> {};

}  // namespace

INSTANTIATE_TEST_SUITE_P(policies, application_stop_order, both_policies, policy_name);

TEST_P(application_stop_order, node_stop_stops_applications_last_started_first_one_at_a_time) {
  auto j = std::make_shared<shared_journal>();
  {
    node n(config_for(GetParam()));
    application_controller apps(n);
    apps.load(recorded_app("a", j));
    apps.load(recorded_app("b", j));
    apps.load(recorded_app("c", j));
    apps.start("a");
    apps.start("b");
    apps.start("c");
    n.stop();
  }
  // Each application's workers stop in reverse order, and all of them before the
  // application started earlier is asked to stop.
  EXPECT_EQ(j->read(), (strings{"stop c2", "stop c1", "stop b2", "stop b1", "stop a2", "stop a1"}));
}

TEST_P(application_stop_order, destroying_the_controller_stops_applications_last_started_first) {
  auto j = std::make_shared<shared_journal>();
  node n(config_for(GetParam()));
  {
    application_controller apps(n);
    apps.load(recorded_app("a", j));
    apps.load(recorded_app("b", j));
    apps.start("b");
    apps.start("a");
  }
  EXPECT_EQ(j->read(), (strings{"stop a2", "stop a1", "stop b2", "stop b1"}));
}

TEST_P(application_stop_order, dependencies_stop_after_the_applications_that_need_them) {
  auto j = std::make_shared<shared_journal>();
  {
    node n(config_for(GetParam()));
    application_controller apps(n);
    apps.load(recorded_app("db", j));
    application_spec web = recorded_app("web", j);
    web.dependencies = {"db"};
    apps.load(std::move(web));
    apps.start("web");  // db first
    n.stop();
  }
  EXPECT_EQ(j->read(), (strings{"stop web2", "stop web1", "stop db2", "stop db1"}));
}

TEST(application_stop_bounded, stop_of_an_application_that_never_stops_ends_after_its_timeout) {
  node n(deterministic());
  application_controller apps(n);
  apps.load(stuck_app(std::chrono::seconds(2)));
  apps.start("stuck");
  const pid top = apps.which_applications().at(0).top_supervisor;
  const auto before = n.now();
  apps.stop("stuck");  // returns: the top supervisor was killed after 2 s
  EXPECT_GE(n.now() - before, std::chrono::seconds(2));
  EXPECT_LT(n.now() - before, std::chrono::seconds(3));
  EXPECT_FALSE(n.is_alive(top));
  EXPECT_FALSE(apps.is_running("stuck"));
}

TEST(application_stop_bounded, node_stop_kills_a_stuck_application_and_stops_the_earlier_ones) {
  auto j = std::make_shared<shared_journal>();
  node_config cfg = deterministic();
  cfg.stop_timeout = std::chrono::seconds(60);  // the application's bound acts, not the node's
  node n(cfg);
  application_controller apps(n);
  apps.load(recorded_app("a", j));
  apps.load(stuck_app(std::chrono::seconds(2)));
  apps.start("a");
  apps.start("stuck");
  const auto before = n.now();
  n.stop();
  EXPECT_GE(n.now() - before, std::chrono::seconds(2));
  EXPECT_LT(n.now() - before, std::chrono::seconds(60));
  // The stuck application was given up on after 2 s; the one started before it then
  // stopped in order.
  EXPECT_EQ(j->read(), (strings{"stop a2", "stop a1"}));
}
