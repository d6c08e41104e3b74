#include "bitactor/dist/distributed_node.hpp"

#include <algorithm>
#include <future>
#include <stdexcept>

#include "bitactor/core/inbox.hpp"
#include "bitactor/core/system_messages.hpp"
#include "bitactor/dist/internal/controller.hpp"
#include "bitactor/dist/internal/erpc.hpp"
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
  try {
    return call("net_kernel", peer, term::tuple(term::atom("is_auth"), term::atom(name())), timeout)
        .is_atom("yes");
  } catch (const remote_call_error&) {
    return false;  // pang
  }
}

term::term distributed_node::call(std::string_view server, std::string_view peer,
                                  term::term request, std::chrono::milliseconds timeout) {
  // gen.erl's call to {Name, Node}: monitor the name there, send {'$gen_call', {Caller, Mref},
  // Request} and wait for {Mref, Reply} or the monitor's DOWN.
  const std::string what = "call to {" + std::string(server) + ", " + std::string(peer) + "}";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fail = [&](exit_reason why) { throw remote_call_error(std::move(why), what); };
  std::optional<pid> local_server;
  if (peer == name()) {
    local_server = node_->whereis(server);
    if (!local_server) fail(exit_reason::noproc());
  } else if (!connect(peer, timeout)) {
    fail(std::chrono::steady_clock::now() < deadline ? exit_reason::noconnection()
                                                     : exit_reason::error(term::atom("timeout")));
  }
  inbox box(*node_);
  const ref mref = local_server
                       ? box.monitor(*local_server)
                       : dist_->monitor_name(box.self(), std::string(server), std::string(peer));
  const term::term tag = to_term(mref);
  send(server, peer,
       term::tuple(term::atom("$gen_call"), term::tuple(to_term(box.self()), tag),
                   std::move(request)),
       box.self());
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    message_ptr m = left.count() > 0 ? box.receive_any(left) : nullptr;
    if (!m) fail(exit_reason::error(term::atom("timeout")));  // the monitor ends with the inbox
    if (auto* t = m->get_if<term::term>();
        t != nullptr && t->is_tuple() && t->size() == 2 && (*t)[0] == tag) {
      return (*t)[1];
    }
    if (auto* d = m->get_if<down_msg>(); d != nullptr && d->monitor == mref) fail(d->reason);
  }
}

void distributed_node::register_rpc(std::string_view module, std::string_view function,
                                    std::size_t arity, rpc_function fn, rpc_options options) {
  if (!fn) throw std::invalid_argument("register_rpc: an empty function");
  dist_->functions().add(module, function, arity, {std::move(fn), options});
}

bool distributed_node::unregister_rpc(std::string_view module, std::string_view function,
                                      std::size_t arity) {
  return dist_->functions().remove(module, function, arity);
}

namespace {
// erpc.erl call/5 on a {spawn_reply, ReqId, error, Reason}: spawn errors become {erpc, Why}.
std::string_view spawn_error_why(const term::term& reason) {
  if (reason.is_atom("badopt")) return "badarg";
  if (reason.is_atom("notsup") || reason.is_atom("system_limit") ||
      reason.is_atom("noconnection")) {
    return reason.as_atom().name();
  }
  return "badarg";
}
}  // namespace

term::term distributed_node::rpc(std::string_view peer, std::string_view module,
                                 std::string_view function, std::vector<term::term> args,
                                 std::chrono::milliseconds timeout) {
  const std::string what = "rpc " + std::string(module) + ":" + std::string(function) + "/" +
                           std::to_string(args.size()) + " on " + std::string(peer);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const bool here = peer == name();
  if (!here && !connect(peer, timeout)) {
    throw detail::erpc_failure(
        std::chrono::steady_clock::now() < deadline ? "noconnection" : "timeout", what);
  }
  inbox box(*node_);
  // erpc:call/5: Res = make_ref(), spawn_request(N, erpc, execute_call, [Res, M, F, A],
  // [{reply, error_only}, monitor]) (the reply option is the requester's node's business: the
  // wire carries [monitor]); the DOWN of that process carries the result.
  const term::term res = to_term(node_->make_ref());
  term::term arg_list = term::list_from(std::move(args));
  term::term call_args =
      term::list(res, term::atom(module), term::atom(function), std::move(arg_list));
  const term::atom erpc("erpc");
  const term::atom execute_call("execute_call");
  const ref req =
      here ? dist_->spawn_here(box.self(), erpc, execute_call, call_args)
           : dist_->spawn_request(box.self(), std::string(peer), erpc, execute_call, call_args);
  const term::term req_term = to_term(req);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    // On timeout the inbox's end demonitors: the request is abandoned (erpc call_abandon).
    message_ptr m = left.count() > 0 ? box.receive_any(left) : nullptr;
    if (!m) throw detail::erpc_failure("timeout", what);
    if (auto* d = m->get_if<down_msg>(); d != nullptr && d->monitor == req) {
      return detail::call_result(res, d->reason.as_term(), what);
    }
    if (auto* t = m->get_if<term::term>(); t != nullptr && t->is_tuple() && t->size() == 4 &&
                                           (*t)[0].is_atom("spawn_reply") && (*t)[1] == req_term &&
                                           (*t)[2].is_atom("error")) {
      throw detail::erpc_failure(spawn_error_why((*t)[3]), what);
    }
  }
}

void distributed_node::rpc_cast(std::string_view peer, std::string_view module,
                                std::string_view function, std::vector<term::term> args) {
  term::term cast_args =
      term::list(term::atom(module), term::atom(function), term::list_from(std::move(args)));
  const term::atom erpc("erpc");
  const term::atom execute_cast("execute_cast");
  if (peer == name()) {
    inbox box(*node_);  // the monitor is dropped with the inbox: nothing comes back
    dist_->spawn_here(box.self(), erpc, execute_cast, cast_args);
    return;
  }
  dist_->spawn_unanswered(std::string(peer), erpc, execute_cast, cast_args);
}

void distributed_node::monitor_nodes(const pid& subscriber, const monitor_nodes_options& options) {
  dist_->monitor_nodes(subscriber, options);
}

bool distributed_node::demonitor_nodes(const pid& subscriber,
                                       const monitor_nodes_options& options) {
  return dist_->demonitor_nodes(subscriber, options);
}

void distributed_node::add_codec(type_id type, std::string tag,
                                 std::function<term::term(const message&)> encode,
                                 std::function<message*(const term::term&)> decode) {
  dist_->codecs().add(type, std::move(tag), std::move(encode), std::move(decode));
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
