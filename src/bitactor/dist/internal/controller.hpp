#pragma once
// Internal: the distribution of one node (what net_kernel and the dist controllers are in
// erts). It owns the io_context and its thread, the listen socket, the epmd registration and
// one connection per peer node, routes core's messages and signals to pids of other nodes
// onto those connections (remote_router), and turns arriving control messages into messages
// and signals of local processes.
//
// Threads: route() and the public entry points may be called from any thread; they post to
// the io thread, which alone touches connections and the tables below. One io thread
// executes posted work in order, so what one thread routes goes out in the order it was sent.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "bitactor/core/internal/remote_router.hpp"
#include "bitactor/core/internal/signal.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/dist/dist_config.hpp"
#include "bitactor/dist/internal/busy_gauge.hpp"
#include "bitactor/dist/internal/codec_registry.hpp"
#include "bitactor/dist/internal/connection.hpp"
#include "bitactor/dist/internal/epmd_client.hpp"
#include "bitactor/dist/internal/node_watchers.hpp"
#include "bitactor/dist/internal/rpc_registry.hpp"

namespace bitactor::dist::detail {

class controller final : public connection_owner, public remote_router {
 public:
  /// Listens, registers with epmd and starts the io thread. Throws dist_error.
  explicit controller(resolved_dist_config settings);
  ~controller() override;

  /// Starts routing for `n` (whose name and creation are this controller's) and accepting.
  void attach(node& n, pid net_kernel);
  /// Closes every connection and the epmd registration, joins the io thread. Call after the
  /// node has stopped (no process may route any more).
  void shutdown();

  std::uint32_t creation() const override { return creation_; }
  const resolved_dist_config& settings() const override { return settings_; }
  std::uint64_t local_flags() const override;
  boost::asio::ssl::context* tls_context() override {
    return tls_context_ ? &*tls_context_ : nullptr;
  }
  std::uint16_t listen_port() const noexcept { return listen_port_; }

  /// Connects to `peer` unless connected; `done(true)` once the connection is up,
  /// `done(false)` if it fails. Called back on the io thread.
  void connect(const std::string& peer, std::function<void(bool)> done);
  /// Sends `message` to the process registered as `name` on `peer` (REG_SEND).
  void send_named(const pid& from, const std::string& name, const std::string& peer,
                  const term::term& message);
  /// erlang:monitor(process, {Name, Peer}) on behalf of the local process or inbox `watcher`
  /// (MONITOR_P with the name): its DOWN comes with noproc at once when no process has the
  /// name there, with the process's exit reason when it ends, with noconnection when the peer
  /// cannot be reached or is lost. Demonitor (or the watcher's exit) sends DEMONITOR_P.
  ref monitor_name(const pid& watcher, const std::string& name, const std::string& peer);
  /// remote_router's: the same, for actor::monitor(name, node) and actor::send(name, node, m).
  std::optional<ref> monitor_name(const pid& watcher, std::string_view name,
                                  std::string_view peer) override {
    return monitor_name(watcher, std::string(name), std::string(peer));
  }
  void send_named(const pid& from, std::string_view name, std::string_view peer,
                  const term::term& message) noexcept override;
  /// erlang:spawn_request(Peer, Module, Function, Args, [monitor]) with {reply, error_only}
  /// handled here (only a failed spawn is told), on
  /// behalf of the local process or inbox `requester` (SPAWN_REQUEST, as erpc:call makes it).
  /// Returns the request id, which is also the ref of the monitor of the new process: its end
  /// comes as a DOWN under that ref, with noconnection when the peer cannot be reached or is
  /// lost. A spawn the peer refuses comes as the term `{spawn_reply, ReqId, error, Reason}`
  /// (notsup from a peer without DFLAG_SPAWN). A demonitor (or the requester's exit) abandons
  /// the request: the monitor is undone on the peer, once its reply arrives if need be.
  ref spawn_request(const pid& requester, const std::string& peer, term::atom module,
                    term::atom function, const term::term& args);
  /// erlang:spawn_request(Peer, Module, Function, Args, [{reply, no}]): nothing comes back
  /// (erpc:cast). Dropped when the peer cannot be reached.
  void spawn_unanswered(const std::string& peer, term::atom module, term::atom function,
                        const term::term& args);
  /// What serving a SPAWN_REQUEST from `requester` does, on this node: spawns the process that
  /// applies module:function(args) (spawned_apply.hpp) monitored by `requester`, under the
  /// returned ref. For rpc to this node's own name.
  ref spawn_here(const pid& requester, term::atom module, term::atom function,
                 const term::term& args);
  /// The functions this node serves to SPAWN_REQUEST (rpc:call and spawn/4 from peers).
  rpc_registry& functions() noexcept { return functions_; }
  /// The C++ types sent and received as terms (distributed_node::register_codec).
  codec_registry& codecs() noexcept { return codecs_; }
  /// net_kernel:monitor_nodes(true, Options) for the local process or inbox `who`: it gets
  /// {nodeup, ...} and {nodedown, ...} terms as connections come and go (node_monitor.hpp).
  void monitor_nodes(const pid& who, const monitor_nodes_options& options);
  /// monitor_nodes(false, Options): false if `who` had no such subscription.
  bool demonitor_nodes(const pid& who, const monitor_nodes_options& options);
  std::vector<std::string> connected_nodes();
  bool disconnect(const std::string& peer);

  // remote_router
  void route(const pid& to, message* m) noexcept override;

  // connection_owner
  std::string peer_named(const std::shared_ptr<connection>& c) override;
  void replace_alive(const std::shared_ptr<connection>& c) override;
  void connection_up(const std::shared_ptr<connection>& c) override;
  void frame_arrived(const std::shared_ptr<connection>& c, control_frame f) override;
  void connection_down(const std::shared_ptr<connection>& c, const std::string& why) override;

 private:
  /// Runs `f` on the io thread and waits for it (not from the io thread).
  template <class F>
  auto on_io(F f) -> decltype(f());
  void accept_next();
  std::string decide_status(const std::shared_ptr<connection>& c);
  std::shared_ptr<connection> connection_to(const std::string& peer);  // io thread
  /// Queues `frame` of the local process `sender` (no process: the null pid) on the
  /// connection to `peer`, if there is one; one sender's frames keep their order.
  void enqueue(const std::string& peer, const pid& sender, outgoing_frame frame);
  /// The process whose turn this thread runs (the sender of what it routes), or the null pid
  /// on a thread outside turns. Signals are keyed by their sender instead, so a thread's
  /// signals (an inbox's links) are not ordered with its messages around a fragmented one.
  pid running_process() const;
  void route_signal(const std::string& peer, const pid& to, bitactor::detail::signal& s);
  bool dispatch(connection& c, control_frame& f);
  /// SPAWN_REQUEST: spawns the process (spawned_apply.hpp) and answers SPAWN_REPLY.
  bool serve_spawn_request(connection& c, const control_frame& f);
  /// SPAWN_REPLY to a spawn_request() of this node.
  bool take_spawn_reply(connection& c, const control_frame& f);
  void deliver_term(const pid& to, term::term msg);
  /// A message from a peer: as the C++ type whose codec takes it, else as the term.
  void deliver_message(const pid& to, term::term msg);
  bool is_local(const term::term& t) const;
  void peer_lost(const std::string& peer);
  /// What a local process hears when the node of `target` / `remote` cannot be reached or is
  /// lost: the monitor `r`'s DOWN, the link's exit, both with noconnection.
  void noconnection_down(const pid& watcher, const pid& target, const ref& r);
  void noconnection_exit(const pid& local, const pid& remote);

  resolved_dist_config settings_;
  std::optional<boost::asio::ssl::context> tls_context_;  // dist_config::tls
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::ip::tcp::acceptor acceptor_;
  epmd_registration epmd_;
  std::uint16_t listen_port_ = 0;
  std::uint32_t creation_ = 0;
  std::thread thread_;
  node* node_ = nullptr;
  pid net_kernel_;
  term::atom local_atom_;
  std::atomic<bool> shut_down_{false};
  bool trace_ = false;  // $BITACTOR_DIST_TRACE: connection events on stderr

  // io thread only
  std::map<std::string, std::shared_ptr<connection>> connections_;  // pending or up, by name
  std::map<std::string, std::vector<std::function<void(bool)>>> waiting_;
  std::vector<std::weak_ptr<connection>> accepted_;
  // Relations with processes of each peer, so losing the peer tells the local side with
  // noconnection. Over-approximate on purpose: core ignores an exit for a link that is gone
  // and a DOWN for a monitor that is gone.
  std::map<std::string, std::set<std::pair<pid, pid>>> links_;           // {local, remote}
  std::map<std::string, std::set<std::tuple<pid, ref, pid>>> monitors_;  // {watcher, ref, target}
  // The peer's monitors of local processes: {target, ref, watcher}, and those made by name
  // (DIST_MONITOR_NAME), whose DOWN must name the name.
  std::map<std::string, std::set<std::tuple<pid, ref, pid>>> watched_by_;
  struct name_monitor {
    std::string name;
    pid target;
  };
  std::map<ref, name_monitor> name_monitors_;
  // Local watchers' monitors of a name on a peer (monitor_name), by ref: the name, which
  // DEMONITOR_P must carry. Their entries in monitors_ hold the placeholder target.
  std::map<ref, std::string> monitored_names_;
  // This node's spawn requests awaiting their process's end, by request id (= monitor ref).
  // Until the reply names the child, the requester's monitor (in monitors_ and in core)
  // holds the placeholder target.
  struct pending_spawn {
    std::string peer{};
    pid requester{};
    pid child{};             // once SPAWN_REPLY named it
    bool abandoned = false;  // demonitored before the reply: undo the monitor when it comes
  };
  std::map<ref, pending_spawn> spawn_requests_;

  rpc_registry functions_;  // any thread (it locks itself)
  codec_registry codecs_;   // any thread (it locks itself)
  node_watchers watchers_;  // io thread
  void tell_watchers(node_watchers::deliveries d);

  void queue_changed(const std::shared_ptr<connection>& c, std::size_t bytes) override;
  /// The busy gauge of `peer` (any thread; made on first use).
  std::shared_ptr<busy_gauge> gauge_for(const std::string& peer);
  /// A process sending to a busy peer parks after its turn (runtime::park_after_turn).
  void park_if_busy(const std::string& peer);
  std::shared_mutex gauges_lock_;
  std::map<std::string, std::shared_ptr<busy_gauge>, std::less<>> gauges_;
  // The waits bounding a park (busy_park_limit), cancelled at shutdown (io thread).
  std::vector<std::weak_ptr<boost::asio::steady_timer>> park_timers_;
};

}  // namespace bitactor::dist::detail
