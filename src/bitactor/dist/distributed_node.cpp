#include "bitactor/dist/distributed_node.hpp"

#include <algorithm>
#include <future>

#include "bitactor/core/inbox.hpp"
#include "bitactor/dist/internal/controller.hpp"
#include "bitactor/dist/internal/net_kernel.hpp"
#include "bitactor/dist/term_mapping.hpp"

namespace bitactor::dist {

distributed_node::distributed_node(dist_config config, node_config base) {
  dist_ = std::make_unique<detail::controller>(resolve(config));
  base.name = dist_->settings().node_name;
  base.creation = dist_->creation();
  node_ = std::make_unique<node>(base);
  net_kernel_ = node_->spawn<net_kernel>();
  node_->register_name("net_kernel", net_kernel_);
  dist_->attach(*node_, net_kernel_);
}

distributed_node::~distributed_node() {
  node_->stop();  // exits to remote links go out while the router is still installed
  dist_->shutdown();
}

const std::string& distributed_node::name() const noexcept { return dist_->settings().node_name; }
std::uint32_t distributed_node::creation() const noexcept { return dist_->creation(); }
std::uint16_t distributed_node::port() const noexcept { return dist_->listen_port(); }

bool distributed_node::connect(std::string_view peer, std::chrono::milliseconds timeout) {
  auto result = std::make_shared<std::promise<bool>>();
  auto done = result->get_future();
  dist_->connect(std::string(peer), [result](bool up) { result->set_value(up); });
  return done.wait_for(timeout) == std::future_status::ready && done.get();
}

bool distributed_node::ping(std::string_view peer, std::chrono::milliseconds timeout) {
  if (peer == name()) return true;
  auto r =
      call("net_kernel", peer, term::tuple(term::atom("is_auth"), term::atom(name())), timeout);
  return r && r->is_atom("yes");
}

std::optional<term::term> distributed_node::call(std::string_view server, std::string_view peer,
                                                 term::term request,
                                                 std::chrono::milliseconds timeout) {
  // gen.erl's call protocol: {'$gen_call', {Caller, Tag}, Request}, answered {Tag, Reply}.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (peer != name() && !connect(peer, timeout)) return std::nullopt;
  inbox box(*node_);
  term::term tag = to_term(node_->make_ref());
  term::term msg = term::tuple(term::atom("$gen_call"), term::tuple(to_term(box.self()), tag),
                               std::move(request));
  send(server, peer, std::move(msg), box.self());
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto reply = box.receive<term::term>(left);
    if (!reply) return std::nullopt;
    if (reply->is_tuple() && reply->size() == 2 && (*reply)[0] == tag) return (*reply)[1];
  }
}

std::vector<std::string> distributed_node::nodes() {
  auto out = dist_->connected_nodes();
  std::sort(out.begin(), out.end());
  return out;
}

bool distributed_node::disconnect(std::string_view peer) {
  return dist_->disconnect(std::string(peer));
}

void distributed_node::send(std::string_view name, std::string_view peer, term::term msg,
                            const pid& from) {
  if (peer == this->name()) {
    if (auto to = node_->whereis(name)) node_->send(*to, std::move(msg));
    return;
  }
  dist_->send_named(from ? from : net_kernel_, std::string(name), std::string(peer), msg);
}

}  // namespace bitactor::dist
