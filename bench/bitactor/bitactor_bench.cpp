// BitActor's side of the side-by-side benchmarks (bench/run drives it). The same workloads,
// sizes and output as the Erlang peer (bench/peers/erlang) and the CAF peer (bench/peers/caf):
//
//   bitactor_bench <workload> workers=N [key=value ...]
//
// Processes are written as a user of the public API would write them: actor subclasses or
// lambdas dispatching on message type, an inbox for main(), gen_server and supervisor from
// the OTP layer for the call and restart workloads.

#include <atomic>
#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "measure.hpp"

using namespace std::chrono_literals;
using bitactor::actor;
using bitactor::message;
using bitactor::pid;
namespace otp = bitactor::otp;

namespace {

struct stop_msg {};
struct go {};
struct done {
  std::int64_t value = 0;
};

constexpr auto patience = std::chrono::minutes(10);  // an inbox wait that means "hung"

bitactor::node_config config(const bench::arguments& args) {
  bitactor::node_config c;
  c.workers = static_cast<std::size_t>(
      args.integer("workers", static_cast<std::int64_t>(bitactor::node_config::default_workers())));
  return c;
}

template <class T>
T await(bitactor::inbox& box, const char* what) {
  auto v = box.receive<T>(patience);
  if (!v) throw std::runtime_error(std::string("timed out waiting for ") + what);
  return std::move(*v);
}

// Waits until only `alive` processes remain (after asking the others to stop).
void wait_processes(bitactor::node& n, std::uint64_t alive) {
  while (n.counters().processes > alive) std::this_thread::sleep_for(1ms);
}

// --- 1. spawn ------------------------------------------------------------------------------

class idle_process : public actor {
 public:
  void handle(message& m) override {
    if (m.is<stop_msg>()) stop(bitactor::exit_reason::normal());
  }
};

// An idle gen_server with empty state (the `kind=gen_server` variant).
class idle_server : public otp::gen_server {};

// Starts n idle gen_servers, keeping up to `window` inits in flight rather than waiting for
// each (the figure is about the servers, not about start round trips). The window also keeps
// the handshake messages in flight few, so they do not inflate the RSS the servers are
// measured by.
std::vector<pid> start_idle_servers(bitactor::node& node, std::int64_t n) {
  constexpr std::int64_t window = 256;
  bitactor::inbox box(node);
  std::vector<pid> pids;
  pids.reserve(static_cast<std::size_t>(n));
  auto await_ack = [&] {
    bitactor::message_ptr m = box.receive_any(std::chrono::seconds(60));
    auto* ack = m ? m->get_if<otp::init_ack>() : nullptr;
    if (ack == nullptr || !ack->result.ok()) throw std::runtime_error("gen_server init failed");
  };
  for (std::int64_t i = 0; i < n; ++i) {
    if (i >= window) await_ack();
    pid p = node.spawn<idle_server>();
    node.send(p, otp::init_request{box.self(), node.make_ref(), pid{}, {}});
    pids.push_back(p);
  }
  for (std::int64_t i = 0; i < std::min(n, window); ++i) await_ack();
  return pids;
}

void bench_spawn(const bench::arguments& args) {
  const auto n = args.integer("n", 1'000'000);
  const auto kind = args.text("kind", "process");
  bitactor::node node(config(args));
  const auto base = node.counters().processes;
  std::vector<pid> pids;
  pids.reserve(static_cast<std::size_t>(n));
  const auto rss0 = bench::rss_bytes();
  auto t0 = bench::clock_type::now();
  if (kind == "gen_server") {
    pids = start_idle_servers(node, n);
  } else {
    for (std::int64_t i = 0; i < n; ++i) pids.push_back(node.spawn<idle_process>());
  }
  const double seconds = bench::seconds_since(t0);
  const auto bytes =
      bench::rss_bytes() - rss0 - static_cast<std::int64_t>(pids.capacity() * sizeof(pid));
  auto t1 = bench::clock_type::now();
  if (kind == "gen_server") {
    for (const pid& p : pids) node.exit(p, bitactor::exit_reason::shutdown());
  } else {
    for (const pid& p : pids) node.send(p, stop_msg{});
  }
  wait_processes(node, base);
  bench::report("spawn", "bitactor", node.config().workers)
      .add("kind", kind)
      .add("n", static_cast<double>(n))
      .add("seconds", seconds)
      .add("spawns_per_s", static_cast<double>(n) / seconds)
      .add("bytes_per_process", static_cast<double>(bytes) / static_cast<double>(n))
      .add("rss_bytes_per_process", static_cast<double>(bytes) / static_cast<double>(n))
      .add("stop_seconds", bench::seconds_since(t1));
}

// --- 2. ping-pong --------------------------------------------------------------------------

struct ping {
  pid from;
};
struct pong {};

class pinger : public actor {
 public:
  pinger(pid pong_to, std::int64_t round_trips, pid done_to)
      : pong_(pong_to), left_(round_trips), done_to_(done_to) {}
  void handle(message& m) override {
    if (m.is<go>()) {
      send(pong_, ping{self()});
    } else if (m.is<pong>()) {
      if (--left_ == 0) {
        send(done_to_, done{});
      } else {
        send(pong_, ping{self()});
      }
    }
  }

 private:
  pid pong_;
  std::int64_t left_;
  pid done_to_;
};

void bench_ping_pong(const bench::arguments& args) {
  const auto round_trips = args.integer("round_trips", 2'000'000);
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  pid ponger = node.spawn([](actor& self, message& m) {
    if (auto* p = m.get_if<ping>()) self.send(p->from, pong{});
  });
  pid pinger_pid = node.spawn<pinger>(ponger, round_trips, box.self());
  auto t0 = bench::clock_type::now();
  node.send(pinger_pid, go{});
  await<done>(box, "ping_pong");
  const double s = bench::seconds_since(t0);
  bench::report("ping_pong", "bitactor", node.config().workers)
      .add("round_trips", static_cast<double>(round_trips))
      .add("seconds", s)
      .add("round_trips_per_s", static_cast<double>(round_trips) / s)
      .add("msgs_per_s", 2.0 * static_cast<double>(round_trips) / s);
}

// --- 3. thread ring ------------------------------------------------------------------------

struct token {
  std::int64_t left;
};
struct next_is {
  pid next;
};

class ring_member : public actor {
 public:
  explicit ring_member(pid reporter) : reporter_(reporter) {}
  void handle(message& m) override {
    if (auto* t = m.get_if<token>()) {
      if (t->left == 0) {
        send(reporter_, done{});
      } else {
        send(next_, token{t->left - 1});
      }
    } else if (auto* n = m.get_if<next_is>()) {
      next_ = n->next;
    }
  }

 private:
  pid reporter_;
  pid next_;
};

void bench_ring(const bench::arguments& args) {
  const auto size = args.integer("processes", 1000);
  const auto hops = args.integer("hops", 1'000'000);
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  std::vector<pid> ring;
  for (std::int64_t i = 0; i < size; ++i) ring.push_back(node.spawn<ring_member>(box.self()));
  for (std::size_t i = 0; i < ring.size(); ++i) {
    node.send(ring[i], next_is{ring[(i + 1) % ring.size()]});
  }
  auto t0 = bench::clock_type::now();
  node.send(ring[0], token{hops});
  await<done>(box, "ring");
  const double s = bench::seconds_since(t0);
  bench::report("ring", "bitactor", node.config().workers)
      .add("processes", static_cast<double>(size))
      .add("hops", static_cast<double>(hops))
      .add("seconds", s)
      .add("hops_per_s", static_cast<double>(hops) / s);
}

// --- 4. fan-out / fan-in -------------------------------------------------------------------

struct work {
  pid from;
  std::int64_t value;
};
struct result {
  std::int64_t value;
};

class coordinator : public actor {
 public:
  coordinator(std::vector<pid> workers, std::int64_t per_worker, pid done_to)
      : workers_(std::move(workers)), per_worker_(per_worker), done_to_(done_to) {}
  void handle(message& m) override {
    if (auto* r = m.get_if<result>()) {
      sum_ += r->value;
      if (--pending_ == 0) send(done_to_, done{sum_});
    } else if (m.is<go>()) {
      pending_ = static_cast<std::int64_t>(workers_.size()) * per_worker_;
      for (const pid& w : workers_) {
        for (std::int64_t i = 0; i < per_worker_; ++i) send(w, work{self(), 1});
      }
    }
  }

 private:
  std::vector<pid> workers_;
  std::int64_t per_worker_;
  pid done_to_;
  std::int64_t pending_ = 0;
  std::int64_t sum_ = 0;
};

void bench_fan_out(const bench::arguments& args) {
  const auto n = args.integer("processes", 10'000);
  const auto per_worker = args.integer("messages", 100);
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  std::vector<pid> workers;
  for (std::int64_t i = 0; i < n; ++i) {
    workers.push_back(node.spawn([](actor& self, message& m) {
      if (auto* w = m.get_if<work>()) self.send(w->from, result{w->value});
    }));
  }
  pid coord = node.spawn<coordinator>(workers, per_worker, box.self());
  auto t0 = bench::clock_type::now();
  node.send(coord, go{});
  auto sum = await<done>(box, "fan_out").value;
  const double s = bench::seconds_since(t0);
  if (sum != n * per_worker) throw std::runtime_error("fan_out: wrong sum");
  bench::report("fan_out", "bitactor", node.config().workers)
      .add("processes", static_cast<double>(n))
      .add("messages", static_cast<double>(per_worker))
      .add("seconds", s)
      .add("msgs_per_s", 2.0 * static_cast<double>(n * per_worker) / s);
}

// --- 5. skynet -----------------------------------------------------------------------------

struct partial_sum {
  std::int64_t value;
};

class skynet_node : public actor {
 public:
  skynet_node(pid parent, std::int64_t num, std::int64_t size, std::int64_t div)
      : parent_(parent), num_(num), size_(size), div_(div) {}
  void on_start() override {
    if (size_ == 1) {
      send(parent_, partial_sum{num_});
      stop(bitactor::exit_reason::normal());
      return;
    }
    const auto sub = size_ / div_;
    for (std::int64_t i = 0; i < div_; ++i) spawn<skynet_node>(self(), num_ + i * sub, sub, div_);
    pending_ = div_;
  }
  void handle(message& m) override {
    if (auto* p = m.get_if<partial_sum>()) {
      sum_ += p->value;
      if (--pending_ == 0) {
        send(parent_, partial_sum{sum_});
        stop(bitactor::exit_reason::normal());
      }
    }
  }

 private:
  pid parent_;
  std::int64_t num_, size_, div_;
  std::int64_t pending_ = 0;
  std::int64_t sum_ = 0;
};

void bench_skynet(const bench::arguments& args) {
  const auto leaves = args.integer("leaves", 1'000'000);
  const auto div = args.integer("branching", 10);
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  auto t0 = bench::clock_type::now();
  node.spawn<skynet_node>(box.self(), std::int64_t{0}, leaves, div);
  const auto sum = await<partial_sum>(box, "skynet").value;
  const double s = bench::seconds_since(t0);
  if (sum != leaves * (leaves - 1) / 2) throw std::runtime_error("skynet: wrong sum");
  bench::report("skynet", "bitactor", node.config().workers)
      .add("leaves", static_cast<double>(leaves))
      .add("branching", static_cast<double>(div))
      .add("seconds", s)
      .add("sum", static_cast<double>(sum));
}

// --- 6. call latency (gen_server) ----------------------------------------------------------

struct ping_request {
  using reply = int;
};

class echo_server : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match([](ping_request&) { return 1; });
  }
};

struct run_calls {
  std::int64_t calls;
};

// A gen_server that, on run_calls, makes that many calls one after the other, each waited for
// with co_await (the process equivalent of a sequence of gen_server:call).
class call_client : public otp::gen_server {
 public:
  call_client(pid server, std::vector<std::int64_t>* samples, pid done_to)
      : server_(server), samples_(samples), done_to_(done_to) {}

 protected:
  void handle_info(message& m) override {
    if (auto* r = m.get_if<run_calls>()) calls(r->calls);
  }

 private:
  otp::async calls(std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      auto sent = bench::clock_type::now();
      ping_request req;
      co_await call(server_, std::move(req), otp::infinity);
      samples_->push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - sent)
              .count());
    }
    send(done_to_, done{});
  }

  pid server_;
  std::vector<std::int64_t>* samples_;
  pid done_to_;
};

otp::start_result must_start(otp::start_result r, const char* what) {
  if (!r.ok()) throw std::runtime_error(std::string(what) + ": " + r.to_string());
  return r;
}

void bench_call_latency(const bench::arguments& args) {
  const auto calls = args.integer("calls", 200'000);
  const auto mode = args.text("mode", "process");
  const auto warmup = std::max<std::int64_t>(1, calls / 100);
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  pid server = must_start(otp::start<echo_server>(node, {}), "echo server").process;
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(calls + warmup));
  double s = 0;
  if (mode == "process") {
    pid client =
        must_start(otp::start<call_client>(node, {}, server, &samples, box.self()), "call client")
            .process;
    auto run = [&](std::int64_t n) {
      samples.clear();
      auto t0 = bench::clock_type::now();
      node.send(client, run_calls{n});
      await<done>(box, "call_latency");
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
        otp::call(node, server, ping_request{}, otp::infinity);
        samples.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - sent)
                .count());
      }
      return bench::seconds_since(t0);
    };
    run(warmup);
    s = run(calls);
  }
  bench::report r("call_latency", "bitactor", node.config().workers);
  r.add("mode", mode).add("calls", static_cast<double>(calls));
  bench::add_latency(r, samples, s);
}

// --- 7. supervisor restarts ----------------------------------------------------------------

struct started {
  pid child;
};
struct crash {};
struct crash_by_stop {};

// A supervised gen_server that tells the driver it started and crashes on any message.
class crasher : public otp::gen_server {
 public:
  explicit crasher(pid driver) : driver_(driver) {}

 protected:
  void init() override { send(driver_, started{self()}); }
  void handle_info(message& m) override {
    if (m.is<crash_by_stop>()) {
      stop(bitactor::exit_reason::error("crash"));  // gen_server {stop, crash, State}
      return;
    }
    throw std::runtime_error("crash");
  }

 private:
  pid driver_;
};

class restart_driver : public actor {
 public:
  restart_driver(std::int64_t restarts, pid done_to, bool by_stop)
      : left_(restarts + 1), done_to_(done_to), by_stop_(by_stop) {}
  void handle(message& m) override {
    auto* s = m.get_if<started>();
    if (!s) return;
    if (--left_ == 0) {
      send(done_to_, done{});
    } else {
      if (first_) send(done_to_, go{});  // the first start is not a restart: time from here
      first_ = false;
      if (by_stop_) {
        send(s->child, crash_by_stop{});
      } else {
        send(s->child, crash{});
      }
    }
  }

 private:
  std::int64_t left_;
  pid done_to_;
  bool by_stop_;
  bool first_ = true;
};

void bench_supervisor(const bench::arguments& args) {
  const auto restarts = args.integer("restarts", 100'000);
  const auto crash = args.text("crash", "throw");
  // Crash and supervisor reports would otherwise be printed for every restart; the
  // measurement is of the restart machinery, not of the console.
  otp::set_default_sink_level(otp::report_level::none);
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  pid driver = node.spawn<restart_driver>(restarts, box.self(), crash == "stop");
  otp::supervisor_spec spec{.flags = {.strategy = otp::restart_strategy::one_for_one,
                                      .intensity = 1'000'000'000,
                                      .period = std::chrono::seconds(1)},
                            .children = {otp::child_spec::worker<crasher>("crasher", driver)
                                             .with_shutdown(otp::shutdown_policy::brutal_kill())}};
  must_start(otp::start_supervisor(node, spec), "supervisor");
  await<go>(box, "the first child");
  auto t0 = bench::clock_type::now();
  await<done>(box, "supervisor restarts");
  const double s = bench::seconds_since(t0);
  bench::report("supervisor", "bitactor", node.config().workers)
      .add("crash", crash)
      .add("restarts", static_cast<double>(restarts))
      .add("seconds", s)
      .add("restarts_per_s", static_cast<double>(restarts) / s);
}

// --- 7b. recovery: from a kill to the replacement answering --------------------------------

// Kills the registered server and returns the nanoseconds until a call by its name is answered
// by its replacement (the supervisor restarted it and it registered again).
std::int64_t kill_and_wait_for_the_replacement(bitactor::node& node, const std::string& name) {
  std::optional<pid> old;
  while (!(old = node.whereis(name))) std::this_thread::yield();
  const auto t0 = bench::clock_type::now();
  node.exit(*old, bitactor::exit_reason::kill());
  for (;;) {
    auto now = node.whereis(name);
    if (now && *now != *old) {
      try {
        otp::call(node, *now, ping_request{}, std::chrono::seconds(5));
        break;
      } catch (const otp::call_error&) {
        // it died again or is not registered yet under that pid: look again
      }
    } else {
      std::this_thread::yield();  // not restarted yet: let the supervisor run
    }
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - t0)
      .count();
}

void bench_recovery(const bench::arguments& args) {
  const auto kills = args.integer("kills", 20'000);
  otp::set_default_sink_level(otp::report_level::none);  // a crash report per kill otherwise
  bitactor::node node(config(args));
  const std::string name = "recovery_target";
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one,
                .intensity = 1'000'000'000,
                .period = std::chrono::seconds(1)},
      .children = {otp::child_spec::worker<echo_server>(name).registered_as(name).with_shutdown(
          otp::shutdown_policy::brutal_kill())}};
  must_start(otp::start_supervisor(node, spec), "supervisor");
  for (std::int64_t i = 0; i < std::max<std::int64_t>(1, kills / 100); ++i) {
    kill_and_wait_for_the_replacement(node, name);  // warm-up
  }
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(kills));
  for (std::int64_t i = 0; i < kills; ++i) {
    samples.push_back(kill_and_wait_for_the_replacement(node, name));
  }
  double sum = 0;
  for (auto v : samples) sum += static_cast<double>(v);
  bench::report("recovery", "bitactor", node.config().workers)
      .add("kills", static_cast<double>(kills))
      .add("mean_us", sum / static_cast<double>(kills) / 1000.0)
      .add("p50_us", bench::percentile(samples, 0.50) / 1000.0)
      .add("p99_us", bench::percentile(samples, 0.99) / 1000.0)
      .add("p999_us", bench::percentile(samples, 0.999) / 1000.0);
}

// --- 8. mailbox under contention -----------------------------------------------------------

struct item {
  std::int64_t value;
};

void bench_contention(const bench::arguments& args) {
  const auto senders = args.integer("senders", 1);
  const auto per_sender = args.integer("messages", 2'000'000) / senders;
  const auto total = per_sender * senders;
  bitactor::node node(config(args));
  bitactor::inbox box(node);
  pid receiver = node.spawn([left = total, to = box.self()](actor& self, message& m) mutable {
    if (m.is<item>() && --left == 0) self.send(to, done{});
  });
  std::vector<pid> flooders;
  for (std::int64_t i = 0; i < senders; ++i) {
    flooders.push_back(node.spawn([receiver, per_sender](actor& self, message& m) {
      if (m.is<go>()) {
        for (std::int64_t k = 0; k < per_sender; ++k) self.send(receiver, item{k});
      }
    }));
  }
  auto t0 = bench::clock_type::now();
  for (const pid& f : flooders) node.send(f, go{});
  await<done>(box, "contention");
  const double s = bench::seconds_since(t0);
  bench::report("contention", "bitactor", node.config().workers)
      .add("senders", static_cast<double>(senders))
      .add("messages", static_cast<double>(total))
      .add("seconds", s)
      .add("msgs_per_s", static_cast<double>(total) / s);
}

// --- 9. idle cost --------------------------------------------------------------------------

void bench_idle(const bench::arguments& args) {
  const auto n = args.integer("processes", 100'000);
  const auto millis = args.integer("millis", 5000);
  bitactor::node node(config(args));
  const auto base = node.counters().processes;
  std::vector<pid> pids;
  for (std::int64_t i = 0; i < n; ++i) pids.push_back(node.spawn<idle_process>());
  std::this_thread::sleep_for(200ms);  // let the spawn burst settle
  const double cpu0 = bench::cpu_seconds();
  auto t0 = bench::clock_type::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(millis));
  const double cpu = bench::cpu_seconds() - cpu0;
  const double wall = bench::seconds_since(t0);
  for (const pid& p : pids) node.send(p, stop_msg{});
  wait_processes(node, base);
  bench::report("idle", "bitactor", node.config().workers)
      .add("processes", static_cast<double>(n))
      .add("seconds", wall)
      .add("cpu_seconds", cpu)
      .add("cpu_percent", 100.0 * cpu / wall);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bitactor_bench <workload> workers=N [key=value ...]\n");
    return 2;
  }
  const std::string workload = argv[1];
  bench::arguments args(argc, argv, 2);
  try {
    if (workload == "spawn")
      bench_spawn(args);
    else if (workload == "ping_pong")
      bench_ping_pong(args);
    else if (workload == "ring")
      bench_ring(args);
    else if (workload == "fan_out")
      bench_fan_out(args);
    else if (workload == "skynet")
      bench_skynet(args);
    else if (workload == "call_latency")
      bench_call_latency(args);
    else if (workload == "supervisor")
      bench_supervisor(args);
    else if (workload == "recovery")
      bench_recovery(args);
    else if (workload == "contention")
      bench_contention(args);
    else if (workload == "idle")
      bench_idle(args);
    else
      throw std::runtime_error("unknown workload " + workload);
  } catch (const std::exception& e) {
    std::printf("bench=%s impl=bitactor workers=%lld status=failed reason=%s\n", workload.c_str(),
                static_cast<long long>(args.integer("workers", 0)), e.what());
    return 1;
  }
  return 0;
}
