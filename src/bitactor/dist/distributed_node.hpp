#pragma once
// A node that is part of an Erlang cluster: a bitactor::node plus its distribution. It
// registers with epmd (starting one if none runs, as erl does), listens for peers, and
// connects to a peer the first time something is sent to it. Processes then send to pids of
// other nodes with the ordinary actor::send(pid, term): core hands such sends to the
// distribution (core/internal/remote_router.hpp), as it does links, unlinks and exit signals.
//
//   bitactor::dist::dist_config dc;
//   dc.name = "bitactor@localhost";
//   dc.cookie = "secret";
//   bitactor::dist::distributed_node dn(dc);          // throws dist_error on failure
//   pid p = dn.local().spawn(...);                    // a process receiving term::term messages
//   dn.local().register_name("echo", p);              // {echo, 'bitactor@localhost'} ! Msg
//   bool up = dn.ping("erl@localhost");               // net_adm:ping/1
//
// Messages crossing nodes are bitactor::term::term values; a process of this node receives
// them as such (m.get_if<term::term>()). A C++ type with a term form (term::codec, declared
// once) registered with register_codec<T>() crosses too: sent to a remote pid it goes as its
// term, and a term with its tag arriving from another node is delivered as a T, so handlers
// keep dispatching on C++ types. Messages of other C++ types sent to remote pids are dropped.
// Pids inside terms are term::pid: dist::from_term and dist::to_term (term_mapping.hpp)
// convert them.
//
// Supported so far: ping both ways (net_kernel answers is_auth), send to pids and to
// registered names both ways, links and exit signals across nodes (LINK, UNLINK_ID,
// UNLINK_ID_ACK, EXIT, EXIT2), noconnection for links and monitors when a peer is lost,
// monitors both ways, by pid and by name (MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT: a DOWN
// carries the process's reason).
// An otp::gen_server or otp::gen_statem on this node answers gen_server:call/cast and
// gen_statem:call/cast from an Erlang node as it answers local callers: the request arrives
// as a term::term in handle_call / handle_cast (or as the event's content), and the reply,
// which must then be a term, goes back as gen:reply/2 sends it.
// Frames with the distribution header are read, atom cache refs included, and messages over
// 64 KiB go both ways as fragments (DIST_HDR_ATOM_CACHE, FRAGMENTS), so a large message does
// not hold up other processes' small ones.
// rpc both ways (SPAWN_REQUEST, SPAWN_REPLY): C++ functions registered with register_rpc
// answer rpc:call, erpc:call, rpc:cast and spawn/4 from Erlang nodes; rpc() and rpc_cast()
// call functions of other nodes as erpc:call/5 and erpc:cast/4 do.
// Exit and DOWN reasons go as payloads to peers that set EXIT_PAYLOAD.
// TLS distribution (dist_config::tls) speaks erl's inet_tls.
// Not yet: aliases, sending through the atom cache.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitactor/core/message.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/dist/dist_config.hpp"
#include "bitactor/dist/dist_error.hpp"
#include "bitactor/dist/node_monitor.hpp"
#include "bitactor/dist/rpc.hpp"
#include "bitactor/term/codec.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

namespace detail {
class controller;
}

class distributed_node {
 public:
  /// Resolves `config`, listens, registers with epmd, then starts a node named after it with
  /// epmd's creation (`base`'s name and creation are replaced) and the `net_kernel` process.
  /// Throws dist_error naming the problem (bad configuration, epmd unreachable, name taken,
  /// port in use) and config_error for a bad `base`.
  explicit distributed_node(dist_config config, node_config base = {});
  /// Stops the node (its processes end with shutdown; exit signals to linked remote processes
  /// are sent), closes the connections and unregisters from epmd.
  ~distributed_node();
  distributed_node(const distributed_node&) = delete;
  distributed_node& operator=(const distributed_node&) = delete;

  node& local() noexcept { return *node_; }
  /// alive@host.
  const std::string& name() const noexcept;
  /// The incarnation epmd gave this node; every local pid and ref carries it.
  std::uint32_t creation() const noexcept;
  /// The port peers connect to.
  std::uint16_t port() const noexcept;

  /// Connects to `peer` (alive@host) unless connected. False when it cannot be reached, the
  /// handshake fails (a wrong cookie, say) or `timeout` passes. From any thread but a
  /// process's turn of this node would block a worker: use it from plain threads.
  bool connect(std::string_view peer, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// net_adm:ping/1: true (pong) when `peer`'s net_kernel answers {is_auth, ThisNode}.
  bool ping(std::string_view peer, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// gen_server:call({name, peer}, request, timeout) from a plain thread, as gen.erl makes it:
  /// the name is monitored on `peer` for the call's length. The reply; or remote_call_error
  /// with `noproc` at once when no process has the name there, the server's exit reason at
  /// once when it ends before replying, `noconnection` when `peer` cannot be reached or is
  /// lost mid-call, `timeout` when no reply comes within `timeout` (a late reply is dropped
  /// with the temporary mailbox it was sent to). To this node's own name: the same, locally.
  term::term call(std::string_view name, std::string_view peer, term::term request,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Serves `fn` as module:function/arity to other nodes: rpc:call(ThisNode, module,
  /// function, Args) and erpc:call run it, with Args of that length, in a process spawned for
  /// the call (rpc.hpp says how it runs and how it raises), and get what it returns. Replaces
  /// what was registered under that name, as loading a new version of a module does; calls
  /// running keep the function they started with. Any thread.
  void register_rpc(std::string_view module, std::string_view function, std::size_t arity,
                    rpc_function fn, rpc_options options = {});
  /// Stops serving module:function/arity (calls then raise error undef); false if it was not
  /// registered.
  bool unregister_rpc(std::string_view module, std::string_view function, std::size_t arity);
  /// erpc:call(peer, module, function, args, timeout) from a plain thread: spawns
  /// erpc:execute_call on `peer`, monitored, and waits for the value it returns. Throws
  /// rpc_error with what erpc:call raises (dist_error.hpp): the function's throw, exit or
  /// error (`undef` when there is none), `{erpc, noconnection}` when `peer` cannot be reached
  /// or is lost, `{erpc, timeout}` after `timeout` (the call is abandoned: its process runs on
  /// and its result is dropped, as erpc does), `{erpc, notsup}` when `peer` does not serve
  /// spawns. To this node's own name: the functions registered here, in a local process.
  term::term rpc(std::string_view peer, std::string_view module, std::string_view function,
                 std::vector<term::term> args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// erpc:cast(peer, module, function, args): runs it there, nothing comes back, nothing is
  /// raised (a peer that cannot be reached drops it).
  void rpc_cast(std::string_view peer, std::string_view module, std::string_view function,
                std::vector<term::term> args);

  /// net_kernel:monitor_nodes(true, Options): the local process or inbox `subscriber` gets
  /// the term {nodeup, Node} when a connection comes up and {nodedown, Node} when one goes
  /// (after that node's links and monitors have fired noconnection), or the forms with an
  /// info list that `options` asks for (node_monitor.hpp). By default only visible nodes are
  /// reported, as in OTP: a node is hidden by default (dist_config::hidden), so ask for
  /// node_type::all to hear of every peer. A process may subscribe more than once; each
  /// subscription gets its own messages. Subscriptions end with their process.
  void monitor_nodes(const pid& subscriber, const monitor_nodes_options& options = {});
  /// monitor_nodes(false, Options): ends one subscription made with the same options; false if
  /// there was none.
  bool demonitor_nodes(const pid& subscriber, const monitor_nodes_options& options = {});

  /// From now on, a T sent to a pid of another node goes as term::codec<T>::encode(T), and a
  /// message from another node whose term has T's tag (`{tag, ...}` or `tag`) and decodes
  /// is delivered as a T (one that does not decode, or whose decoder throws, arrives as the
  /// term). Throws std::invalid_argument when T or its tag has a codec here already. A T
  /// whose encode throws is dropped, as a send to an unreachable node is. Any thread; register
  /// before the messages flow.
  template <term::has_codec T>
  void register_codec() {
    add_codec(
        type_id_of<T>(), std::string(term::codec<T>::tag),
        [](const message& m) {
          return term::term(term::codec<T>::encode(static_cast<const message_of<T>&>(m).value));
        },
        [](const term::term& t) -> message* {
          auto value = term::codec<T>::decode(t);
          return value ? make_message<T>(std::move(*value)) : nullptr;
        });
  }

  /// Nodes with a connection up now, sorted.
  std::vector<std::string> nodes();
  /// Closes the connection to `peer`; false when there is none.
  bool disconnect(std::string_view peer);

  /// `{name, peer} ! msg` (REG_SEND). `from` is the sender BEAM sees (no pid: net_kernel's).
  /// To this node's own name it is a local send to the registered process (none: dropped).
  void send(std::string_view name, std::string_view peer, term::term msg, const pid& from = {});
  /// `to ! msg` to a pid of any node.
  void send(const pid& to, term::term msg) { node_->send(to, std::move(msg)); }

 private:
  void add_codec(type_id type, std::string tag, std::function<term::term(const message&)> encode,
                 std::function<message*(const term::term&)> decode);

  std::unique_ptr<detail::controller> dist_;
  std::unique_ptr<node> node_;
  pid net_kernel_;
};

}  // namespace bitactor::dist
