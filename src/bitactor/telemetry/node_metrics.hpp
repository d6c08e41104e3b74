#pragma once
// The node's own statistics (node::counters(), process_info.hpp) as metrics, read at every
// collect. Each series carries the label node="<node name>".
//
//   telemetry::registry metrics;
//   auto id = telemetry::add_node_collector(metrics, node);
//   ...
//   metrics.remove_collector(id);   // before the node is destroyed
//
//   bitactor_processes                         gauge    processes alive now
//   bitactor_processes_spawned_total           counter  processes spawned since start
//   bitactor_processes_exited_total            counter  processes exited since start
//   bitactor_processes_exited_abnormal_total   counter  of those, with a reason other than
//                                                       normal or shutdown
//   bitactor_processes_crashed_total           counter  of those, by an exception escaping a
//                                                       handler
//   bitactor_messages_sent_total               counter  messages and signals delivered to
//                                                       local processes
//   bitactor_timers_pending                    gauge    timers set and not yet fired
//   bitactor_timer_wakeups_total               counter  times the timer thread woke
//   bitactor_workers                           gauge    scheduler worker threads
//
// The node must outlive the collector: remove it (remove_collector returns once no collect
// is using it) before destroying the node, or destroy the registry first. One node per
// registry: a second node's collector reports the same names, and collect() refuses that.

#include "bitactor/core/node.hpp"
#include "bitactor/telemetry/metrics.hpp"

namespace bitactor::telemetry {

/// Adds a collector of n's counters to r; returns its id.
collector_id add_node_collector(registry& r, const node& n);

}  // namespace bitactor::telemetry
