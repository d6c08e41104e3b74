// The demo node: a tree of processes under load, with a chaos process killing workers and
// monitor-based restarters bringing them back. Prints live counts once per interval.
//
//   build/release/examples/demo_node/bitactor_demo --seconds 10 --workers-per-service 2000

#include <CLI/CLI.hpp>
#include <atomic>
#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

using namespace std::chrono_literals;
using bitactor::actor;
using bitactor::message;
using bitactor::pid;

namespace {

struct request {
  pid reply_to;
  std::uint64_t n;
};
struct response {
  std::uint64_t n;
};
struct tick {};
struct kill_one {};
struct who_are_your_workers {
  pid reply_to;
};
struct worker_list {
  std::vector<pid> workers;
};

/// Answers requests; keeps a running total so it has some state to lose when killed.
class worker : public actor {
 public:
  void handle(message& m) override {
    if (auto* r = m.get_if<request>()) {
      total_ += r->n;
      send(r->reply_to, response{total_});
    }
  }

 private:
  std::uint64_t total_ = 0;
};

/// Keeps `count` workers alive: monitors each and starts a new one when one goes down.
class restarter : public actor {
 public:
  restarter(std::size_t count, std::atomic<std::uint64_t>& restarts)
      : count_(count), restarts_(restarts) {}
  void on_start() override {
    for (std::size_t i = 0; i < count_; ++i) workers_.push_back(start_worker());
  }
  void handle(message& m) override {
    if (auto* d = m.get_if<bitactor::down_msg>()) {
      for (auto& w : workers_) {
        if (w == d->process) {
          w = start_worker();
          restarts_.fetch_add(1, std::memory_order_relaxed);
          break;
        }
      }
    } else if (auto* q = m.get_if<who_are_your_workers>()) {
      send(q->reply_to, worker_list{workers_});
    }
  }

 private:
  pid start_worker() { return spawn_monitor<worker>().first; }
  std::size_t count_;
  std::atomic<std::uint64_t>& restarts_;
  std::vector<pid> workers_;
};

/// Every tick sends a burst of requests to random workers of every service.
class load_generator : public actor {
 public:
  load_generator(std::vector<pid> services, std::size_t burst)
      : services_(std::move(services)), burst_(burst) {}
  void on_start() override { send_after(self(), 1ms, tick{}); }
  void handle(message& m) override {
    if (m.is<tick>()) {
      for (const pid& s : services_) send(s, who_are_your_workers{self()});
      send_after(self(), 10ms, tick{});
    } else if (auto* l = m.get_if<worker_list>()) {
      for (std::size_t i = 0; i < burst_ && !l->workers.empty(); ++i) {
        send(l->workers[rng_() % l->workers.size()], request{self(), i});
      }
    }
  }

 private:
  std::vector<pid> services_;
  std::size_t burst_;
  std::mt19937_64 rng_{42};
};

/// Kills a random worker of a random service every interval (exit(Pid, kill)).
class chaos : public actor {
 public:
  chaos(std::vector<pid> services, std::chrono::milliseconds every)
      : services_(std::move(services)), every_(every) {}
  void on_start() override { send_after(self(), every_, kill_one{}); }
  void handle(message& m) override {
    if (m.is<kill_one>()) {
      send(services_[rng_() % services_.size()], who_are_your_workers{self()});
      send_after(self(), every_, kill_one{});
    } else if (auto* l = m.get_if<worker_list>()) {
      if (!l->workers.empty()) {
        exit(l->workers[rng_() % l->workers.size()], bitactor::exit_reason::kill());
      }
    }
  }

 private:
  std::vector<pid> services_;
  std::chrono::milliseconds every_;
  std::mt19937_64 rng_{7};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"BitActor demo node: a supervised tree under load and chaos"};
  double seconds = 10;
  std::size_t services = 3, per_service = 1000, burst = 200, workers = 0;
  int chaos_ms = 20;
  app.add_option("--seconds", seconds, "How long to run")->check(CLI::PositiveNumber);
  app.add_option("--services", services, "Restarters (services)")->check(CLI::Range(1, 1000));
  app.add_option("--workers-per-service", per_service, "Workers under each restarter")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--burst", burst, "Requests per service per 10 ms tick");
  app.add_option("--chaos-ms", chaos_ms, "Kill a random worker this often")
      ->check(CLI::Range(1, 60000));
  app.add_option("--schedulers", workers, "Scheduler workers (default: hardware threads)");
  CLI11_PARSE(app, argc, argv);

  bitactor::node_config config;
  if (workers != 0) config.workers = workers;
  bitactor::node node(config);
  std::atomic<std::uint64_t> restarts{0};

  std::vector<pid> service_pids;
  for (std::size_t i = 0; i < services; ++i) {
    service_pids.push_back(node.spawn<restarter>(per_service, restarts));
    node.register_name("service_" + std::to_string(i), service_pids.back());
  }
  node.spawn<load_generator>(service_pids, burst);
  node.spawn<chaos>(service_pids, std::chrono::milliseconds(chaos_ms));

  std::printf("BitActor demo node %s: %zu workers, %zu services x %zu processes\n",
              node.name().c_str(), node.config().workers, services, per_service);
  bitactor::inbox clock(node);
  auto start = std::chrono::steady_clock::now();
  std::uint64_t last_messages = 0;
  const auto interval = 1000ms;
  for (double t = 0; t < seconds; t += 1.0) {
    node.send_after(clock.self(), interval, tick{});
    clock.receive<tick>(interval + 5s);  // paced by a node timer
    auto c = node.counters();
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "t=%5.1fs processes=%-8llu messages=%-10llu (%8.0f/s) restarts_by_monitor=%-6llu "
        "abnormal_exits=%llu\n",
        elapsed, static_cast<unsigned long long>(c.processes),
        static_cast<unsigned long long>(c.messages_sent),
        static_cast<double>(c.messages_sent - last_messages) / 1.0,
        static_cast<unsigned long long>(restarts.load()),
        static_cast<unsigned long long>(c.exited_abnormal));
    std::fflush(stdout);
    last_messages = c.messages_sent;
  }
  node.stop();
  auto c = node.counters();
  std::printf("stopped: %llu processes spawned, %llu exited, %llu restarts by monitor\n",
              static_cast<unsigned long long>(c.spawned), static_cast<unsigned long long>(c.exited),
              static_cast<unsigned long long>(restarts.load()));
  return 0;
}
