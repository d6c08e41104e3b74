// CAF 0.17's side of the dist_* workloads (bench/run; bench/dist/dist_suite.py starts the
// pairs): two OS processes over loopback with CAF's own remoting, libcaf_io's middleman and
// its BASP protocol: the server publishes an actor on a port, the client gets a proxy for it
// with remote_actor. Written as CAF's remoting examples write it: event-based actors, atoms
// and built-in types as messages, handlers returning the answer, a scoped_actor in main().
//
//   caf_dist_bench server workers=N          prints `ready peer=<port>`, runs until SIGTERM
//   caf_dist_bench client <workload> workers=N peer=<port> [key=value ...]
//
// The published actor answers (ping, N) with (pong, N), a request `ping` with `pong` (CAF has
// no gen_server: a request is its call), and (stream, N) by counting the next N strings and
// then sending (done, N, Bytes, Nanoseconds) to whoever started the stream.
// CAF has no names across nodes in the gen_server sense, so dist_call's `via=name` row is
// not_applicable; dist_connect starts a fresh actor system for every connection (untimed),
// since remote_actor reuses a system's existing connection to the same node.

#include <signal.h>

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "measure.hpp"

using namespace caf;

using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using stream_atom = atom_constant<atom("stream")>;
using done_atom = atom_constant<atom("done")>;
using go_atom = atom_constant<atom("go")>;

namespace {

std::int64_t ns_since(bench::clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - t0)
      .count();
}

actor_system_config& configure(actor_system_config& cfg, const bench::arguments& args) {
  cfg.load<io::middleman>();
  cfg.set("scheduler.max-threads",
          static_cast<size_t>(args.integer("workers", std::thread::hardware_concurrency())));
  return cfg;
}

// --- the server ----------------------------------------------------------------------------

struct sink_state {
  actor from;
  std::int64_t want = -1;
  std::int64_t got = 0;
  std::int64_t bytes = 0;
  bench::clock_type::time_point start;
};

behavior dist_server(stateful_actor<sink_state>* self) {
  return {
      [](ping_atom, std::int64_t n) { return make_message(pong_atom::value, n); },
      [](ping_atom) { return pong_atom::value; },
      [=](stream_atom, std::int64_t n) {
        auto& s = self->state;
        s.from = actor_cast<actor>(self->current_sender());
        s.want = n;
        s.got = 0;
        s.bytes = 0;
        s.start = bench::clock_type::now();
      },
      [=](const std::string& chunk) {
        auto& s = self->state;
        s.bytes += static_cast<std::int64_t>(chunk.size());
        if (++s.got == s.want) {
          self->send(s.from, done_atom::value, s.got, s.bytes, ns_since(s.start));
          s.want = -1;
        }
      },
  };
}

int run_server(const bench::arguments& args) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  actor_system_config cfg;
  actor_system sys{configure(cfg, args)};
  auto server = sys.spawn(dist_server);
  auto port = sys.middleman().publish(server, 0, "127.0.0.1");
  if (!port) throw std::runtime_error("publish: " + sys.render(port.error()));
  std::printf("ready peer=%u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  anon_send_exit(server, exit_reason::user_shutdown);
  return 0;
}

// --- the client ----------------------------------------------------------------------------

actor connect(actor_system& sys, const bench::arguments& args) {
  auto port = static_cast<std::uint16_t>(args.integer("peer", 0));
  auto server = sys.middleman().remote_actor("127.0.0.1", port);
  if (!server) throw std::runtime_error("remote_actor: " + sys.render(server.error()));
  return *server;
}

behavior pinger(event_based_actor* self, actor server, actor done_to) {
  return {
      [=](go_atom, std::int64_t n) { self->send(server, ping_atom::value, n); },
      [=](pong_atom, std::int64_t n) {
        if (n <= 1) {
          self->send(done_to, done_atom::value);
        } else {
          self->send(server, ping_atom::value, n - 1);
        }
      },
  };
}

void bench_ping_pong(actor_system& sys, const bench::arguments& args) {
  const auto n = args.integer("round_trips", 100'000);
  auto server = connect(sys, args);
  scoped_actor main{sys};
  auto client = sys.spawn(pinger, server, actor{main});
  auto run = [&](std::int64_t k) {
    auto t0 = bench::clock_type::now();
    main->send(client, go_atom::value, k);
    main->receive([](done_atom) {});
    return bench::seconds_since(t0);
  };
  run(std::max<std::int64_t>(1, n / 100));  // warm-up
  const double s = run(n);
  anon_send_exit(client, exit_reason::user_shutdown);
  bench::report("dist_ping_pong", "caf", sys.scheduler().num_workers())
      .add("round_trips", static_cast<double>(n))
      .add("seconds", s)
      .add("round_trips_per_s", static_cast<double>(n) / s);
}

struct caller_state {
  std::int64_t left = 0;
  bench::clock_type::time_point sent;
};

// Requests one after the other from an event-based actor, as caf_bench's call_latency does.
behavior caller(stateful_actor<caller_state>* self, actor server,
                std::vector<std::int64_t>* samples, actor done_to) {
  auto next = std::make_shared<std::function<void()>>();
  *next = [=] {
    self->state.sent = bench::clock_type::now();
    self->request(server, infinite, ping_atom::value).then([=](pong_atom) {
      samples->push_back(ns_since(self->state.sent));
      if (--self->state.left == 0) {
        self->send(done_to, done_atom::value);
      } else {
        (*next)();
      }
    });
  };
  return {[=](go_atom, std::int64_t n) {
    self->state.left = n;
    (*next)();
  }};
}

void bench_call(actor_system& sys, const bench::arguments& args) {
  const auto n = args.integer("calls", 50'000);
  const auto via = args.text("via", "pid");
  const auto workers = sys.scheduler().num_workers();
  if (via == "name") {
    bench::report("dist_call", "caf", workers).add("via", via).add("status", "not_applicable");
    return;
  }
  auto server = connect(sys, args);
  scoped_actor main{sys};
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(n));
  auto client = sys.spawn(caller, server, &samples, actor{main});
  auto run = [&](std::int64_t k) {
    samples.clear();
    auto t0 = bench::clock_type::now();
    main->send(client, go_atom::value, k);
    main->receive([](done_atom) {});
    return bench::seconds_since(t0);
  };
  run(std::max<std::int64_t>(1, n / 100));  // warm-up
  const double s = run(n);
  anon_send_exit(client, exit_reason::user_shutdown);
  bench::report r("dist_call", "caf", workers);
  r.add("via", via).add("calls", static_cast<double>(n));
  bench::add_latency(r, samples, s);
}

void bench_stream(actor_system& sys, const bench::arguments& args) {
  const auto size = args.integer("size", 100);
  const auto n = args.integer("messages", 100'000);
  auto server = connect(sys, args);
  scoped_actor main{sys};
  const std::string payload(static_cast<std::size_t>(size), 'x');
  auto t0 = bench::clock_type::now();
  main->send(server, stream_atom::value, n);
  for (std::int64_t i = 0; i < n; ++i) main->send(server, payload);
  const double sent = bench::seconds_since(t0);
  main->receive([&](done_atom, std::int64_t got, std::int64_t bytes, std::int64_t ns) {
    const double s = bench::seconds_since(t0);
    bench::report("dist_stream", "caf", sys.scheduler().num_workers())
        .add("size", static_cast<double>(size))
        .add("messages", static_cast<double>(got))
        .add("seconds", s)
        .add("msgs_per_s", static_cast<double>(got) / s)
        .add("mb_per_s", static_cast<double>(bytes) / s / 1e6)
        .add("send_seconds", sent)
        .add("receiver_seconds", static_cast<double>(ns) / 1e9)
        .add("sender_peak_rss_mb", static_cast<double>(bench::peak_rss_bytes()) / 1e6);
  });
}

// Each connection from a fresh actor system (started and stopped outside the timing):
// remote_actor (TCP connect and BASP handshake) and the first request on it.
void bench_connect(const bench::arguments& args) {
  const auto n = args.integer("connects", 50);
  std::vector<std::int64_t> samples;
  std::size_t workers = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    actor_system_config cfg;
    actor_system sys{configure(cfg, args)};
    workers = sys.scheduler().num_workers();
    scoped_actor main{sys};
    auto t0 = bench::clock_type::now();
    auto server = connect(sys, args);
    main->request(server, infinite, ping_atom::value)
        .receive([](pong_atom) {},
                 [](error&) { throw std::runtime_error("dist_connect: request failed"); });
    samples.push_back(ns_since(t0));
  }
  bench::report r("dist_connect", "caf", workers);
  bench::add_connect_times(r, samples);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: caf_dist_bench server | caf_dist_bench client <workload> peer=PORT ...\n");
    return 2;
  }
  const std::string role = argv[1];
  const bool server = role == "server";
  const std::string workload = server ? "server" : (argc > 2 ? argv[2] : "");
  bench::arguments args(argc, argv, server ? 2 : 3);
  try {
    if (server) return run_server(args);
    if (workload == "dist_connect") {
      bench_connect(args);
      return 0;
    }
    actor_system_config cfg;
    actor_system sys{configure(cfg, args)};
    if (workload == "dist_ping_pong")
      bench_ping_pong(sys, args);
    else if (workload == "dist_call")
      bench_call(sys, args);
    else if (workload == "dist_stream")
      bench_stream(sys, args);
    else
      throw std::runtime_error("unknown workload " + workload);
  } catch (const std::exception& e) {
    std::string reason = e.what();  // one token of the result line
    std::replace(reason.begin(), reason.end(), ' ', '_');
    std::printf("bench=%s impl=caf workers=%lld status=failed reason=%s\n", workload.c_str(),
                static_cast<long long>(args.integer("workers", 0)), reason.c_str());
    return 1;
  }
  return 0;
}
