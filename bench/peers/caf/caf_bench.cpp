// CAF 0.17 side of the side-by-side benchmarks (bench/run drives it).
//
// Each workload is written the way CAF's own examples and benchmarks write it: event-based
// actors returning a `behavior`, atoms and built-in types as messages, handlers that return a
// value to answer the sender, `stateful_actor` where an actor keeps state, and a
// `scoped_actor` for the main thread. Workers are set with `scheduler.max-threads`.
//
//   caf_bench <workload> workers=N [key=value ...]
//
// Where CAF has no equivalent of an OTP piece the program says what stands in for it:
//  - call latency: request/response (`request(...).then` from an event-based client, and
//    `request(...).receive` from a scoped_actor for the blocking-thread form), not gen_server;
//  - supervisor: a monitoring actor that respawns the child on its down_msg, not a supervisor.

#include <atomic>
#include <caf/all.hpp>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "measure.hpp"

using namespace caf;

using stop_atom = atom_constant<atom("stop")>;
using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using done_atom = atom_constant<atom("done")>;
using token_atom = atom_constant<atom("token")>;
using work_atom = atom_constant<atom("work")>;
using go_atom = atom_constant<atom("go")>;
using crash_atom = atom_constant<atom("crash")>;
using quit_atom = atom_constant<atom("quit")>;
using start_atom = atom_constant<atom("started")>;
using msg_atom = atom_constant<atom("msg")>;

namespace {

std::size_t workers_of(actor_system& sys) { return sys.scheduler().num_workers(); }

// --- 1. spawn ------------------------------------------------------------------------------

behavior idle_actor(event_based_actor* self, std::atomic<std::int64_t>* ready) {
  ready->fetch_add(1, std::memory_order_relaxed);
  return {[=](stop_atom) { self->quit(); }};
}

// CAF has no gen_server: its equivalent is an event-based actor that answers requests.
behavior idle_server(event_based_actor*, std::atomic<std::int64_t>* ready) {
  ready->fetch_add(1, std::memory_order_relaxed);
  return {[](ping_atom, std::int64_t n) { return make_message(pong_atom::value, n); }};
}

void bench_spawn(actor_system& sys, const bench::arguments& args) {
  const auto n = args.integer("n", 1'000'000);
  const auto kind = args.text("kind", "process");
  const bool server = kind == "gen_server";
  std::atomic<std::int64_t> ready{0};
  std::vector<actor> actors;
  actors.reserve(static_cast<std::size_t>(n));
  const auto rss0 = bench::rss_bytes();
  auto t0 = bench::clock_type::now();
  for (std::int64_t i = 0; i < n; ++i) {
    actors.push_back(server ? sys.spawn(idle_server, &ready) : sys.spawn(idle_actor, &ready));
  }
  const double seconds = bench::seconds_since(t0);
  // CAF runs each actor's initialisation on a worker after spawn returns; measure memory
  // once every actor has its behaviour.
  while (ready.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double ready_seconds = bench::seconds_since(t0);
  const auto bytes =
      bench::rss_bytes() - rss0 - static_cast<std::int64_t>(actors.capacity() * sizeof(actor));
  auto t1 = bench::clock_type::now();
  for (auto& a : actors) {
    if (server) {
      anon_send_exit(a, exit_reason::user_shutdown);
    } else {
      anon_send(a, stop_atom::value);
    }
  }
  actors.clear();
  sys.await_all_actors_done();
  bench::report("spawn", "caf", workers_of(sys))
      .add("kind", kind)
      .add("n", static_cast<double>(n))
      .add("seconds", seconds)
      .add("spawns_per_s", static_cast<double>(n) / seconds)
      .add("bytes_per_process", static_cast<double>(bytes) / static_cast<double>(n))
      .add("rss_bytes_per_process", static_cast<double>(bytes) / static_cast<double>(n))
      .add("ready_seconds", ready_seconds)
      .add("stop_seconds", bench::seconds_since(t1));
}

// --- 2. ping-pong --------------------------------------------------------------------------

behavior pong_actor(event_based_actor*) {
  return {[](ping_atom, std::int64_t n) { return make_message(pong_atom::value, n); }};
}

behavior ping_actor(event_based_actor* self, actor pong, std::int64_t round_trips, actor done_to) {
  return {
      [=](go_atom) { self->send(pong, ping_atom::value, round_trips); },
      [=](pong_atom, std::int64_t n) {
        if (n <= 1) {
          self->send(done_to, done_atom::value);
          self->quit();
        } else {
          self->send(pong, ping_atom::value, n - 1);
        }
      },
  };
}

void bench_ping_pong(actor_system& sys, const bench::arguments& args) {
  const auto round_trips = args.integer("round_trips", 2'000'000);
  scoped_actor main{sys};
  auto pong = sys.spawn(pong_actor);
  auto ping = sys.spawn(ping_actor, pong, round_trips, actor{main});
  auto t0 = bench::clock_type::now();
  main->send(ping, go_atom::value);
  main->receive([](done_atom) {});
  const double s = bench::seconds_since(t0);
  anon_send_exit(pong, exit_reason::user_shutdown);
  bench::report("ping_pong", "caf", workers_of(sys))
      .add("round_trips", static_cast<double>(round_trips))
      .add("seconds", s)
      .add("round_trips_per_s", static_cast<double>(round_trips) / s)
      .add("msgs_per_s", 2.0 * static_cast<double>(round_trips) / s);
}

// --- 3. thread ring ------------------------------------------------------------------------

behavior ring_member(event_based_actor* self, actor reporter) {
  return {[=](const actor& next) {
    self->become([=](token_atom, std::int64_t k) {
      if (k == 0) {
        self->send(reporter, done_atom::value);
      } else {
        self->send(next, token_atom::value, k - 1);
      }
    });
  }};
}

void bench_ring(actor_system& sys, const bench::arguments& args) {
  const auto size = args.integer("processes", 1000);
  const auto hops = args.integer("hops", 1'000'000);
  scoped_actor main{sys};
  std::vector<actor> ring;
  for (std::int64_t i = 0; i < size; ++i) ring.push_back(sys.spawn(ring_member, actor{main}));
  for (std::size_t i = 0; i < ring.size(); ++i) {
    main->send(ring[i], ring[(i + 1) % ring.size()]);
  }
  auto t0 = bench::clock_type::now();
  main->send(ring[0], token_atom::value, hops);
  main->receive([](done_atom) {});
  const double s = bench::seconds_since(t0);
  for (auto& a : ring) anon_send_exit(a, exit_reason::user_shutdown);
  bench::report("ring", "caf", workers_of(sys))
      .add("processes", static_cast<double>(size))
      .add("hops", static_cast<double>(hops))
      .add("seconds", s)
      .add("hops_per_s", static_cast<double>(hops) / s);
}

// --- 4. fan-out / fan-in -------------------------------------------------------------------

behavior echo_worker(event_based_actor*) {
  return {[](work_atom, std::int64_t x) { return x; }};
}

struct coordinator_state {
  std::int64_t pending = 0;
  std::int64_t sum = 0;
};

behavior coordinator(stateful_actor<coordinator_state>* self, std::vector<actor> workers,
                     std::int64_t per_worker, actor done_to) {
  return {
      [=](go_atom) {
        self->state.pending = static_cast<std::int64_t>(workers.size()) * per_worker;
        for (auto& w : workers) {
          for (std::int64_t i = 0; i < per_worker; ++i)
            self->send(w, work_atom::value, std::int64_t{1});
        }
      },
      [=](std::int64_t x) {
        self->state.sum += x;
        if (--self->state.pending == 0) {
          self->send(done_to, done_atom::value, self->state.sum);
          self->quit();
        }
      },
  };
}

void bench_fan_out(actor_system& sys, const bench::arguments& args) {
  const auto n = args.integer("processes", 10'000);
  const auto per_worker = args.integer("messages", 100);
  scoped_actor main{sys};
  std::vector<actor> workers;
  for (std::int64_t i = 0; i < n; ++i) workers.push_back(sys.spawn(echo_worker));
  auto coord = sys.spawn(coordinator, workers, per_worker, actor{main});
  auto t0 = bench::clock_type::now();
  main->send(coord, go_atom::value);
  std::int64_t sum = 0;
  main->receive([&](done_atom, std::int64_t s) { sum = s; });
  const double s = bench::seconds_since(t0);
  for (auto& w : workers) anon_send_exit(w, exit_reason::user_shutdown);
  if (sum != n * per_worker) throw std::runtime_error("fan_out: wrong sum");
  bench::report("fan_out", "caf", workers_of(sys))
      .add("processes", static_cast<double>(n))
      .add("messages", static_cast<double>(per_worker))
      .add("seconds", s)
      .add("msgs_per_s", 2.0 * static_cast<double>(n * per_worker) / s);
}

// --- 5. skynet -----------------------------------------------------------------------------

struct skynet_state {
  std::int64_t sum = 0;
  std::int64_t pending = 0;
};

behavior skynet(stateful_actor<skynet_state>* self, actor parent, std::int64_t num,
                std::int64_t size, std::int64_t div) {
  if (size == 1) {
    self->send(parent, num);
    self->quit();
    return {};
  }
  const auto sub = size / div;
  for (std::int64_t i = 0; i < div; ++i) {
    self->spawn(skynet, actor_cast<actor>(self), num + i * sub, sub, div);
  }
  self->state.pending = div;
  return {[=](std::int64_t x) {
    self->state.sum += x;
    if (--self->state.pending == 0) {
      self->send(parent, self->state.sum);
      self->quit();
    }
  }};
}

void bench_skynet(actor_system& sys, const bench::arguments& args) {
  const auto leaves = args.integer("leaves", 1'000'000);
  const auto div = args.integer("branching", 10);
  scoped_actor main{sys};
  auto t0 = bench::clock_type::now();
  sys.spawn(skynet, actor{main}, std::int64_t{0}, leaves, div);
  std::int64_t sum = 0;
  main->receive([&](std::int64_t x) { sum = x; });
  const double s = bench::seconds_since(t0);
  if (sum != leaves * (leaves - 1) / 2) throw std::runtime_error("skynet: wrong sum");
  bench::report("skynet", "caf", workers_of(sys))
      .add("leaves", static_cast<double>(leaves))
      .add("branching", static_cast<double>(div))
      .add("seconds", s)
      .add("sum", static_cast<double>(sum));
}

// --- 6. call latency (request/response: CAF has no gen_server) -----------------------------

behavior echo_server(event_based_actor*) {
  return {[](ping_atom) { return pong_atom::value; }};
}

struct client_state {
  std::int64_t left = 0;
  bench::clock_type::time_point sent;
};

// Makes `calls` requests one after the other, recording each round trip in *samples.
behavior call_client(stateful_actor<client_state>* self, actor server, std::int64_t calls,
                     std::vector<std::int64_t>* samples, actor done_to) {
  auto next = std::make_shared<std::function<void()>>();
  *next = [=] {
    self->state.sent = bench::clock_type::now();
    self->request(server, infinite, ping_atom::value).then([=](pong_atom) {
      samples->push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             bench::clock_type::now() - self->state.sent)
                             .count());
      if (--self->state.left == 0) {
        self->send(done_to, done_atom::value);
        self->quit();
      } else {
        (*next)();
      }
    });
  };
  return {[=](go_atom) {
    self->state.left = calls;
    (*next)();
  }};
}

void bench_call_latency(actor_system& sys, const bench::arguments& args) {
  const auto calls = args.integer("calls", 200'000);
  const auto mode = args.text("mode", "process");
  const auto warmup = std::max<std::int64_t>(1, calls / 100);
  auto server = sys.spawn(echo_server);
  scoped_actor main{sys};
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(calls + warmup));
  double s = 0;
  if (mode == "process") {
    auto run = [&](std::int64_t n) {
      samples.clear();
      auto client = sys.spawn(call_client, server, n, &samples, actor{main});
      auto t0 = bench::clock_type::now();
      main->send(client, go_atom::value);
      main->receive([](done_atom) {});
      return bench::seconds_since(t0);
    };
    run(warmup);
    s = run(calls);
  } else {
    auto run = [&](std::int64_t n) {
      samples.clear();
      auto t0 = bench::clock_type::now();
      for (std::int64_t i = 0; i < n; ++i) {
        auto sent = bench::clock_type::now();
        main->request(server, infinite, ping_atom::value)
            .receive([](pong_atom) {},
                     [](error&) { throw std::runtime_error("call_latency: request failed"); });
        samples.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - sent)
                .count());
      }
      return bench::seconds_since(t0);
    };
    run(warmup);
    s = run(calls);
  }
  anon_send_exit(server, exit_reason::user_shutdown);
  bench::report r("call_latency", "caf", workers_of(sys));
  r.add("mode", mode).add("calls", static_cast<double>(calls));
  bench::add_latency(r, samples, s);
}

// --- 7. supervisor restarts (emulated: monitor + respawn) ----------------------------------

behavior crasher(event_based_actor* self, actor driver) {
  // The exception still ends the actor (with sec::runtime_error); the handler only keeps
  // CAF from printing each one, as the other implementations' crash logs are turned off.
  self->set_exception_handler(
      [](scheduled_actor*, std::exception_ptr&) -> error { return sec::runtime_error; });
  self->send(driver, start_atom::value, actor_cast<actor>(self));
  return {[](crash_atom) -> void { throw std::runtime_error("crash"); },
          [=](quit_atom) { self->quit(sec::runtime_error); }};
}

// Stands in for a one_for_one supervisor with one permanent child: it monitors the child and
// spawns a new one whenever the old one goes down.
behavior respawner(event_based_actor* self, actor driver) {
  auto start = [=] { self->spawn<monitored>(crasher, driver); };
  self->set_down_handler([=](down_msg&) { start(); });
  start();
  return {[=](stop_atom) { self->quit(); }};
}

struct driver_state {
  std::int64_t left = 0;
};

behavior restart_driver(stateful_actor<driver_state>* self, std::int64_t restarts, actor done_to,
                        bool by_quit) {
  self->state.left = restarts + 1;  // the first start is not a restart
  return {[=](start_atom, const actor& child) {
    if (--self->state.left == 0) {
      self->send(done_to, done_atom::value);
      self->quit();
    } else {
      if (self->state.left == restarts) self->send(done_to, go_atom::value);
      if (by_quit) {
        self->send(child, quit_atom::value);
      } else {
        self->send(child, crash_atom::value);
      }
    }
  }};
}

void bench_supervisor(actor_system& sys, const bench::arguments& args) {
  const auto restarts = args.integer("restarts", 100'000);
  const auto crash = args.text("crash", "throw");
  scoped_actor main{sys};
  auto driver = sys.spawn(restart_driver, restarts, actor{main}, crash == "stop");
  auto sup = sys.spawn(respawner, driver);
  main->receive([](go_atom) {});  // the first child is up: restarts begin now
  auto t0 = bench::clock_type::now();
  main->receive([](done_atom) {});
  const double s = bench::seconds_since(t0);
  anon_send(sup, stop_atom::value);
  bench::report("supervisor", "caf", workers_of(sys))
      .add("crash", crash)
      .add("restarts", static_cast<double>(restarts))
      .add("seconds", s)
      .add("restarts_per_s", static_cast<double>(restarts) / s)
      .add("emulated", "monitor_respawn");
}

// --- 8. mailbox under contention -----------------------------------------------------------

struct counter_state {
  std::int64_t left = 0;
};

behavior counting_receiver(stateful_actor<counter_state>* self, std::int64_t total, actor done_to) {
  self->state.left = total;
  return {[=](msg_atom, std::int64_t) {
    if (--self->state.left == 0) {
      self->send(done_to, done_atom::value);
      self->quit();
    }
  }};
}

behavior flooding_sender(event_based_actor* self, actor to, std::int64_t count) {
  return {[=](go_atom) {
    for (std::int64_t i = 0; i < count; ++i) self->send(to, msg_atom::value, i);
    self->quit();
  }};
}

void bench_contention(actor_system& sys, const bench::arguments& args) {
  const auto senders = args.integer("senders", 1);
  const auto per_sender = args.integer("messages", 2'000'000) / senders;
  const auto total = per_sender * senders;
  scoped_actor main{sys};
  auto receiver = sys.spawn(counting_receiver, total, actor{main});
  std::vector<actor> flooders;
  for (std::int64_t i = 0; i < senders; ++i) {
    flooders.push_back(sys.spawn(flooding_sender, receiver, per_sender));
  }
  auto t0 = bench::clock_type::now();
  for (auto& f : flooders) main->send(f, go_atom::value);
  main->receive([](done_atom) {});
  const double s = bench::seconds_since(t0);
  bench::report("contention", "caf", workers_of(sys))
      .add("senders", static_cast<double>(senders))
      .add("messages", static_cast<double>(total))
      .add("seconds", s)
      .add("msgs_per_s", static_cast<double>(total) / s);
}

// --- 9. idle cost --------------------------------------------------------------------------

void bench_idle(actor_system& sys, const bench::arguments& args) {
  const auto n = args.integer("processes", 100'000);
  const auto millis = args.integer("millis", 5000);
  std::atomic<std::int64_t> ready{0};
  std::vector<actor> actors;
  for (std::int64_t i = 0; i < n; ++i) actors.push_back(sys.spawn(idle_actor, &ready));
  while (ready.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the spawn burst settle
  const double cpu0 = bench::cpu_seconds();
  auto t0 = bench::clock_type::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(millis));
  const double cpu = bench::cpu_seconds() - cpu0;
  const double wall = bench::seconds_since(t0);
  for (auto& a : actors) anon_send(a, stop_atom::value);
  actors.clear();
  sys.await_all_actors_done();
  bench::report("idle", "caf", workers_of(sys))
      .add("processes", static_cast<double>(n))
      .add("seconds", wall)
      .add("cpu_seconds", cpu)
      .add("cpu_percent", 100.0 * cpu / wall);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: caf_bench <workload> workers=N [key=value ...]\n");
    return 2;
  }
  const std::string workload = argv[1];
  bench::arguments args(argc, argv, 2);
  actor_system_config cfg;
  cfg.set("scheduler.max-threads",
          static_cast<size_t>(args.integer("workers", std::thread::hardware_concurrency())));
  actor_system sys{cfg};
  try {
    if (workload == "spawn")
      bench_spawn(sys, args);
    else if (workload == "ping_pong")
      bench_ping_pong(sys, args);
    else if (workload == "ring")
      bench_ring(sys, args);
    else if (workload == "fan_out")
      bench_fan_out(sys, args);
    else if (workload == "skynet")
      bench_skynet(sys, args);
    else if (workload == "call_latency")
      bench_call_latency(sys, args);
    else if (workload == "supervisor")
      bench_supervisor(sys, args);
    else if (workload == "contention")
      bench_contention(sys, args);
    else if (workload == "idle")
      bench_idle(sys, args);
    else
      throw std::runtime_error("unknown workload " + workload);
  } catch (const std::exception& e) {
    std::printf("bench=%s impl=caf workers=%zu status=failed reason=%s\n", workload.c_str(),
                workers_of(sys), e.what());
    return 1;
  }
  return 0;
}
