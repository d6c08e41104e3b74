#pragma once
// Internal: the subscriptions of distributed_node::monitor_nodes, and the messages each
// connection event makes for them (net_kernel:monitor_nodes/2). Pure bookkeeping: the
// controller calls it on its io thread and delivers what it returns.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bitactor/core/pid.hpp"
#include "bitactor/dist/node_monitor.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist::detail {

class node_watchers {
 public:
  using deliveries = std::vector<std::pair<pid, term::term>>;

  /// One more subscription (a process may hold several; each gets its own messages).
  void add(const pid& who, const monitor_nodes_options& options);
  /// Removes one subscription of `who` with these options; false if there is none.
  bool remove(const pid& who, const monitor_nodes_options& options);
  /// Drops every subscription of `who` (it ended).
  void forget(const pid& who);

  /// The connection to `peer` is up: {nodeup, ...} for each subscription it concerns.
  deliveries up(const std::string& peer, bool visible);
  /// The connection to `peer`, up before, is gone for `reason` (net_kernel's atom):
  /// {nodedown, ...} for each subscription it concerns. Nothing for a peer never up.
  deliveries down(const std::string& peer, std::string_view reason);

  /// net_kernel's nodedown reason for why a connection closed (connection.hpp's texts).
  static std::string_view reason_of(std::string_view why);

 private:
  struct subscription {
    pid who;
    monitor_nodes_options options;
  };
  deliveries announce(const char* what, const std::string& peer, bool visible,
                      std::string_view reason);

  std::vector<subscription> subscriptions_;
  std::vector<std::pair<std::string, bool>> up_;  // peers announced up, and their visibility
};

}  // namespace bitactor::dist::detail
