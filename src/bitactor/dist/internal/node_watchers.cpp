#include "bitactor/dist/internal/node_watchers.hpp"

#include <algorithm>

namespace bitactor::dist::detail {

namespace {
bool concerns(const monitor_nodes_options& o, bool visible) {
  switch (o.type.value_or(node_type::visible)) {
    case node_type::visible:
      return visible;
    case node_type::hidden:
      return !visible;
    case node_type::all:
      return true;
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
}  // namespace

void node_watchers::add(const pid& who, const monitor_nodes_options& options) {
  subscriptions_.push_back({who, options});
}

bool node_watchers::remove(const pid& who, const monitor_nodes_options& options) {
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [&](const auto& s) { return s.who == who && s.options == options; });
  if (it == subscriptions_.end()) return false;
  subscriptions_.erase(it);
  return true;
}

void node_watchers::forget(const pid& who) {
  std::erase_if(subscriptions_, [&](const auto& s) { return s.who == who; });
}

node_watchers::deliveries node_watchers::up(const std::string& peer, bool visible) {
  std::erase_if(up_, [&](const auto& p) { return p.first == peer; });
  up_.emplace_back(peer, visible);
  return announce("nodeup", peer, visible, {});
}

node_watchers::deliveries node_watchers::down(const std::string& peer, std::string_view reason) {
  auto it = std::find_if(up_.begin(), up_.end(), [&](const auto& p) { return p.first == peer; });
  if (it == up_.end()) return {};
  const bool visible = it->second;
  up_.erase(it);
  return announce("nodedown", peer, visible, reason);
}

node_watchers::deliveries node_watchers::announce(const char* what, const std::string& peer,
                                                  bool visible, std::string_view reason) {
  deliveries out;
  const bool down = !reason.empty();
  for (const auto& s : subscriptions_) {
    if (!concerns(s.options, visible)) continue;
    if (!s.options.any()) {
      out.emplace_back(s.who, term::tuple(term::atom(what), term::atom(peer)));
      continue;
    }
    std::vector<term::term> info;
    if (s.options.type) {
      info.push_back(
          term::tuple(term::atom("node_type"), term::atom(visible ? "visible" : "hidden")));
    }
    if (down && s.options.nodedown_reason) {
      info.push_back(term::tuple(term::atom("nodedown_reason"), term::atom(reason)));
    }
    out.emplace_back(
        s.who, term::tuple(term::atom(what), term::atom(peer), term::list_from(std::move(info))));
  }
  return out;
}

std::string_view node_watchers::reason_of(std::string_view why) {
  if (starts_with(why, "disconnected")) return "disconnect";
  if (starts_with(why, "net_ticktime")) return "net_tick_timeout";
  if (starts_with(why, "node shutting down")) return "net_kernel_terminated";
  return "connection_closed";
}

}  // namespace bitactor::dist::detail
