#pragma once
// The seam between core and distribution. A node that is part of a cluster holds a
// remote_router (installed by the dist layer with runtime::set_remote_router); every message
// and signal addressed to a pid of another node (pid.node != this node's index) is handed to it
// instead of being dropped. Links, monitors, unlinks and exit signals use the same path as
// messages, so per-pair order is kept across nodes as Erlang guarantees.

#include <optional>
#include <string_view>

#include "bitactor/core/message.hpp"
#include "bitactor/core/pid.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor {

class remote_router {
 public:
  virtual ~remote_router() = default;
  /// Takes ownership of `m` (a user message, or, when m->is<detail::signal>(), a detail::signal to
  /// static_cast to),
  /// addressed to `to` on another node. Called from any thread, including a process's turn:
  /// it must not block (queue the work and return). Undeliverable messages are dropped, as
  /// sends to dead pids are; a link or monitor that cannot reach its target is answered with
  /// noconnection by the router.
  virtual void route(const pid& to, message* m) noexcept = 0;
  /// `{name, node} ! msg` from the local process `from` (REG_SEND), `node` another node's
  /// name. Must not block. The default drops it.
  virtual void send_named(const pid& from, std::string_view name, std::string_view node,
                          const term::term& msg) noexcept {
    (void)from, (void)name, (void)node, (void)msg;
  }
  /// erlang:monitor(process, {name, node}) for the local process `watcher`, `node` another
  /// node's name: records the watcher's half (runtime::record_monitor) and returns its ref; the
  /// DOWN comes as for a monitor of a pid. nullopt (the default): the runtime answers with a
  /// DOWN noconnection at once.
  virtual std::optional<ref> monitor_name(const pid& watcher, std::string_view name,
                                          std::string_view node) {
    (void)watcher, (void)name, (void)node;
    return std::nullopt;
  }
};

}  // namespace bitactor
