// Property: casts and calls from one client are handled in the order sent (OTP: message
// order per sender->receiver pair), so every call's reply reflects exactly the casts and
// calls sent before it. It holds under both scheduler policies.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <bitactor/otp/gen_server.hpp>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

struct append {
  int value;
};
struct append_and_read {
  int value;
  using reply = std::vector<int>;
};

class journal : public gen_server {
 protected:
  void handle_cast(message& m) override {
    if (auto* a = m.get_if<append>()) seen_.push_back(a->value);
  }
  void handle_call(call_context& c) override {
    c.match([&](append_and_read& a) {
      seen_.push_back(a.value);
      return seen_;
    });
  }

 private:
  std::vector<int> seen_;
};

class gen_server_property : public policy_test {};
INSTANTIATE_TEST_SUITE_P(policies, gen_server_property, both_policies, policy_name);

}  // namespace

TEST_P(gen_server_property, calls_and_casts_from_one_client_are_handled_in_send_order) {
  const scheduling_policy policy = GetParam();
  bool passed = rc::check(
      "call/cast ordering",
      [policy](const std::vector<std::pair<bool, int>>& ops, std::uint64_t seed) {
        // The seed picks the deterministic policy's order; work stealing brings its own.
        node n(policy == scheduling_policy::deterministic ? node_config::deterministic(seed)
                                                          : config_for(policy));
        auto server = start<journal>(n, {});
        RC_ASSERT(server.ok());
        std::vector<int> model;
        for (const auto& [is_call, v] : ops) {
          model.push_back(v);
          if (is_call) {
            RC_ASSERT(call(n, server.process, append_and_read{v}) == model);
          } else {
            cast(n, server.process, append{v});
          }
        }
        RC_ASSERT(call(n, server.process, append_and_read{-1}).size() == model.size() + 1);
      });
  EXPECT_TRUE(passed);
}
