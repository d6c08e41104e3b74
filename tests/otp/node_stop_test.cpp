// node::stop() as init:stop(): every supervision tree is shut down top-down, children in
// reverse start order under their shutdown policies, and each behaviour that traps exits runs
// terminate(shutdown); a process that will not stop is ended by force after stop_timeout.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

class recorded : public gen_server {
 public:
  recorded(std::shared_ptr<shared_journal> j, std::string name)
      : j_(std::move(j)), name_(std::move(name)) {}

 protected:
  void init() override {
    trap_exit(true);  // so terminate runs on shutdown
    j_->add("start " + name_);
  }
  void terminate(const exit_reason& why) override {
    j_->add("terminate " + name_ + " " + why.to_string());
  }

 private:
  std::shared_ptr<shared_journal> j_;
  std::string name_;
};

class node_stop : public ::testing::TestWithParam<scheduling_policy> {};

}  // namespace

TEST_P(node_stop, runs_terminate_of_a_server_started_from_a_thread) {
  auto j = std::make_shared<shared_journal>();
  {
    node n(config_for(GetParam()));
    ASSERT_TRUE(start<recorded>(n, {}, j, std::string("solo")).ok());
  }
  EXPECT_EQ(j->read(), (std::vector<std::string>{"start solo", "terminate solo shutdown"}));
}

TEST_P(node_stop, shuts_a_supervision_tree_down_in_reverse_start_order) {
  auto j = std::make_shared<shared_journal>();
  {
    node n(config_for(GetParam()));
    supervisor_spec inner{{}, {child_spec::worker<recorded>("c", j, std::string("c"))}};
    auto sup = start_supervisor(
        n, supervisor_spec{{},
                           {child_spec::worker<recorded>("a", j, std::string("a")),
                            child_spec::supervisor("inner", inner),
                            child_spec::worker<recorded>("b", j, std::string("b"))}});
    ASSERT_TRUE(sup.ok());
    ASSERT_TRUE(which_children(n, sup.process));  // every child has started
    n.stop();
  }
  EXPECT_EQ(j->read(),
            (std::vector<std::string>{"start a", "start c", "start b", "terminate b shutdown",
                                      "terminate c shutdown", "terminate a shutdown"}));
}

INSTANTIATE_TEST_SUITE_P(policies, node_stop, both_policies, policy_name);

TEST(node_stop_bounded, a_child_that_will_not_stop_is_ended_by_force_after_stop_timeout) {
  auto j = std::make_shared<shared_journal>();
  node_config cfg = deterministic();
  cfg.stop_timeout = std::chrono::seconds(3);
  node n(cfg);
  auto sup = start_supervisor(
      n, supervisor_spec{{},
                         {child_spec::worker<recorded>("a", j, std::string("a")),
                          child_spec{"stubborn", spawn_link_fn<stubborn_child>(),
                                     restart_type::permanent, shutdown_policy::wait_forever()}}});
  ASSERT_TRUE(sup.ok());
  ASSERT_TRUE(which_children(n, sup.process));
  const auto before = n.now();
  n.stop();  // returns: the stubborn child and its supervisor are ended by force
  EXPECT_GE(n.now() - before, std::chrono::seconds(3));
  // The supervisor was still waiting for the stubborn child, so `a` was never asked to stop.
  EXPECT_EQ(j->read(), (std::vector<std::string>{"start a"}));
}
