// The demo node: an OTP application whose supervision tree does real work under load while a
// chaos process kills workers and the supervisors bring them back. Prints live counts once a
// second and a summary at the end.
//
//   demo (application, permanent)
//   └── demo_top (one_for_one)
//       ├── service_0 (one_for_all)
//       │   ├── workers_0    (simple_one_for_one: the checksum workers)
//       │   └── dispatcher_0 (gen_server: starts the workers, hands them jobs)
//       ├── service_1 ...
//       ├── load  (gen_server: keeps a window of jobs in flight per service, checks answers)
//       └── chaos (gen_server: kills a random worker every --chaos-ms, now and then a dispatcher)
//
// A job is a checksum (FNV-1a) over a payload; the load generator knows the right answer and
// counts wrong ones, so the work is checked, not just done. A job whose worker was killed
// before answering is "lost": the load generator notices it has not come back and sends
// another in its place.
//
//   build/release/examples/demo_node/bitactor_demo --seconds 10 --workers-per-service 2000

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <bitactor/core/node.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/otp/application.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace otp = bitactor::otp;
using bitactor::message;
using bitactor::pid;
using namespace std::chrono_literals;
namespace term = bitactor::term;

namespace {

/// What the tree reports to the main thread, which prints it. Relaxed atomics: these are
/// counts for people, nothing is synchronised through them.
struct demo_stats {
  std::atomic<std::uint64_t> requests{0};  // jobs answered correctly
  std::atomic<std::uint64_t> wrong{0};     // jobs answered with a wrong checksum
  std::atomic<std::uint64_t> lost{0};      // jobs that never came back (their worker died)
  std::atomic<std::uint64_t> kills{0};     // processes the chaos process killed
  std::atomic<std::uint64_t> restarts{0};  // restarts the supervisors reported
};

void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

std::string service_name(std::size_t i) { return "service_" + std::to_string(i); }
std::string workers_name(std::size_t i) { return "workers_" + std::to_string(i); }
std::string dispatcher_name(std::size_t i) { return "dispatcher_" + std::to_string(i); }

// --- the work ---------------------------------------------------------------------------------

std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (std::uint8_t b : bytes) h = (h ^ b) * 1099511628211ull;
  return h;
}

/// A payload and the checksum the load generator expects for it. Shared, never copied: the
/// job message carries a pointer, the worker reads the bytes.
struct payload {
  std::vector<std::uint8_t> bytes;
  std::uint64_t checksum = 0;
};

struct job {
  pid reply_to;
  std::uint32_t service = 0;
  std::uint32_t slot = 0;  // which of the load generator's in-flight slots it fills
  std::uint64_t seq = 0;   // tells this job from an older one of the same slot
  std::shared_ptr<const payload> data;
};
struct job_done {
  std::uint32_t service = 0;
  std::uint32_t slot = 0;
  std::uint64_t seq = 0;
  std::uint64_t checksum = 0;
};
/// A worker tells its dispatcher it is up: on its first start and after every restart.
struct worker_up {
  pid worker;
};

// --- tier 3: a worker (one of many under simple_one_for_one) ------------------------------------

class worker : public otp::gen_server {
 public:
  explicit worker(pid dispatcher) : dispatcher_(dispatcher) {}

 protected:
  // The supervisor restarts a killed worker with the same start function, so the new process
  // knows the same dispatcher and announces itself to it.
  void init() override { cast(dispatcher_, worker_up{self()}); }
  void handle_cast(message& m) override {
    if (auto* j = m.get_if<job>()) {
      cast(j->reply_to, job_done{j->service, j->slot, j->seq, fnv1a(j->data->bytes)});
    }
  }

 private:
  pid dispatcher_;
};

// --- tier 2: the dispatcher of a service ------------------------------------------------------

struct fill_pool {};

class dispatcher : public otp::gen_server {
 public:
  dispatcher(std::size_t service, std::size_t pool) : service_(service), pool_(pool) {}

 protected:
  // The worker supervisor is the service's first child, so it is up by now; the workers are
  // started right after init (a continuation), since init cannot wait for replies.
  void init() override { continue_with(fill_pool{}); }
  void handle_continue(message& m) override {
    if (m.is<fill_pool>()) fill();
  }

  void handle_cast(message& m) override {
    if (auto* up = m.get_if<worker_up>()) {
      monitor(up->worker);
      workers_.push_back(up->worker);
      // Jobs that arrived while there was no worker.
      for (auto& j : waiting_) forward(std::move(j));
      waiting_.clear();
    } else if (auto* j = m.get_if<job>()) {
      if (workers_.empty()) {
        waiting_.push_back(std::move(*j));
      } else {
        forward(std::move(*j));
      }
    }
  }

  void handle_info(message& m) override {
    // A worker died: forget it. Its supervisor restarts it, and the new one says worker_up.
    if (auto* d = m.get_if<bitactor::down_msg>()) {
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        if (workers_[i] == d->process) {
          workers_[i] = workers_.back();
          workers_.pop_back();
          break;
        }
      }
    }
  }

 private:
  /// Starts the pool under the service's simple_one_for_one supervisor, one start_child
  /// request at a time; each worker gets this dispatcher's pid as its start argument (OTP:
  /// supervisor:start_child(Sup, ExtraArgs)).
  otp::async fill() {
    auto sup = whereis(workers_name(service_));
    if (!sup) throw std::runtime_error("no worker supervisor for " + service_name(service_));
    for (std::size_t i = 0; i < pool_; ++i) {
      otp::start_fn start = otp::start_link_fn<worker>(self());
      auto started = co_await otp::start_child(*this, *sup, start);
      // A failed start is a real fault of the tree: crash, and let one_for_all start over.
      if (!started) throw std::runtime_error("start_child: " + started.error().to_string());
    }
  }

  void forward(job j) {
    next_ = (next_ + 1) % workers_.size();
    cast(workers_[next_], std::move(j));
  }

  std::size_t service_;
  std::size_t pool_;
  std::vector<pid> workers_;
  std::vector<job> waiting_;
  std::size_t next_ = 0;
};

// --- the load generator -----------------------------------------------------------------------

struct load_tick {};

/// Keeps `window` jobs in flight per service: each answer is checked and replaced by a new
/// job at once, so the tree runs at full speed without mailboxes growing. A tick every 10 ms
/// finds the dispatchers again (they get new pids when restarted) and resends jobs that have
/// been out for too long (lost with a killed worker).
class load_generator : public otp::gen_server {
 public:
  load_generator(std::size_t services, std::size_t window, std::size_t payload_bytes,
                 demo_stats* stats)
      : services_(services), window_(window), payload_bytes_(payload_bytes), stats_(stats) {}

 protected:
  void init() override {
    std::mt19937_64 rng(1);
    for (auto& p : payloads_) {
      auto data = std::make_shared<payload>();
      data->bytes.resize(payload_bytes_);
      for (auto& b : data->bytes) b = static_cast<std::uint8_t>(rng());
      data->checksum = fnv1a(data->bytes);
      p = std::move(data);
    }
    dispatchers_.resize(services_);
    slots_.assign(services_, std::vector<slot>(window_));
    send_after(self(), 1ms, load_tick{});
  }

  void handle_cast(message& m) override {
    auto* d = m.get_if<job_done>();
    if (d == nullptr || d->service >= services_ || d->slot >= window_) return;
    slot& s = slots_[d->service][d->slot];
    if (!s.in_flight || s.seq != d->seq) return;  // a late answer to a job already replaced
    s.in_flight = false;
    bump(d->checksum == payloads_[d->seq % payloads_.size()]->checksum ? stats_->requests
                                                                       : stats_->wrong);
    send_job(d->service, d->slot);
  }

  void handle_info(message& m) override {
    if (!m.is<load_tick>()) return;
    ++tick_;
    for (std::size_t i = 0; i < services_; ++i) {
      dispatchers_[i] = whereis(dispatcher_name(i)).value_or(pid{});
      for (std::uint32_t k = 0; k < window_; ++k) {
        slot& s = slots_[i][k];
        if (s.in_flight && tick_ - s.sent_tick < lost_after_ticks) continue;
        if (s.in_flight) bump(stats_->lost);
        s.in_flight = false;
        send_job(static_cast<std::uint32_t>(i), k);
      }
    }
    send_after(self(), 10ms, load_tick{});
  }

 private:
  struct slot {
    std::uint64_t seq = 0;
    std::uint64_t sent_tick = 0;
    bool in_flight = false;
  };
  static constexpr std::uint64_t lost_after_ticks = 25;  // 250 ms

  void send_job(std::uint32_t service, std::uint32_t k) {
    const pid& to = dispatchers_[service];
    if (!to) return;  // the service is restarting: the next tick tries again
    slot& s = slots_[service][k];
    s.seq = ++seq_;
    s.sent_tick = tick_;
    s.in_flight = true;
    cast(to, job{self(), service, k, s.seq, payloads_[s.seq % payloads_.size()]});
  }

  std::size_t services_, window_, payload_bytes_;
  demo_stats* stats_;
  std::array<std::shared_ptr<const payload>, 16> payloads_;
  std::vector<pid> dispatchers_;
  std::vector<std::vector<slot>> slots_;
  std::uint64_t seq_ = 0;
  std::uint64_t tick_ = 0;
};

// --- chaos ------------------------------------------------------------------------------------

struct strike {};

/// Every `every` kills a random running worker of a random service (exit(Pid, kill)), found
/// with which_children on its supervisor; one strike in 50 kills a dispatcher instead, which
/// makes its one_for_all service supervisor restart the whole service.
class chaos : public otp::gen_server {
 public:
  chaos(std::size_t services, std::chrono::milliseconds every, demo_stats* stats)
      : services_(services), every_(every), stats_(stats) {}

 protected:
  void init() override { send_after(self(), every_, strike{}); }
  void handle_info(message& m) override {
    if (m.is<strike>()) hit();
  }

 private:
  otp::async hit() {
    const std::size_t service = rng_() % services_;
    if (rng_() % 50 == 0) {
      if (auto d = whereis(dispatcher_name(service))) kill(*d);
    } else if (auto sup = whereis(workers_name(service))) {
      // A supervisor that went down between whereis and the call (its service is restarting)
      // answers call_failed: nothing to kill this time.
      auto children = co_await otp::which_children(*this, *sup, 1s);
      if (children && !children->empty()) {
        const auto& victim = (*children)[rng_() % children->size()];
        if (victim.status == otp::child_status::running) kill(victim.process);
      }
    }
    send_after(self(), every_, strike{});
  }

  void kill(const pid& victim) {
    exit(victim, bitactor::exit_reason::kill());
    bump(stats_->kills);
  }

  std::size_t services_;
  std::chrono::milliseconds every_;
  demo_stats* stats_;
  std::mt19937_64 rng_{7};
};

// --- the application --------------------------------------------------------------------------

std::size_t env_size(const otp::environment& env, const std::string& key) {
  auto it = env.find(key);
  if (it == env.end()) throw std::runtime_error("demo: no '" + key + "' in the environment");
  return static_cast<std::size_t>(std::get<std::int64_t>(it->second));
}

/// One service: its workers' supervisor first, then the dispatcher that fills it. one_for_all,
/// because the two only make sense together: a new dispatcher starts a fresh pool, and a
/// new (empty) worker supervisor needs a dispatcher to fill it.
otp::supervisor_spec service_spec(std::size_t i, std::size_t pool) {
  otp::supervisor_spec workers;
  // Chaos kills workers on purpose, far more often than a real fault would: the intensity
  // is set so that this supervisor never gives up because of it.
  workers.flags = {otp::restart_strategy::simple_one_for_one, 1000000, 1s,
                   otp::auto_shutdown_policy::never};
  // The template; each start_child replaces its start function (the dispatcher's pid).
  workers.children.push_back(otp::child_spec::worker<worker>("worker", pid{}));

  // A real limit here: a service whose dispatcher dies more than 10 times a second gives up,
  // and the top supervisor restarts the whole service.
  otp::supervisor_spec s;
  s.flags = {otp::restart_strategy::one_for_all, 10, 1s, otp::auto_shutdown_policy::never};
  s.children.push_back(otp::child_spec{
      "workers", otp::start_link_named_fn<otp::supervisor>(workers_name(i), std::move(workers)),
      otp::restart_type::permanent, otp::shutdown_policy::wait_forever(),
      otp::child_kind::supervisor, false});
  s.children.push_back(otp::child_spec{
      "dispatcher", otp::start_link_named_fn<dispatcher>(dispatcher_name(i), i, pool)});
  return s;
}

/// The live counts as an Erlang map.
term::term demo_counts(const demo_stats& stats, bitactor::node& node) {
  auto count = [](const std::atomic<std::uint64_t>& c) {
    return term::term(static_cast<std::int64_t>(c.load(std::memory_order_relaxed)));
  };
  return term::map_from({{term::atom("requests"), count(stats.requests)},
                         {term::atom("restarts"), count(stats.restarts)},
                         {term::atom("killed"), count(stats.kills)},
                         {term::atom("wrong"), count(stats.wrong)},
                         {term::atom("processes"),
                          term::term(static_cast<std::int64_t>(node.counters().processes))}});
}

/// The application's top supervisor, built from its environment (OTP: Module:start/2).
// [stats-server]
/// Answers the node's live counts to callers on Erlang nodes (in distributed mode):
///   gen_server:call({demo, 'demo@host'}, stats) -> #{requests => N, restarts => N, ...}
class stats_server : public otp::gen_server {
 public:
  explicit stats_server(demo_stats* stats) : stats_(stats) {}

 protected:
  void handle_call(otp::call_context& c) override {
    c.match([&](term::term& request) -> term::term {
      if (request.is_atom("ping")) return term::atom("pong");
      if (request.is_atom("stats")) return demo_counts(*stats_, this_node());
      return term::tuple(term::atom("error"), term::tuple(term::atom("unknown_request"), request));
    });
  }

 private:
  demo_stats* stats_;
};
// [stats-server]

otp::supervisor_spec demo_top(const otp::environment& env, demo_stats* stats) {
  const std::size_t services = env_size(env, "services");
  otp::supervisor_spec top;
  top.flags = {otp::restart_strategy::one_for_one, 10, 1s, otp::auto_shutdown_policy::never};
  for (std::size_t i = 0; i < services; ++i) {
    top.children.push_back(
        otp::child_spec{service_name(i),
                        otp::start_link_named_fn<otp::supervisor>(
                            service_name(i), service_spec(i, env_size(env, "workers"))),
                        otp::restart_type::permanent, otp::shutdown_policy::wait_forever(),
                        otp::child_kind::supervisor, false});
  }
  top.children.push_back(otp::child_spec{
      "load", otp::start_link_named_fn<load_generator>("load", services, env_size(env, "in_flight"),
                                                       env_size(env, "payload_bytes"), stats)});
  top.children.push_back(otp::child_spec{
      "chaos",
      otp::start_link_named_fn<chaos>(
          "chaos", services, std::chrono::milliseconds(env_size(env, "chaos_ms")), stats)});
  top.children.push_back(
      otp::child_spec{"demo", otp::start_link_named_fn<stats_server>("demo", stats)});
  return top;
}

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"BitActor demo node: an OTP application under load and chaos"};
  double seconds = 10;
  std::size_t services = 3, per_service = 1000, in_flight = 256, payload_bytes = 1024,
              schedulers = 0;
  int chaos_ms = 20;
  app.add_option("--seconds", seconds, "How long to run")->check(CLI::PositiveNumber);
  app.add_option("--services", services, "Service supervisors")->check(CLI::Range(1, 1000));
  app.add_option("--workers-per-service", per_service, "Workers under each service")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--in-flight,--burst", in_flight, "Jobs kept in flight per service")
      ->check(CLI::Range(1, 100000));
  app.add_option("--payload-bytes", payload_bytes, "Bytes checksummed per job")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--chaos-ms", chaos_ms, "Kill a random worker this often")
      ->check(CLI::Range(1, 60000));
  app.add_option("--schedulers", schedulers, "Scheduler threads (default: hardware threads)");
  std::string sname, cookie;
  app.add_option("--sname", sname,
                 "Join Erlang distribution under this short name (alive or alive@host): Erlang "
                 "nodes can then call the registered 'demo' gen_server");
  app.add_option("--cookie", cookie, "Distribution cookie (default: ~/.erlang.cookie, as erl)");
  CLI11_PARSE(app, argc, argv);

  demo_stats stats;
  // Restarts are counted from the supervisors' reports; the reports themselves (one per
  // killed worker) are kept off the console, which shows the counts instead.
  const std::size_t report_sink = otp::add_report_sink([&stats](const otp::report& r) {
    if (r.type == otp::report::kind::supervisor && r.find("action")->is_atom("restarting")) {
      bump(stats.restarts);
    }
  });
  otp::set_default_sink_level(otp::report_level::none);

  bitactor::node_config config;
  if (schedulers != 0) config.workers = schedulers;
  // [distributed]
  // Distributed mode: the same node, registered with epmd (started if none runs) under the
  // given name, so `gen_server:call({demo, 'demo@host'}, stats)` from an Erlang shell works.
  std::unique_ptr<bitactor::dist::distributed_node> distributed;
  std::unique_ptr<bitactor::node> local;
  if (!sname.empty()) {
    bitactor::dist::dist_config dc;
    dc.name = sname;
    if (!cookie.empty()) dc.cookie = cookie;
    try {
      distributed = std::make_unique<bitactor::dist::distributed_node>(dc, config);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "demo: cannot join the distribution: %s\n", e.what());
      otp::remove_report_sink(report_sink);
      return 1;
    }
  } else {
    local = std::make_unique<bitactor::node>(config);
  }
  bitactor::node& node = distributed ? distributed->local() : *local;
  if (distributed) {
    // rpc:call('demo@host', demo, stats, []) answers the same counts, from a C++ function.
    distributed->register_rpc("demo", "stats", 0, [&stats, &node](std::span<const term::term>) {
      return demo_counts(stats, node);
    });
  }
  // [distributed]
  int status = 0;
  {
    otp::application_controller apps(node);
    otp::application_spec demo;
    demo.name = "demo";
    demo.description = "services of checksum workers under load and chaos";
    demo.version = "1.0";
    demo.env = {{"services", std::int64_t{3}},
                {"workers", std::int64_t{1000}},
                {"in_flight", std::int64_t{256}},
                {"payload_bytes", std::int64_t{1024}},
                {"chaos_ms", std::int64_t{20}}};
    demo.top = [&stats](const otp::environment& env) { return demo_top(env, &stats); };
    apps.load(std::move(demo));

    // The command line overrides the application's defaults, as a start's overrides do.
    auto as_env = [](std::size_t v) { return otp::env_value(static_cast<std::int64_t>(v)); };
    const auto started_at = std::chrono::steady_clock::now();
    try {
      apps.start("demo", {.type = otp::start_type::permanent,
                          .overrides = {{"services", as_env(services)},
                                        {"workers", as_env(per_service)},
                                        {"in_flight", as_env(in_flight)},
                                        {"payload_bytes", as_env(payload_bytes)},
                                        {"chaos_ms", as_env(static_cast<std::size_t>(chaos_ms))}}});
    } catch (const otp::application_error& e) {
      std::fprintf(stderr, "demo did not start: %s\n", e.what());
      otp::remove_report_sink(report_sink);
      return 1;
    }
    std::printf(
        "BitActor demo node %s: %zu schedulers, application 'demo' with %zu services x %zu "
        "workers, %zu jobs in flight per service, chaos every %d ms\n",
        node.name().c_str(), node.config().workers, services, per_service, in_flight, chaos_ms);
    if (distributed) {
      std::printf(
          "from an Erlang shell (erl -sname shell%s): gen_server:call({demo, '%s'}, stats). "
          "or rpc:call('%s', demo, stats, []).\n",
          cookie.empty() ? "" : (" -setcookie " + cookie).c_str(), distributed->name().c_str(),
          distributed->name().c_str());
    }
    std::fflush(stdout);

    // Live counts, once a second (the last interval may be shorter, to end on time).
    const auto end = started_at + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(seconds));
    std::uint64_t last_requests = 0;
    auto last = started_at;
    bool tree_failed = false;
    for (int k = 1; !tree_failed; ++k) {
      const auto until = std::min(started_at + k * std::chrono::steady_clock::duration(1s), end);
      std::this_thread::sleep_until(until);
      // A permanent application that exits (its top supervisor gave up) means the node must
      // stop; run_until_stopped then returns at once with the reason, having stopped it.
      if (!apps.is_running("demo")) {
        auto why = apps.run_until_stopped(1s);
        std::printf("the demo application exited (%s): node stopped\n",
                    why ? why->to_string().c_str() : "?");
        tree_failed = true;
        break;
      }
      const auto now = std::chrono::steady_clock::now();
      const auto c = node.counters();
      const std::uint64_t requests = stats.requests.load(std::memory_order_relaxed);
      const double dt = std::chrono::duration<double>(now - last).count();
      std::printf(
          "t=%5.1fs  requests/s %9.0f  total %10llu  killed %6llu  restarts %6llu  "
          "processes %7llu  crashes %llu\n",
          std::chrono::duration<double>(now - started_at).count(),
          static_cast<double>(requests - last_requests) / dt, ull(requests),
          ull(stats.kills.load()), ull(stats.restarts.load()), ull(c.processes), ull(c.crashed));
      std::fflush(stdout);
      last_requests = requests;
      last = now;
      if (until >= end) break;
    }

    const double ran =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
    if (!tree_failed) apps.stop("demo");  // stops the tree: services, their workers, load, chaos
    const auto c = node.counters();
    const std::uint64_t requests = stats.requests.load();
    std::printf(
        "summary: ran %.1f s, requests: %llu (%.0f/s), wrong answers: %llu, lost to "
        "chaos: %llu\n",
        ran, ull(requests), static_cast<double>(requests) / ran, ull(stats.wrong.load()),
        ull(stats.lost.load()));
    std::printf(
        "summary: killed: %llu, restarts: %llu, processes spawned: %llu, crashes: %llu, "
        "tree %s\n",
        ull(stats.kills.load()), ull(stats.restarts.load()), ull(c.spawned), ull(c.crashed),
        tree_failed ? "FAILED" : "stopped cleanly");
    if (tree_failed || stats.wrong.load() != 0) status = 1;
  }  // the application controller goes before the node it runs on
  node.stop();
  otp::remove_report_sink(report_sink);
  return status;
}
