// BitActor's side of the dist_* workloads (bench/run; bench/dist/dist_suite.py starts the
// pairs): two OS processes, each a bitactor::dist::distributed_node, over loopback through a
// private epmd. The same program is either end, and either end of a pair with an erl node
// (bench/peers/erlang/dist_bench.erl speaks the same terms):
//
//   dist_bench server workers=N name=A@localhost cookie=C epmd_port=P
//       prints `ready peer=A@localhost` once it serves, then runs until SIGTERM or SIGINT
//   dist_bench client <workload> workers=N name=B@localhost cookie=C epmd_port=P
//       peer=A@localhost [impl=LABEL] [key=value ...]
//
// The server registers two processes, as the Erlang server does:
//   dist_bench  {hello, From}        -> From ! {hello, self(), whereis(dist_call)}
//               {ping, From, N}      -> From ! {pong, N}
//               {stream, From, N}    -> counts the next N binaries, then
//                                       From ! {stream_done, N, Bytes, Nanoseconds}
//   dist_call   an otp::gen_server answering gen_server:call(_, ping) with pong
//
// The client runs one workload: dist_ping_pong (a process of the client node bouncing
// {ping, Self, N} off dist_bench), dist_call (a plain thread calling dist_call: by name with
// distributed_node::call, which is gen_server:call({dist_call, Node}, ping), or by pid with
// otp::call), dist_stream (the main thread sends a start marker and N binaries of `size`
// bytes as fast as send returns, and the time runs until the receiver's stream_done arrives;
// the receiver's own count from the marker is printed as receiver_seconds) and dist_connect
// (ping, which connects, then disconnect, N times).

#include <signal.h>

#include <algorithm>
#include <bitactor/core/inbox.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/otp/call.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "measure.hpp"

using namespace std::chrono_literals;
using bitactor::actor;
using bitactor::message;
using bitactor::pid;
namespace dist = bitactor::dist;
namespace otp = bitactor::otp;
namespace t = bitactor::term;

namespace {

constexpr auto patience = std::chrono::minutes(5);  // a wait that means "hung"

dist::dist_config dist_config_of(const bench::arguments& args) {
  dist::dist_config c;
  c.name = args.text("name", "dist_bench@localhost");
  c.cookie = args.text("cookie", "dist_bench");
  c.epmd_port = static_cast<std::uint16_t>(args.integer("epmd_port", 0));
  c.start_epmd = false;  // the harness owns epmd
  return c;
}

bitactor::node_config node_config_of(const bench::arguments& args) {
  bitactor::node_config c;
  c.workers = static_cast<std::size_t>(
      args.integer("workers", static_cast<std::int64_t>(bitactor::node_config::default_workers())));
  return c;
}

bool is_tuple_of(const t::term& m, const char* tag, std::size_t size) {
  return m.is_tuple() && m.size() == size && m[0].is_atom(tag);
}

std::int64_t ns_since(bench::clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - t0)
      .count();
}

// --- the server ----------------------------------------------------------------------------

class bench_server : public actor {
 public:
  explicit bench_server(pid call_server) : call_server_(call_server) {}

  void handle(message& m) override {
    auto* msg = m.get_if<t::term>();
    if (msg == nullptr) return;
    if (msg->is_binary()) {
      bytes_ += static_cast<std::int64_t>(msg->size());
      if (++got_ == want_) {
        send(stream_from_, t::tuple(t::atom("stream_done"), t::term(got_), t::term(bytes_),
                                    t::term(ns_since(stream_start_))));
        want_ = -1;
      }
    } else if (is_tuple_of(*msg, "ping", 3)) {
      send(dist::from_term((*msg)[1].as_pid()), t::tuple(t::atom("pong"), (*msg)[2]));
    } else if (is_tuple_of(*msg, "stream", 3)) {
      stream_from_ = dist::from_term((*msg)[1].as_pid());
      want_ = (*msg)[2].as_int();
      got_ = 0;
      bytes_ = 0;
      stream_start_ = bench::clock_type::now();
    } else if (is_tuple_of(*msg, "hello", 2)) {
      send(dist::from_term((*msg)[1].as_pid()),
           t::tuple(t::atom("hello"), dist::to_term(self()), dist::to_term(call_server_)));
    }
  }

 private:
  pid call_server_;
  pid stream_from_;
  std::int64_t want_ = -1;
  std::int64_t got_ = 0;
  std::int64_t bytes_ = 0;
  bench::clock_type::time_point stream_start_;
};

class call_server : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match([](t::term&) -> t::term { return t::atom("pong"); });
  }
};

int run_server(const bench::arguments& args) {
  // SIGTERM and SIGINT are taken by sigwait below; blocked before any thread starts, so every
  // thread of the node inherits the mask and none of them is killed by the signal.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  dist::distributed_node dn(dist_config_of(args), node_config_of(args));
  auto calls = otp::start<call_server>(dn.local(), {.name = "dist_call"});
  if (!calls.ok()) throw std::runtime_error("dist_call: " + calls.to_string());
  dn.local().register_name("dist_bench", dn.local().spawn<bench_server>(calls.process));
  std::printf("ready peer=%s\n", dn.name().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  return 0;
}

// --- the client ----------------------------------------------------------------------------

struct server_pids {
  pid bench;
  pid call;
};

// {hello, Self} by name: the first message connects, and the answer names the server's pids.
server_pids hello(dist::distributed_node& dn, bitactor::inbox& box, const std::string& peer) {
  dn.send("dist_bench", peer, t::tuple(t::atom("hello"), dist::to_term(box.self())));
  for (;;) {
    auto m = box.receive<t::term>(patience);
    if (!m) throw std::runtime_error("no answer to hello from " + peer);
    if (is_tuple_of(*m, "hello", 3)) {
      return {dist::from_term((*m)[1].as_pid()), dist::from_term((*m)[2].as_pid())};
    }
  }
}

struct run_round_trips {
  std::int64_t n = 0;
};
struct round_trips_done {};

// Bounces {ping, Self, N} off the server's dist_bench process, one at a time.
class pinger : public actor {
 public:
  pinger(pid server, pid done_to) : server_(server), done_to_(done_to) {}

  void handle(message& m) override {
    if (auto* run = m.get_if<run_round_trips>()) {
      left_ = run->n;
      ping();
    } else if (auto* reply = m.get_if<t::term>(); reply && is_tuple_of(*reply, "pong", 2)) {
      if (--left_ == 0) {
        send(done_to_, round_trips_done{});
      } else {
        ping();
      }
    }
  }

 private:
  void ping() { send(server_, t::tuple(t::atom("ping"), dist::to_term(self()), t::term(left_))); }

  pid server_;
  pid done_to_;
  std::int64_t left_ = 0;
};

void bench_ping_pong(dist::distributed_node& dn, const bench::arguments& args) {
  const auto n = args.integer("round_trips", 100'000);
  const std::string peer = args.text("peer", "");
  bitactor::inbox box(dn.local());
  auto server = hello(dn, box, peer);
  pid client = dn.local().spawn<pinger>(server.bench, box.self());
  auto run = [&](std::int64_t k) {
    auto t0 = bench::clock_type::now();
    dn.local().send(client, run_round_trips{k});
    if (!box.receive<round_trips_done>(patience)) throw std::runtime_error("ping-pong hung");
    return bench::seconds_since(t0);
  };
  run(std::max<std::int64_t>(1, n / 100));  // warm-up
  const double s = run(n);
  bench::report("dist_ping_pong", args.text("impl", "bitactor"), dn.local().config().workers)
      .add("round_trips", static_cast<double>(n))
      .add("seconds", s)
      .add("round_trips_per_s", static_cast<double>(n) / s);
}

void bench_call(dist::distributed_node& dn, const bench::arguments& args) {
  const auto n = args.integer("calls", 50'000);
  const auto via = args.text("via", "name");
  const std::string peer = args.text("peer", "");
  bitactor::inbox box(dn.local());
  auto server = hello(dn, box, peer);
  auto call = [&] {
    t::term reply =
        via == "name" ? dn.call("dist_call", peer, t::atom("ping"), patience)
                      : otp::call(dn.local(), server.call, t::term(t::atom("ping")),
                                  std::chrono::duration_cast<std::chrono::milliseconds>(patience));
    if (!reply.is_atom("pong")) throw std::runtime_error("dist_call: unexpected reply");
  };
  for (std::int64_t i = 0, w = std::max<std::int64_t>(1, n / 100); i < w; ++i) call();
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(n));
  auto t0 = bench::clock_type::now();
  for (std::int64_t i = 0; i < n; ++i) {
    auto sent = bench::clock_type::now();
    call();
    samples.push_back(ns_since(sent));
  }
  const double s = bench::seconds_since(t0);
  bench::report r("dist_call", args.text("impl", "bitactor"), dn.local().config().workers);
  r.add("via", via).add("calls", static_cast<double>(n));
  bench::add_latency(r, samples, s);
}

void bench_stream(dist::distributed_node& dn, const bench::arguments& args) {
  const auto size = args.integer("size", 100);
  const auto n = args.integer("messages", 100'000);
  const std::string peer = args.text("peer", "");
  bitactor::inbox box(dn.local());
  auto server = hello(dn, box, peer);
  // One binary, shared by every send (a term copy shares it, as an Erlang binary is shared).
  const t::term payload = t::binary(std::string(static_cast<std::size_t>(size), 'x'));
  auto t0 = bench::clock_type::now();
  dn.send(server.bench, t::tuple(t::atom("stream"), dist::to_term(box.self()), t::term(n)));
  for (std::int64_t i = 0; i < n; ++i) dn.send(server.bench, payload);
  const double sent = bench::seconds_since(t0);
  for (;;) {
    auto m = box.receive<t::term>(patience);
    if (!m) throw std::runtime_error("the receiver did not get every message");
    if (!is_tuple_of(*m, "stream_done", 4)) continue;
    const double s = bench::seconds_since(t0);
    bench::report("dist_stream", args.text("impl", "bitactor"), dn.local().config().workers)
        .add("size", static_cast<double>(size))
        .add("messages", static_cast<double>(n))
        .add("seconds", s)
        .add("msgs_per_s", static_cast<double>(n) / s)
        .add("mb_per_s", static_cast<double>((*m)[2].as_int()) / s / 1e6)
        .add("send_seconds", sent)
        .add("receiver_seconds", static_cast<double>((*m)[3].as_int()) / 1e9)
        .add("sender_peak_rss_mb", static_cast<double>(bench::peak_rss_bytes()) / 1e6);
    return;
  }
}

void bench_connect(dist::distributed_node& dn, const bench::arguments& args) {
  const auto n = args.integer("connects", 50);
  const std::string peer = args.text("peer", "");
  std::vector<std::int64_t> samples;
  for (std::int64_t i = 0; i < n; ++i) {
    auto t0 = bench::clock_type::now();
    if (!dn.ping(peer)) throw std::runtime_error("ping " + peer + " failed");
    samples.push_back(ns_since(t0));
    dn.disconnect(peer);
    // Let both ends finish with the old connection, so the next one is a fresh handshake and
    // not an `alive` arbitration.
    std::this_thread::sleep_for(20ms);
  }
  bench::report r("dist_connect", args.text("impl", "bitactor"), dn.local().config().workers);
  bench::add_connect_times(r, samples);
}

int run_client(const std::string& workload, const bench::arguments& args) {
  dist::distributed_node dn(dist_config_of(args), node_config_of(args));
  if (workload == "dist_ping_pong")
    bench_ping_pong(dn, args);
  else if (workload == "dist_call")
    bench_call(dn, args);
  else if (workload == "dist_stream")
    bench_stream(dn, args);
  else if (workload == "dist_connect")
    bench_connect(dn, args);
  else
    throw std::runtime_error("unknown workload " + workload);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: dist_bench server key=value... | dist_bench client <workload> "
                 "peer=NODE key=value...\n");
    return 2;
  }
  const std::string role = argv[1];
  const bool server = role == "server";
  const std::string workload = server ? "server" : (argc > 2 ? argv[2] : "");
  bench::arguments args(argc, argv, server ? 2 : 3);
  try {
    return server ? run_server(args) : run_client(workload, args);
  } catch (const std::exception& e) {
    std::string reason = e.what();  // one token of the result line
    std::replace(reason.begin(), reason.end(), ' ', '_');
    std::printf("bench=%s impl=%s workers=%lld status=failed reason=%s\n", workload.c_str(),
                args.text("impl", "bitactor").c_str(),
                static_cast<long long>(args.integer("workers", 0)), reason.c_str());
    return 1;
  }
}
