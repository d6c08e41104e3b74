#pragma once
// Options of distributed_node::monitor_nodes, as net_kernel:monitor_nodes/2 takes them.

#include <optional>

namespace bitactor::dist {

/// Which connections a subscription reports. A connection is visible when both nodes are
/// (neither started hidden), hidden otherwise.
enum class node_type { visible, hidden, all };

struct monitor_nodes_options {
  /// {node_type, T}: nullopt reports visible nodes only, as monitor_nodes(true) does.
  std::optional<node_type> type = std::nullopt;
  /// nodedown_reason: nodedown messages say why (connection_closed, disconnect,
  /// net_tick_timeout, net_kernel_terminated).
  bool nodedown_reason = false;

  /// With no option set, messages are {nodeup, Node} and {nodedown, Node}; with any, they
  /// are {nodeup, Node, Info} and {nodedown, Node, Info}, Info holding {node_type, visible |
  /// hidden} when `type` is set and {nodedown_reason, Reason} when asked.
  bool any() const noexcept { return type.has_value() || nodedown_reason; }
  friend bool operator==(const monitor_nodes_options&, const monitor_nodes_options&) = default;
};

}  // namespace bitactor::dist
