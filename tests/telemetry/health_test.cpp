// Health checks: passing, failing and throwing checks, replace and remove by name, order,
// the applications check on a real controller, and the JSON report.
#include <gtest/gtest.h>

#include <bitactor/core/node.hpp>
#include <bitactor/otp/application.hpp>
#include <bitactor/telemetry/health.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace telemetry = bitactor::telemetry;
namespace otp = bitactor::otp;
using telemetry::check_kind;
using telemetry::check_result;

TEST(telemetry_health, no_checks_means_ok) {
  telemetry::health h;
  EXPECT_TRUE(h.live().ok);
  EXPECT_TRUE(h.ready().ok);
  EXPECT_TRUE(h.ready().checks.empty());
}

TEST(telemetry_health, one_failing_check_fails_the_kind_and_each_check_is_reported) {
  telemetry::health h;
  h.add_readiness("cache", [] { return check_result{true, "warm"}; });
  h.add_readiness("database", [] { return check_result{false, "connection refused"}; });
  h.add_liveness("loop", [] { return check_result{}; });
  const auto ready = h.ready();
  EXPECT_FALSE(ready.ok);
  ASSERT_EQ(ready.checks.size(), 2u);
  EXPECT_EQ(ready.checks[0].name, "cache");
  EXPECT_TRUE(ready.checks[0].result.ok);
  EXPECT_EQ(ready.checks[0].result.detail, "warm");
  EXPECT_EQ(ready.checks[1].name, "database");
  EXPECT_FALSE(ready.checks[1].result.ok);
  EXPECT_EQ(ready.checks[1].result.detail, "connection refused");
  EXPECT_TRUE(h.live().ok) << "the kinds are independent";
  EXPECT_EQ(h.live().checks.size(), 1u);
}

TEST(telemetry_health, a_throwing_check_fails_with_what_it_threw) {
  telemetry::health h;
  h.add_liveness("std", []() -> check_result { throw std::runtime_error("disk gone"); });
  h.add_liveness("other", []() -> check_result { throw 3; });
  h.add_liveness("after", [] { return check_result{true, ""}; });
  const auto r = h.live();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.checks.size(), 3u);
  EXPECT_FALSE(r.checks[0].result.ok);
  EXPECT_EQ(r.checks[0].result.detail, "disk gone");
  EXPECT_FALSE(r.checks[1].result.ok);
  EXPECT_EQ(r.checks[1].result.detail, "unknown exception");
  EXPECT_TRUE(r.checks[2].result.ok) << "the checks after a throw still run";
}

TEST(telemetry_health, adding_a_name_again_replaces_the_check_in_its_place) {
  telemetry::health h;
  h.add_readiness("a", [] { return check_result{false, ""}; });
  h.add_readiness("b", [] { return check_result{}; });
  h.add_readiness("a", [] { return check_result{true, "fixed"}; });
  h.add_liveness("a", [] { return check_result{false, "a liveness check of the same name"}; });
  const auto r = h.ready();
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].name, "a");
  EXPECT_EQ(r.checks[0].result.detail, "fixed");
  EXPECT_FALSE(h.live().ok);
}

TEST(telemetry_health, remove_takes_out_one_kind_and_name) {
  telemetry::health h;
  h.add_readiness("a", [] { return check_result{false, ""}; });
  h.add_liveness("a", [] { return check_result{false, ""}; });
  EXPECT_TRUE(h.remove(check_kind::readiness, "a"));
  EXPECT_FALSE(h.remove(check_kind::readiness, "a"));
  EXPECT_TRUE(h.ready().ok);
  EXPECT_FALSE(h.live().ok);
}

TEST(telemetry_health, a_check_may_change_the_checks_as_it_runs) {
  telemetry::health h;
  h.add_liveness("self_removing", [&h] {
    h.remove(check_kind::liveness, "self_removing");
    return check_result{};
  });
  EXPECT_EQ(h.live().checks.size(), 1u) << "checks run outside the lock";
  EXPECT_TRUE(h.live().checks.empty());
}

TEST(telemetry_health, checks_run_from_many_threads_while_others_are_added) {
  telemetry::health h;
  h.add_readiness("steady", [] { return check_result{}; });
  std::vector<std::thread> askers;
  for (int t = 0; t < 3; ++t) {
    askers.emplace_back([&h] {
      for (int i = 0; i < 2000; ++i) EXPECT_TRUE(h.ready().ok);
    });
  }
  for (int i = 0; i < 2000; ++i) {
    h.add_readiness("churn", [] { return check_result{}; });
    h.remove(check_kind::readiness, "churn");
  }
  for (auto& t : askers) t.join();
}

TEST(telemetry_health, the_json_report_has_status_and_every_check) {
  telemetry::health_report r{
      .ok = false,
      .checks = {{.name = "db", .result = {.ok = false, .detail = "refused \"x\""}},
                 {.name = "cache", .result = {.ok = true, .detail = ""}}}};
  EXPECT_EQ(telemetry::to_json(r),
            R"({"checks":[{"detail":"refused \"x\"","name":"db","ok":false},)"
            R"({"detail":"","name":"cache","ok":true}],"status":"failing"})");
  EXPECT_EQ(telemetry::to_json(telemetry::health_report{}), R"({"checks":[],"status":"ok"})");
}

TEST(telemetry_health, a_detail_that_is_not_utf8_is_replaced_not_thrown) {
  telemetry::health_report r{.ok = false,
                             .checks = {{.name = "x", .result = {.ok = false, .detail = "a\xff"}}}};
  std::string json;
  ASSERT_NO_THROW(json = telemetry::to_json(r));
  EXPECT_EQ(nlohmann::json::parse(json)["checks"][0]["detail"], "a\xef\xbf\xbd");
}

TEST(telemetry_health, applications_started_passes_once_every_named_application_runs) {
  bitactor::node n;
  otp::application_controller apps(n);
  for (const char* name : {"store", "web"}) {
    otp::application_spec spec;
    spec.name = name;
    spec.top = [](const otp::environment&) { return otp::supervisor_spec{{}, {}}; };
    apps.load(spec);
  }
  telemetry::health h;
  h.add_readiness("apps", telemetry::applications_started(apps, {"store", "web"}));
  auto r = h.ready();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.checks[0].result.detail, "not running: store, web");
  apps.start("store");
  r = h.ready();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.checks[0].result.detail, "not running: web");
  apps.start("web");
  EXPECT_TRUE(h.ready().ok);
  apps.stop("store");
  EXPECT_FALSE(h.ready().ok);
}
