#include "bitactor/dist/internal/controller.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>
#include <cstdlib>
#include <future>

#include "bitactor/core/internal/runtime.hpp"
#include "bitactor/core/internal/signal.hpp"
#include "bitactor/dist/dist_error.hpp"
#include "bitactor/dist/internal/flags.hpp"
#include "bitactor/dist/internal/spawn_control.hpp"
#include "bitactor/dist/internal/spawned_apply.hpp"
#include "bitactor/dist/internal/tls_context.hpp"
#include "bitactor/dist/term_mapping.hpp"
#include "bitactor/term/print.hpp"

namespace bitactor::dist::detail {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using core_signal = bitactor::detail::signal;
using bitactor::detail::signal_kind;

namespace {
// The writer's key for a sender: one per local process incarnation, 0 for none.
std::uint64_t sender_key(const pid& p) { return p ? (std::uint64_t{p.id} << 32) | p.serial : 0; }

term::term op_term(op o) { return term::term(static_cast<int>(o)); }

// Stands for a process of `peer` not known yet (a monitor by name, a spawn not yet answered):
// id 0 is never a process, and its node routes a demonitor back to this controller.
pid placeholder_on(const std::string& peer) {
  return from_term_pid(term::pid{term::atom(peer), 0, 0, 0});
}

std::optional<std::uint64_t> unlink_id_of(const term::term& t) {
  // Ids are in [1, 2^64-1]; BEAM sends small ones. Larger ones are refused for now.
  if (t.is_small() && t.as_int() > 0) return static_cast<std::uint64_t>(t.as_int());
  return std::nullopt;
}

}  // namespace

controller::controller(resolved_dist_config settings)
    : settings_(std::move(settings)),
      work_(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          io_.get_executor())),
      acceptor_(io_),
      epmd_(io_),
      trace_(std::getenv("BITACTOR_DIST_TRACE") != nullptr) {
  const auto& c = settings_.config;
  if (c.tls) tls_context_.emplace(make_tls_context(*c.tls));  // a bad file fails the start
  try {
    tcp::endpoint at(asio::ip::make_address(c.listen_address), c.port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen();
    listen_port_ = acceptor_.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw dist_error("dist: cannot listen on " + c.listen_address + ":" + std::to_string(c.port) +
                     ": " + e.code().message());
  }
  thread_ = std::thread([this] { io_.run(); });
  auto registered =
      asio::co_spawn(io_,
                     epmd_.register_node(settings_.alive, listen_port_, c.hidden,
                                         settings_.epmd_port, c.start_epmd, c.setup_timeout),
                     asio::use_future);
  try {
    if (registered.wait_for(c.setup_timeout + std::chrono::seconds(1)) !=
        std::future_status::ready) {
      throw dist_error("dist: epmd on port " + std::to_string(settings_.epmd_port) +
                       " did not answer in time");
    }
    creation_ = registered.get();
  } catch (const dist_error&) {
    shutdown();
    throw;
  } catch (const std::exception& e) {
    shutdown();
    throw dist_error("dist: registering with epmd on port " + std::to_string(settings_.epmd_port) +
                     " failed: " + e.what());
  }
}

controller::~controller() { shutdown(); }

std::uint64_t controller::local_flags() const {
  return flags::advertised | (settings_.config.hidden ? 0 : flags::published);
}

void controller::attach(node& n, pid net_kernel) {
  node_ = &n;
  net_kernel_ = net_kernel;
  local_atom_ = term::atom(settings_.node_name);
  bitactor::detail::runtime_of(n).set_remote_router(this);
  asio::post(io_, [this] { accept_next(); });
}

void controller::shutdown() {
  if (shut_down_.exchange(true)) return;
  if (thread_.joinable()) {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      epmd_.close();
      // What the stopping node's processes sent last (exit signals to remote links) is
      // written out before each connection closes.
      auto all = connections_;
      for (auto& [name, c] : all) c->finish("node shutting down");
      for (auto& w : accepted_) {
        if (auto c = w.lock(); c && !c->is_up()) c->close("node shutting down");
      }
      for (auto& w : park_timers_) {
        if (auto t = w.lock()) t->cancel();  // its handler releases whoever is parked
      }
    });
    work_.reset();
    thread_.join();
  }
  if (node_ != nullptr) bitactor::detail::runtime_of(*node_).set_remote_router(nullptr);
}

template <class F>
auto controller::on_io(F f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  asio::post(io_, [&task] { task(); });
  return result.get();
}

// ---------------------------------------------------------------------------------------
// Connections

void controller::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec) return;  // closed at shutdown
    s.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<connection>(*this, std::move(s));
    // Kept so shutdown can close an accepted connection that never got a table entry (one
    // refused, or answered alive, still in its handshake).
    std::erase_if(accepted_, [](const auto& w) { return w.expired(); });
    accepted_.push_back(c);
    c->start();
    accept_next();
  });
}

std::shared_ptr<connection> controller::connection_to(const std::string& peer) {
  if (auto it = connections_.find(peer); it != connections_.end()) return it->second;
  auto parts = split_node_name(peer);
  if (shut_down_ || !parts || !host_fits_mode(parts->second, settings_.config.mode) ||
      peer == settings_.node_name) {
    return nullptr;
  }
  auto c = std::make_shared<connection>(*this, io_, peer);
  connections_[peer] = c;
  c->start();
  return c;
}

void controller::connect(const std::string& peer, std::function<void(bool)> done) {
  asio::post(io_, [this, peer, done = std::move(done)]() mutable {
    auto c = connection_to(peer);
    if (c == nullptr) return done(false);
    if (c->is_up()) return done(true);
    waiting_[peer].push_back(std::move(done));
  });
}

std::string controller::peer_named(const std::shared_ptr<connection>& c) {
  std::string status = decide_status(c);
  if (trace_)
    std::fprintf(stderr, "dist %s: %s connects: %s\n", settings_.node_name.c_str(),
                 c->peer_name().c_str(), status.c_str());
  return status;
}

std::string controller::decide_status(const std::shared_ptr<connection>& c) {
  const std::string& peer = c->peer_name();
  if (peer == settings_.node_name) return "not_allowed";
  auto it = connections_.find(peer);
  if (it == connections_.end()) {
    connections_[peer] = c;
    return "ok";
  }
  auto& other = it->second;
  if (other->yielded()) {
    // Our attempt was answered nok because this one wins: it takes over the queue.
    c->adopt_queue(*other);
    auto stale = other;
    connections_[peer] = c;
    stale->close("superseded by the connection from " + peer);
    return "ok";
  }
  if (other->is_up()) return "alive";
  if (!other->initiator()) return "nok";  // a second accepted attempt under one name
  // Simultaneous connect (dist_util: the greater name wins the right to initiate).
  if (peer > settings_.node_name) {
    c->adopt_queue(*other);
    auto loser = other;
    connections_[peer] = c;
    loser->close("simultaneous connect: " + peer + " initiates");
    return "ok_simultaneous";
  }
  return "nok";
}

void controller::replace_alive(const std::shared_ptr<connection>& c) {
  auto it = connections_.find(c->peer_name());
  if (it != connections_.end() && it->second != c) {
    // Closed while still in the table, so connection_down treats it as the peer's connection
    // going: its links and monitors fire noconnection and subscribers get the nodedown before
    // the new connection's nodeup (the peer restarted; its old processes are gone).
    auto old = it->second;
    old->close("replaced by a new connection from " + c->peer_name());
  }
  connections_[c->peer_name()] = c;
}

void controller::connection_up(const std::shared_ptr<connection>& c) {
  if (trace_)
    std::fprintf(stderr, "dist %s: connection to %s up (%s)\n", settings_.node_name.c_str(),
                 c->peer_name().c_str(), c->initiator() ? "initiated" : "accepted");
  auto waiters = std::move(waiting_[c->peer_name()]);
  waiting_.erase(c->peer_name());
  for (auto& w : waiters) w(true);
  // Visible when neither node is hidden (dist_util: the PUBLISHED flag both ways).
  const bool visible = !settings_.config.hidden && (c->peer_flags() & flags::published) != 0;
  tell_watchers(watchers_.up(c->peer_name(), visible));
}

void controller::connection_down(const std::shared_ptr<connection>& c, const std::string& why) {
  const std::string peer = c->peer_name();
  if (trace_)
    std::fprintf(stderr, "dist %s: connection to %s down: %s\n", settings_.node_name.c_str(),
                 peer.c_str(), why.c_str());
  auto it = connections_.find(peer);
  if (it == connections_.end() || it->second != c) return;  // an attempt that lost, or unnamed
  connections_.erase(it);
  auto waiters = std::move(waiting_[peer]);
  waiting_.erase(peer);
  for (auto& w : waiters) w(false);
  peer_lost(peer);
  tell_watchers(watchers_.down(peer, node_watchers::reason_of(why)));
}

std::shared_ptr<busy_gauge> controller::gauge_for(const std::string& peer) {
  {
    std::shared_lock guard(gauges_lock_);
    if (auto it = gauges_.find(peer); it != gauges_.end()) return it->second;
  }
  std::unique_lock guard(gauges_lock_);
  auto& g = gauges_[peer];
  if (!g) g = std::make_shared<busy_gauge>(settings_.config.busy_limit_bytes);
  return g;
}

void controller::queue_changed(const std::shared_ptr<connection>& c, std::size_t bytes) {
  // Only the peer's current connection speaks for it (not an attempt that lost).
  auto it = connections_.find(c->peer_name());
  if (it == connections_.end() || it->second != c) return;
  gauge_for(c->peer_name())->set_queued(bytes);
}

void controller::park_if_busy(const std::string& peer) {
  auto gauge = gauge_for(peer);
  if (!gauge->busy()) return;
  bitactor::detail::runtime::park_after_turn([this, gauge](std::function<void()> resume) {
    if (!gauge->park(std::move(resume))) return;
    // The first one parked bounds the wait: past busy_park_limit, all run again (a peer that
    // stopped reading is dropped by its tick timeout; node stop must not wait on it).
    asio::post(io_, [this, gauge] {
      auto timer = std::make_shared<asio::steady_timer>(io_, settings_.config.busy_park_limit);
      std::erase_if(park_timers_, [](const auto& w) { return w.expired(); });
      park_timers_.push_back(timer);
      timer->async_wait([timer, gauge](boost::system::error_code) { gauge->release_all(); });
      if (shut_down_) timer->cancel();
    });
  });
}

void controller::tell_watchers(node_watchers::deliveries d) {
  if (node_ == nullptr) return;
  auto& rt = bitactor::detail::runtime_of(*node_);
  for (auto& [who, msg] : d) {
    if (!rt.is_alive(who)) {
      watchers_.forget(who);  // as net_kernel drops the subscriptions of a process that ended
      continue;
    }
    deliver_term(who, std::move(msg));
  }
}

void controller::monitor_nodes(const pid& who, const monitor_nodes_options& options) {
  on_io([&] { watchers_.add(who, options); });
}

bool controller::demonitor_nodes(const pid& who, const monitor_nodes_options& options) {
  return on_io([&] { return watchers_.remove(who, options); });
}

void controller::noconnection_down(const pid& watcher, const pid& target, const ref& r) {
  auto* d = new core_signal(signal_kind::down, target);
  d->monitor_ref = r;
  d->reason = exit_reason::noconnection();
  bitactor::detail::runtime_of(*node_).deliver(watcher, d);
}

void controller::noconnection_exit(const pid& local, const pid& remote) {
  auto* e = new core_signal(signal_kind::exit, remote);
  e->via_link = true;
  e->reason = exit_reason::noconnection();
  bitactor::detail::runtime_of(*node_).deliver(local, e);
}

void controller::peer_lost(const std::string& peer) {
  if (node_ == nullptr) return;
  auto& rt = bitactor::detail::runtime_of(*node_);
  if (auto it = links_.find(peer); it != links_.end()) {
    for (const auto& [local, remote] : it->second) {
      noconnection_exit(local, remote);
    }
    links_.erase(it);
  }
  if (auto it = monitors_.find(peer); it != monitors_.end()) {
    for (const auto& [watcher, mref, target] : it->second) {
      noconnection_down(watcher, target, mref);
      monitored_names_.erase(mref);
    }
    monitors_.erase(it);
  }
  std::erase_if(spawn_requests_, [&](const auto& e) { return e.second.peer == peer; });
  // The peer's monitors of local processes end with it (no DOWN goes anywhere).
  if (auto it = watched_by_.find(peer); it != watched_by_.end()) {
    for (const auto& [target, mref, watcher] : it->second) {
      auto* s = new core_signal(signal_kind::demonitor, watcher);
      s->monitor_ref = mref;
      rt.deliver(target, s);
      name_monitors_.erase(mref);
    }
    watched_by_.erase(it);
  }
}

std::vector<std::string> controller::connected_nodes() {
  return on_io([this] {
    std::vector<std::string> out;
    for (const auto& [name, c] : connections_) {
      if (c->is_up()) out.push_back(name);
    }
    return out;
  });
}

bool controller::disconnect(const std::string& peer) {
  return on_io([this, &peer] {
    auto it = connections_.find(peer);
    if (it == connections_.end()) return false;
    auto c = it->second;
    c->close("disconnected");
    return true;
  });
}

// ---------------------------------------------------------------------------------------
// Outgoing: core's messages and signals for other nodes

void controller::enqueue(const std::string& peer, const pid& sender, outgoing_frame frame) {
  if (auto c = connection_to(peer)) c->send(sender_key(sender), std::move(frame));
}

void controller::route(const pid& to, message* m) noexcept {
  std::unique_ptr<message> owned(m);
  if (to.node == 0 || shut_down_) return;  // nonode@nohost: no such process anywhere
  try {
    std::string peer(to.node_name());
    // A term, or a C++ type with a codec, goes as SEND {2, '', To}: core messages carry no
    // sender, and SEND needs none. The process whose turn sends it (none from a thread) still
    // keys the frame's place in the order.
    auto send_term = [&](const term::term& t) {
      auto frame = encode_outgoing(term::tuple(op_term(op::send), term::atom(), to_term(to)), &t);
      pid from = running_process();
      if (from) park_if_busy(peer);
      asio::post(io_, [this, peer = std::move(peer), from, frame = std::move(frame)]() mutable {
        enqueue(peer, from, std::move(frame));
      });
    };
    if (auto* t = owned->get_if<term::term>()) {
      send_term(*t);
    } else if (owned->is<core_signal>()) {
      auto shared = std::shared_ptr<message>(std::move(owned));
      asio::post(io_, [this, peer = std::move(peer), to, shared]() {
        auto& s = static_cast<core_signal&>(*shared);
        route_signal(peer, to, s);
      });
    } else if (auto encoded = codecs_.encode(*owned)) {
      send_term(*encoded);
    }
    // Other C++ types have no term form: dropped, as a send to an unreachable node is.
  } catch (...) {
  }
}

void controller::route_signal(const std::string& peer, const pid& to, core_signal& s) {
  const term::term from = to_term(s.from ? s.from : net_kernel_);
  const term::term target = to_term(to);
  std::optional<term::term> control;
  // With EXIT_PAYLOAD both ways, exit and DOWN reasons travel as the frame's message (the
  // PAYLOAD_* forms); before the connection is up the old forms, which BEAM reads too.
  // The connection is looked up (made, when there is none) only by what goes out.
  std::shared_ptr<connection> c;
  auto payload = [&] {
    if (c == nullptr) c = connection_to(peer);
    return c != nullptr && c->is_up() && (c->negotiated() & flags::exit_payload) != 0;
  };
  std::optional<term::term> reason;
  switch (s.kind) {
    case signal_kind::link:
      links_[peer].insert({s.from, to});
      control = term::tuple(op_term(op::link), from, target);
      break;
    case signal_kind::unlink:
      control = term::tuple(op_term(op::unlink_id), term::term(s.unlink_id), from, target);
      break;
    case signal_kind::unlink_ack:
      control = term::tuple(op_term(op::unlink_id_ack), term::term(s.unlink_id), from, target);
      break;
    case signal_kind::exit:
      if (s.via_link) {
        if (auto it = links_.find(peer); it != links_.end()) it->second.erase({s.from, to});
      }
      if (payload()) {
        control =
            term::tuple(op_term(s.via_link ? op::payload_exit : op::payload_exit2), from, target);
        reason = to_term(s.reason);
      } else {
        control = term::tuple(op_term(s.via_link ? op::exit : op::exit2), from, target,
                              to_term(s.reason));
      }
      break;
    case signal_kind::monitor:
      // MONITOR_P {19, From, To, Ref}. Also kept here so losing the peer fires noconnection;
      // a node that cannot be reached fires it at once (erlang:monitor/2).
      if (connection_to(peer) == nullptr) {
        noconnection_down(s.from, to, s.monitor_ref);
        return;
      }
      monitors_[peer].insert({s.from, s.monitor_ref, to});
      control = term::tuple(op_term(op::monitor_p), from, target, to_term(s.monitor_ref));
      break;
    case signal_kind::demonitor: {
      if (auto it = monitors_.find(peer); it != monitors_.end()) {
        std::erase_if(it->second, [&](const auto& m) { return std::get<1>(m) == s.monitor_ref; });
      }
      term::term whom = target;
      if (auto it = monitored_names_.find(s.monitor_ref); it != monitored_names_.end()) {
        whom = term::atom(it->second);
        monitored_names_.erase(it);
      } else if (auto sp = spawn_requests_.find(s.monitor_ref); sp != spawn_requests_.end()) {
        // erpc's call_abandon: a request not answered yet is undone when its reply comes.
        if (!sp->second.child) {
          sp->second.abandoned = true;
          return;
        }
        whom = to_term(sp->second.child);
        spawn_requests_.erase(sp);
      } else if (to.id == 0) {
        return;  // a name monitor that ended before it was sent (its DOWN came at once)
      }
      control = term::tuple(op_term(op::demonitor_p), from, whom, to_term(s.monitor_ref));
      break;
    }
    case signal_kind::down: {
      // MONITOR_P_EXIT {21, Target, Watcher, Ref, Reason}: a monitor by name names the name,
      // not the pid (what BEAM's by-name monitors expect).
      term::term who = from;
      if (auto it = name_monitors_.find(s.monitor_ref); it != name_monitors_.end()) {
        who = term::atom(it->second.name);
        name_monitors_.erase(it);
      }
      if (auto it = watched_by_.find(peer); it != watched_by_.end()) {
        it->second.erase({s.from, s.monitor_ref, to});
      }
      if (payload()) {
        control =
            term::tuple(op_term(op::payload_monitor_p_exit), who, target, to_term(s.monitor_ref));
        reason = to_term(s.reason);
      } else {
        control = term::tuple(op_term(op::monitor_p_exit), who, target, to_term(s.monitor_ref),
                              to_term(s.reason));
      }
      break;
    }
  }
  if (c == nullptr) c = connection_to(peer);
  if (c == nullptr) {
    if (s.kind == signal_kind::link) {
      // The node cannot be reached: the link breaks at once (erlang:link/1, noconnection).
      noconnection_exit(s.from, to);
      links_[peer].erase({s.from, to});
    }
    return;
  }
  c->send(sender_key(s.from), encode_outgoing(*control, reason ? &*reason : nullptr));
}

void controller::send_named(const pid& from, std::string_view name, std::string_view peer,
                            const term::term& message) noexcept {
  try {
    send_named(from, std::string(name), std::string(peer), message);
  } catch (...) {
    // As route(): what cannot be encoded or queued is dropped, as a send to a lost node is.
  }
}

void controller::send_named(const pid& from, const std::string& name, const std::string& peer,
                            const term::term& message) {
  auto frame =
      encode_outgoing(term::tuple(op_term(op::reg_send), to_term(from ? from : net_kernel_),
                                  term::atom(), term::atom(name)),
                      &message);
  // Keyed like route(): by the process whose turn sends, so that a thread's sends by name and
  // by pid share one order (key 0).
  asio::post(io_, [this, peer, sender = running_process(), frame = std::move(frame)]() mutable {
    enqueue(peer, sender, std::move(frame));
  });
}

ref controller::monitor_name(const pid& watcher, const std::string& name, const std::string& peer) {
  auto& rt = bitactor::detail::runtime_of(*node_);
  const ref r = rt.make_ref();
  // The process of the name is not known here: the peer's node (id 0, never a process)
  // stands for it, so a demonitor or the watcher's exit is routed back to this controller.
  const pid placeholder = placeholder_on(peer);
  rt.record_monitor(watcher, r, placeholder);
  asio::post(io_, [this, watcher, name, peer, r, placeholder, sender = running_process()] {
    auto c = connection_to(peer);
    if (c == nullptr) {  // as a monitor of a pid there (route_signal)
      noconnection_down(watcher, placeholder, r);
      return;
    }
    monitors_[peer].insert({watcher, r, placeholder});
    monitored_names_[r] = name;
    // Keyed as send_named keys a REG_SEND from the same thread or process: the monitor is
    // set up on the peer before a request sent after it arrives.
    c->send(sender_key(sender),
            encode_outgoing(term::tuple(op_term(op::monitor_p), to_term(watcher), term::atom(name),
                                        to_term(r))));
  });
  return r;
}

ref controller::spawn_request(const pid& requester, const std::string& peer, term::atom module,
                              term::atom function, const term::term& args) {
  auto& rt = bitactor::detail::runtime_of(*node_);
  const ref r = rt.make_ref();
  const pid placeholder = placeholder_on(peer);
  rt.record_monitor(requester, r, placeholder);
  // net_kernel stands in as the group leader, which BEAM requires to be a pid: it answers the
  // io requests of what runs there (net_kernel.hpp: output is written to this node's stdout).
  auto frame = encode_outgoing(
      spawn_request_control(to_term(r), to_term(requester), to_term(net_kernel_), module, function,
                            args.size(), term::list(term::atom("monitor"))),
      &args);
  asio::post(io_, [this, requester, peer, r, placeholder, sender = running_process(),
                   frame = std::move(frame)]() mutable {
    auto c = connection_to(peer);
    if (c == nullptr) {  // as a monitor of a pid there (route_signal)
      noconnection_down(requester, placeholder, r);
      return;
    }
    if (c->is_up() && (c->negotiated() & flags::spawn) == 0) {
      // BEAM answers a spawn_request to such a node with notsup at once.
      deliver_term(requester, term::tuple(term::atom("spawn_reply"), to_term(r),
                                          term::atom("error"), term::atom("notsup")));
      return;
    }
    monitors_[peer].insert({requester, r, placeholder});
    spawn_requests_[r] = pending_spawn{.peer = peer, .requester = requester};
    c->send(sender_key(sender), std::move(frame));
  });
  return r;
}

void controller::spawn_unanswered(const std::string& peer, term::atom module, term::atom function,
                                  const term::term& args) {
  auto& rt = bitactor::detail::runtime_of(*node_);
  // The request id is a fresh ref no monitor holds: the peer's reply finds no request here.
  auto frame = encode_outgoing(
      spawn_request_control(to_term(rt.make_ref()), to_term(net_kernel_), to_term(net_kernel_),
                            module, function, args.size(), term::nil()),
      &args);
  asio::post(io_, [this, peer, sender = running_process(), frame = std::move(frame)]() mutable {
    auto c = connection_to(peer);
    if (c == nullptr || (c->is_up() && (c->negotiated() & flags::spawn) == 0)) return;
    c->send(sender_key(sender), std::move(frame));
  });
}

ref controller::spawn_here(const pid& requester, term::atom module, term::atom function,
                           const term::term& args) {
  auto& rt = bitactor::detail::runtime_of(*node_);
  const ref r = rt.make_ref();
  spawn_plan plan = plan_spawn(functions_, module, function, args);
  bitactor::detail::spawn_options options;
  options.blocking = plan.blocking();
  options.needs_start = true;
  options.monitored_by = requester;
  options.monitor_ref = r;
  // The requester's half first, so that a DOWN however early finds it. Its target is this
  // node's id 0, never a process: a demonitor (the requester's end) goes nowhere, and the
  // process, abandoned, runs to its end, as erpc's call_abandon leaves it.
  rt.record_monitor(requester, r, placeholder_on(settings().node_name));
  rt.spawn(std::make_unique<spawned_apply>(std::move(plan)), sizeof(spawned_apply), options);
  return r;
}

pid controller::running_process() const {
  const auto* p = bitactor::detail::runtime::running();
  return p != nullptr ? bitactor::detail::runtime_of(*node_).pid_of(*p) : pid{};
}

// ---------------------------------------------------------------------------------------
// Incoming: control messages from peers (erl_dist_protocol.html, "Protocol between connected
// nodes")

bool controller::is_local(const term::term& t) const {
  return t.is_pid() && t.as_pid().node == local_atom_;
}

void controller::deliver_term(const pid& to, term::term msg) {
  bitactor::detail::runtime_of(*node_).deliver(to, make_message<term::term>(std::move(msg)));
}

void controller::deliver_message(const pid& to, term::term msg) {
  if (message* typed = codecs_.decode(msg)) {
    bitactor::detail::runtime_of(*node_).deliver(to, typed);
    return;
  }
  deliver_term(to, std::move(msg));
}

void controller::frame_arrived(const std::shared_ptr<connection>& c, control_frame f) {
  bool ok = false;
  try {
    ok = dispatch(*c, f);
  } catch (const std::exception&) {
    ok = false;  // an element of the wrong type
  }
  if (!ok) c->close("unknown or malformed control message " + term::to_string(f.control));
}

bool controller::dispatch(connection& c, control_frame& f) {
  const term::term& ctl = f.control;
  const std::size_t n = ctl.size();
  auto& rt = bitactor::detail::runtime_of(*node_);
  auto local = [&](std::size_t i) -> std::optional<pid> {
    if (!is_local(ctl[i])) return std::nullopt;  // not ours (or not a pid): dropped
    return from_term(ctl[i].as_pid());
  };
  auto remote = [&](std::size_t i) {
    if (!ctl[i].is_pid()) throw term::bad_term_access("not a pid");
    return from_term(ctl[i].as_pid());
  };
  auto signal_to = [&](std::size_t to_at, core_signal* s) {
    if (auto to = local(to_at)) {
      rt.deliver(*to, s);
    } else {
      delete s;
    }
  };
  switch (static_cast<op>(ctl[0].as_int())) {
    case op::send:            // {2, Cookie, ToPid}
    case op::send_sender:     // {22, From, ToPid}
    case op::send_tt:         // {12, Cookie, ToPid, Token}
    case op::send_sender_tt:  // {23, From, ToPid, Token}
      if (n < 3 || !f.message) return false;
      if (auto to = local(2)) deliver_message(*to, std::move(*f.message));
      return true;
    case op::reg_send:     // {6, From, Cookie, ToName}
    case op::reg_send_tt:  // {16, From, Cookie, ToName, Token}
      if (n < 4 || !f.message || !ctl[3].is_atom()) return false;
      if (auto to = rt.whereis(ctl[3].as_atom().name())) {
        deliver_message(*to, std::move(*f.message));
      }
      return true;
    case op::link: {  // {1, From, To}
      if (n != 3) return false;
      pid from = remote(1);
      if (auto to = local(2)) links_[c.peer_name()].insert({*to, from});
      signal_to(2, new core_signal(signal_kind::link, from));
      return true;
    }
    case op::exit:                // {3, From, To, Reason}
    case op::exit_tt:             // {13, From, To, Token, Reason}
    case op::exit2:               // {8, From, To, Reason}
    case op::exit2_tt:            // {18, From, To, Token, Reason}
    case op::payload_exit:        // {24, From, To} + Reason
    case op::payload_exit_tt:     // {25, From, To, Token} + Reason
    case op::payload_exit2:       // {26, From, To} + Reason
    case op::payload_exit2_tt: {  // {27, From, To, Token} + Reason
      op o = static_cast<op>(ctl[0].as_int());
      bool payload = o == op::payload_exit || o == op::payload_exit_tt || o == op::payload_exit2 ||
                     o == op::payload_exit2_tt;
      if (n < 3 || (payload ? !f.message.has_value() : n < 4)) return false;
      const term::term& reason = payload ? *f.message : ctl[n - 1];
      pid from = remote(1);
      auto* s = new core_signal(signal_kind::exit, from);
      s->via_link =
          o == op::exit || o == op::exit_tt || o == op::payload_exit || o == op::payload_exit_tt;
      s->reason = exit_reason_from_term(reason);
      if (s->via_link) {
        if (auto to = local(2)) links_[c.peer_name()].erase({*to, from});
      }
      signal_to(2, s);
      return true;
    }
    case op::unlink_id:        // {35, Id, From, To}
    case op::unlink_id_ack: {  // {36, Id, From, To}
      if (n != 4) return false;
      auto id = unlink_id_of(ctl[1]);
      if (!id) return false;
      bool ack = static_cast<op>(ctl[0].as_int()) == op::unlink_id_ack;
      pid from = remote(2);
      auto* s = new core_signal(ack ? signal_kind::unlink_ack : signal_kind::unlink, from);
      s->unlink_id = *id;
      signal_to(3, s);
      return true;
    }
    case op::unlink:        // legacy, gone in OTP 26; peers that set UNLINK_ID never send it
    case op::group_leader:  // no group leaders here
      return true;
    case op::monitor_p:      // {19, From, PidOrName, Ref}
    case op::demonitor_p: {  // {20, From, PidOrName, Ref}
      if (n != 4 || !ctl[3].is_reference()) return false;
      bool add = static_cast<op>(ctl[0].as_int()) == op::monitor_p;
      pid watcher = remote(1);
      ref mref = from_term(ctl[3].as_reference());
      std::optional<pid> target;
      if (ctl[2].is_atom()) {
        std::string name(ctl[2].as_atom().name());
        if (add) {
          target = rt.whereis(name);
          if (!target) {
            // No such name: DOWN with noproc at once, naming the name.
            c.send(0, encode_outgoing(term::tuple(op_term(op::monitor_p_exit), ctl[2], ctl[1],
                                                  ctl[3], term::atom("noproc"))));
            return true;
          }
          name_monitors_[mref] = {name, *target};
        } else if (auto it = name_monitors_.find(mref); it != name_monitors_.end()) {
          target = it->second.target;
          name_monitors_.erase(it);
        }
      } else {
        target = local(2);
      }
      if (!target) return true;
      auto* s = new core_signal(add ? signal_kind::monitor : signal_kind::demonitor, watcher);
      s->monitor_ref = mref;
      if (add) {
        watched_by_[c.peer_name()].insert({*target, mref, watcher});
      } else if (auto it = watched_by_.find(c.peer_name()); it != watched_by_.end()) {
        it->second.erase({*target, mref, watcher});
      }
      // A dead target answers with DOWN noproc (runtime::undeliverable), which comes back
      // here as a down signal.
      rt.deliver(*target, s);
      return true;
    }
    case op::monitor_p_exit:            // {21, PidOrName, Watcher, Ref, Reason}
    case op::payload_monitor_p_exit: {  // {28, PidOrName, Watcher, Ref} + Reason
      const bool payload = static_cast<op>(ctl[0].as_int()) == op::payload_monitor_p_exit;
      if (n != (payload ? 4U : 5U) || !ctl[3].is_reference() || (payload && !f.message)) {
        return false;
      }
      ref mref = from_term(ctl[3].as_reference());
      pid target = ctl[1].is_pid() ? remote(1) : pid{};
      auto* s = new core_signal(signal_kind::down, target);
      s->monitor_ref = mref;
      s->reason = exit_reason_from_term(payload ? *f.message : ctl[4]);
      monitored_names_.erase(mref);
      spawn_requests_.erase(mref);
      if (auto it = monitors_.find(c.peer_name()); it != monitors_.end()) {
        std::erase_if(it->second, [&](const auto& m) { return std::get<1>(m) == mref; });
      }
      signal_to(2, s);
      return true;
    }
    case op::spawn_request:     // {29, ReqId, From, GL, {M, F, A}, Opts} + Args
    case op::spawn_request_tt:  // {30, ReqId, From, GL, {M, F, A}, Opts, Token} + Args
      return serve_spawn_request(c, f);
    case op::spawn_reply:     // {31, ReqId, To, Flags, Result}
    case op::spawn_reply_tt:  // {32, ReqId, To, Flags, Result, Token}
      return take_spawn_reply(c, f);
    case op::alias_send:
    case op::alias_send_tt:
      // ALIAS is not advertised, so a peer does not send them; ignore if one does.
      return true;
  }
  return false;  // an operation this node does not know: BEAM too drops the connection
}

bool controller::serve_spawn_request(connection& c, const control_frame& f) {
  auto req = parse_spawn_request(f);
  if (!req) return false;
  auto& rt = bitactor::detail::runtime_of(*node_);
  auto reply = [&](const pid& sender, std::int64_t flags, term::term result) {
    c.send(sender_key(sender),
           encode_outgoing(spawn_reply_control(
               {.req_id = req->req_id, .to = req->from, .flags = flags, .result = result})));
  };
  if (!req->options_ok) {
    reply({}, 0, term::atom("badopt"));
    return true;
  }
  const pid requester = from_term(req->from.as_pid());
  const ref mref = from_term(req->req_id.as_reference());
  spawn_plan plan = plan_spawn(functions_, req->module, req->function, req->args);
  bitactor::detail::spawn_options options;
  options.blocking = plan.blocking();
  options.needs_start = true;
  if (req->monitor) {
    options.monitored_by = requester;
    options.monitor_ref = mref;
  }
  if (req->link) options.link_to = requester;
  pid child;
  try {
    child =
        rt.spawn(std::make_unique<spawned_apply>(std::move(plan)), sizeof(spawned_apply), options);
  } catch (const system_limit&) {
    reply({}, 0, term::atom("system_limit"));
    return true;
  } catch (const node_stopped&) {
    reply({}, 0, term::atom("noconnection"));  // this node is going away
    return true;
  }
  std::int64_t flags = 0;
  if (req->link) {
    links_[c.peer_name()].insert({child, requester});
    flags |= spawn_flag_link;
  }
  if (req->monitor) {
    watched_by_[c.peer_name()].insert({child, mref, requester});
    flags |= spawn_flag_monitor;
  }
  // Keyed as the child's own frames: the reply goes out before any signal of the child (its
  // DOWN, an exit over the link), which reach this thread later through route() (SPAWN_REPLY
  // must come first: erlang/otp PR #6003).
  reply(child, flags, to_term(child));
  return true;
}

bool controller::take_spawn_reply(connection& c, const control_frame& f) {
  auto r = parse_spawn_reply(f);
  if (!r) return false;
  const ref mref = from_term(r->req_id.as_reference());
  auto it = spawn_requests_.find(mref);
  if (it == spawn_requests_.end()) return true;  // the requester's node lost it (or not ours)
  pending_spawn& p = it->second;
  auto& watches = monitors_[c.peer_name()];
  std::erase_if(watches, [&](const auto& m) { return std::get<1>(m) == mref; });
  if (r->result.is_atom()) {
    // {reply, error_only}: only a failed spawn is told, as a message (erlang:spawn_request/5).
    deliver_term(p.requester,
                 term::tuple(term::atom("spawn_reply"), r->req_id, term::atom("error"), r->result));
    spawn_requests_.erase(it);
    return true;
  }
  const bool monitored = (r->flags & spawn_flag_monitor) != 0;
  if (p.abandoned || !monitored) {
    if (monitored) {
      c.send(sender_key(p.requester),
             encode_outgoing(term::tuple(op_term(op::demonitor_p), to_term(p.requester), r->result,
                                         r->req_id)));
    }
    spawn_requests_.erase(it);
    return true;
  }
  p.child = from_term(r->result.as_pid());
  watches.insert({p.requester, mref, p.child});
  return true;
}

}  // namespace bitactor::dist::detail
