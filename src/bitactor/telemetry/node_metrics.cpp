#include "bitactor/telemetry/node_metrics.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace bitactor::telemetry {

namespace {
family_sample one(std::string name, std::string help, metric_type type, const std::string& node,
                  double value) {
  family_sample f{.name = std::move(name),
                  .help = std::move(help),
                  .type = type,
                  .upper_bounds = {},
                  .series = {}};
  f.series.push_back(
      {.labels = {{"node", node}}, .value = value, .buckets = {}, .sum = 0, .count = 0});
  return f;
}

double d(std::uint64_t v) { return static_cast<double>(v); }
}  // namespace

collector_id add_node_collector(registry& r, const node& n) {
  return r.add_collector([&n](std::vector<family_sample>& out) {
    const node_counters c = n.counters();
    const std::string& name = n.name();
    const auto counter = metric_type::counter;
    const auto gauge = metric_type::gauge;
    out.push_back(
        one("bitactor_processes", "Processes alive on the node.", gauge, name, d(c.processes)));
    out.push_back(one("bitactor_processes_spawned_total",
                      "Processes spawned since the node started.", counter, name, d(c.spawned)));
    out.push_back(one("bitactor_processes_exited_total", "Processes exited since the node started.",
                      counter, name, d(c.exited)));
    out.push_back(one("bitactor_processes_exited_abnormal_total",
                      "Processes exited with a reason other than normal or shutdown.", counter,
                      name, d(c.exited_abnormal)));
    out.push_back(one("bitactor_processes_crashed_total",
                      "Processes exited by an exception escaping a handler.", counter, name,
                      d(c.crashed)));
    out.push_back(one("bitactor_messages_sent_total",
                      "Messages and signals delivered to local processes.", counter, name,
                      d(c.messages_sent)));
    out.push_back(one("bitactor_timers_pending", "Timers set and not yet fired.", gauge, name,
                      d(c.timers_pending)));
    out.push_back(one("bitactor_timer_wakeups_total", "Times the node's timer thread woke.",
                      counter, name, d(c.timer_wakeups)));
    out.push_back(one("bitactor_workers", "Scheduler worker threads of the node.", gauge, name,
                      d(c.workers)));
  });
}

}  // namespace bitactor::telemetry
