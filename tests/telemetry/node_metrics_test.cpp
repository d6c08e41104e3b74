// The node collector: on a real, threaded node, the collected numbers follow processes as
// they are spawned, exit and crash, carry the node's name, and stop once removed.
#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <bitactor/telemetry/node_metrics.hpp>
#include <bitactor/telemetry/prometheus.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/wait.hpp"

namespace telemetry = bitactor::telemetry;
using namespace std::chrono_literals;
using bitactor::actor;
using bitactor::down_msg;
using bitactor::exit_reason;
using bitactor::inbox;
using bitactor::message;
using bitactor::node;
using bitactor::pid;

using bitactor::test::holds_within;

namespace {
bitactor::node_config threaded() {
  bitactor::node_config c;
  c.workers = 2;
  return c;
}

/// The value of a node family's one series, checking its node label; nullopt if absent.
std::optional<double> collected(const telemetry::registry& r, const std::string& name,
                                const node& n) {
  for (const auto& f : r.collect()) {
    if (f.name != name) continue;
    EXPECT_EQ(f.series.size(), 1u);
    if (f.series.size() != 1) return std::nullopt;
    using labels = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(f.series[0].labels, (labels{{"node", n.name()}}));
    return f.series[0].value;
  }
  return std::nullopt;
}

void idle(actor&, message&) {}
}  // namespace

TEST(telemetry_node_metrics, every_documented_family_is_reported_with_its_type) {
  node n(threaded());
  telemetry::registry r;
  telemetry::add_node_collector(r, n);
  const std::vector<std::pair<std::string, telemetry::metric_type>> expected = {
      {"bitactor_processes", telemetry::metric_type::gauge},
      {"bitactor_processes_spawned_total", telemetry::metric_type::counter},
      {"bitactor_processes_exited_total", telemetry::metric_type::counter},
      {"bitactor_processes_exited_abnormal_total", telemetry::metric_type::counter},
      {"bitactor_processes_crashed_total", telemetry::metric_type::counter},
      {"bitactor_messages_sent_total", telemetry::metric_type::counter},
      {"bitactor_timers_pending", telemetry::metric_type::gauge},
      {"bitactor_timer_wakeups_total", telemetry::metric_type::counter},
      {"bitactor_workers", telemetry::metric_type::gauge}};
  const auto all = r.collect();
  ASSERT_EQ(all.size(), expected.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].name, expected[i].first);
    EXPECT_EQ(all[i].type, expected[i].second) << all[i].name;
    EXPECT_FALSE(all[i].help.empty()) << all[i].name;
  }
  EXPECT_EQ(collected(r, "bitactor_workers", n), 2.0);
}

TEST(telemetry_node_metrics, the_numbers_follow_processes_spawned_and_exited) {
  node n(threaded());
  inbox box(n);
  telemetry::registry r;
  telemetry::add_node_collector(r, n);
  const double alive = *collected(r, "bitactor_processes", n);
  const double spawned = *collected(r, "bitactor_processes_spawned_total", n);
  const double exited = *collected(r, "bitactor_processes_exited_total", n);

  std::vector<pid> ps;
  for (int i = 0; i < 5; ++i) ps.push_back(n.spawn(idle));
  EXPECT_EQ(collected(r, "bitactor_processes", n), alive + 5);
  EXPECT_EQ(collected(r, "bitactor_processes_spawned_total", n), spawned + 5);

  for (const pid& p : ps) box.monitor(p);
  for (int i = 0; i < 3; ++i) n.exit(ps[static_cast<std::size_t>(i)], exit_reason::kill());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(box.receive<down_msg>(10s));
  EXPECT_TRUE(holds_within(
      10s, [&] { return collected(r, "bitactor_processes_exited_total", n) == exited + 3; }));
  EXPECT_EQ(collected(r, "bitactor_processes", n), alive + 2);
  EXPECT_EQ(collected(r, "bitactor_processes_exited_abnormal_total", n), 3.0) << "killed";
  EXPECT_EQ(collected(r, "bitactor_processes_crashed_total", n), 0.0) << "a kill is no crash";
}

TEST(telemetry_node_metrics, a_crash_counts_as_crashed_and_abnormal_and_messages_are_counted) {
  node n(threaded());
  inbox box(n);
  telemetry::registry r;
  telemetry::add_node_collector(r, n);
  const double sent = *collected(r, "bitactor_messages_sent_total", n);
  const pid p = n.spawn([](actor&, message&) { throw std::runtime_error("boom"); });
  box.monitor(p);
  n.send(p, 1);
  ASSERT_TRUE(box.receive<down_msg>(10s));
  EXPECT_TRUE(holds_within(
      10s, [&] { return collected(r, "bitactor_processes_crashed_total", n) == 1.0; }));
  EXPECT_EQ(collected(r, "bitactor_processes_exited_abnormal_total", n), 1.0);
  EXPECT_GE(*collected(r, "bitactor_messages_sent_total", n), sent + 2) << "the message, the DOWN";
}

TEST(telemetry_node_metrics, a_pending_timer_is_counted_until_cancelled) {
  node n(threaded());
  telemetry::registry r;
  telemetry::add_node_collector(r, n);
  const pid p = n.spawn(idle);
  const double before = *collected(r, "bitactor_timers_pending", n);
  const auto t = n.send_after(p, std::chrono::hours(1), 1);
  EXPECT_EQ(collected(r, "bitactor_timers_pending", n), before + 1);
  n.cancel_timer(t);
  EXPECT_EQ(collected(r, "bitactor_timers_pending", n), before);
}

TEST(telemetry_node_metrics, the_exposition_carries_the_node_label) {
  bitactor::node_config c = threaded();
  c.name = "metrics@localhost";
  node n(c);
  telemetry::registry r;
  telemetry::add_node_collector(r, n);
  const std::string text = telemetry::prometheus::render(r);
  EXPECT_NE(
      text.find("# TYPE bitactor_processes gauge\nbitactor_processes{node=\"metrics@localhost\"} "),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("\nbitactor_workers{node=\"metrics@localhost\"} 2\n"), std::string::npos)
      << text;
}

TEST(telemetry_node_metrics, a_removed_collector_reports_nothing_more) {
  node n(threaded());
  telemetry::registry r;
  r.add_gauge("own", "Own.").set(1);
  const auto id = telemetry::add_node_collector(r, n);
  EXPECT_EQ(r.collect().size(), 10u);
  EXPECT_TRUE(r.remove_collector(id));
  EXPECT_EQ(r.collect().size(), 1u);
}

TEST(telemetry_node_metrics, two_nodes_in_one_registry_are_refused_as_duplicate_names) {
  node a(threaded());
  node b(threaded());
  telemetry::registry r;
  telemetry::add_node_collector(r, a);
  telemetry::add_node_collector(r, b);
  EXPECT_THROW(r.collect(), std::invalid_argument)
      << "one registry per node: families may not repeat";
}
