// Tutorial 3 (docs/tutorials/telecom_tree.md): a three-tier supervision tree in the telecom
// style, under load and chaos.
//
//   telecom (one_for_one)
//   ├── voice (rest_for_one) ── voice_db, voice_dispatcher, voice_workers (simple_one_for_one)
//   ├── sms   (rest_for_one) ── sms_db,   sms_dispatcher,   sms_workers
//   └── data  (rest_for_one) ── data_db,  data_dispatcher,  data_workers
//
// Load: the main thread casts requests to each service's dispatcher, which hands them to its
// workers round-robin; a worker handles a request and records it in the service's db. Chaos:
// a process kills a random worker every few milliseconds, and now and then a dispatcher.
// Supervisors restart what died: a worker alone (its simple_one_for_one supervisor), a
// dispatcher together with the workers started after it (rest_for_one). Once a second the
// program prints messages/s, processes and restarts.
//
//   telecom_tree --seconds 3 --workers 50
#include <CLI/CLI.hpp>
#include <atomic>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <chrono>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace otp = bitactor::otp;
using bitactor::message;
using bitactor::pid;
using namespace std::chrono_literals;

const std::vector<std::string> services = {"voice", "sms", "data"};

struct request {
  std::uint64_t id;
};
struct handled {
  std::uint64_t id;
};
struct worker_up {
  pid worker;
};
struct fill_pool {};
struct db_count {
  using reply = std::uint64_t;
};

// --- tier 3: a worker (one of many, started dynamically) ------------------------------------

// [worker]
class worker : public otp::gen_server {
 public:
  explicit worker(std::string service) : service_(std::move(service)) {}

 protected:
  // Announces itself to the dispatcher, which monitors it: a restarted worker rejoins.
  void init() override { cast(service_ + "_dispatcher", worker_up{self()}); }
  void handle_cast(message& m) override {
    if (auto* r = m.get_if<request>()) cast(service_ + "_db", handled{r->id});
  }

 private:
  std::string service_;
};
// [worker]

// --- tier 2: the service's db and dispatcher ---------------------------------------------------

class db : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match([&](db_count&) { return count_; });
  }
  void handle_cast(message& m) override {
    if (m.is<handled>()) ++count_;
  }

 private:
  std::uint64_t count_ = 0;
};

class dispatcher : public otp::gen_server {
 public:
  dispatcher(std::string service, std::size_t pool) : service_(std::move(service)), pool_(pool) {}

 protected:
  // [dispatcher-workers]
  // The workers' supervisor starts after the dispatcher (rest_for_one order), so the pool is
  // filled from a timer once it exists, and topped up the same way.
  void init() override { send_after(self(), 10ms, fill_pool{}); }
  void handle_cast(message& m) override {
    if (auto* up = m.get_if<worker_up>()) {
      monitor(up->worker);
      workers_.push_back(up->worker);
    } else if (auto* r = m.get_if<request>()) {
      if (workers_.empty()) return;  // no worker yet: the request is dropped (load shedding)
      next_ = (next_ + 1) % workers_.size();
      cast(workers_[next_], *r);
    }
  }
  void handle_info(message& m) override {
    if (auto* d = m.get_if<bitactor::down_msg>()) {
      std::erase(workers_, d->process);
    } else if (m.is<fill_pool>()) {
      fill();
    }
  }
  // [dispatcher-workers]

 private:
  // [fill]
  // Tops the pool up with start_child on the simple_one_for_one workers' supervisor. The
  // dispatcher waits for each start in this coroutine without holding a thread.
  otp::async fill() {
    auto sup = whereis(service_ + "_workers");
    if (sup && workers_.size() < pool_) {
      std::size_t missing = pool_ - workers_.size();
      for (std::size_t i = 0; i < missing; ++i) {
        otp::start_fn as_template;  // empty: the template's own start (start_child(Sup, []))
        otp::supervisor_result<otp::started_child> started =
            co_await otp::start_child(*this, *sup, as_template);
        if (!started) break;  // the workers' supervisor is going down: the next fill tops up
      }
    }
    send_after(self(), 200ms, fill_pool{});
  }
  // [fill]

  std::string service_;
  std::size_t pool_;
  std::vector<pid> workers_;
  std::size_t next_ = 0;
};

// --- chaos ----------------------------------------------------------------------------------

struct strike {};

class chaos : public otp::gen_server {
 public:
  chaos(std::chrono::milliseconds every, std::uint64_t seed) : every_(every), rng_(seed) {}

 protected:
  void init() override { send_after(self(), every_, strike{}); }
  void handle_info(message& m) override {
    if (m.is<strike>()) hit();
  }

 private:
  // [hit]
  otp::async hit() {
    const std::string& service = services[rng_() % services.size()];
    if (rng_() % 50 == 0) {
      // Now and then a dispatcher: rest_for_one restarts it and the workers after it.
      if (auto d = whereis(service + "_dispatcher")) exit(*d, bitactor::exit_reason::kill());
    } else if (auto sup = whereis(service + "_workers")) {
      // A supervisor that went down meanwhile answers call_failed: nothing to kill this time.
      otp::supervisor_result<std::vector<otp::child_info>> children =
          co_await otp::which_children(*this, *sup);
      if (children && !children->empty()) {
        const otp::child_info& victim = (*children)[rng_() % children->size()];
        if (victim.status == otp::child_status::running) {
          exit(victim.process, bitactor::exit_reason::kill());
        }
      }
    }
    send_after(self(), every_, strike{});
  }
  // [hit]
  std::chrono::milliseconds every_;
  std::mt19937_64 rng_;
};

// --- the tree ---------------------------------------------------------------------------------

// [service]
otp::supervisor_spec service_spec(const std::string& name, std::size_t pool) {
  otp::supervisor_spec workers;
  workers.flags = {
      .strategy = otp::restart_strategy::simple_one_for_one, .intensity = 100000, .period = 1s};
  workers.children.push_back(otp::child_spec::worker<worker>("worker", name));

  // Start order is dependency order: db, then the dispatcher, then the workers.
  otp::supervisor_spec s;
  s.flags = {.strategy = otp::restart_strategy::rest_for_one, .intensity = 100, .period = 1s};
  s.children.push_back(otp::child_spec::worker<db>("db").registered_as(name + "_db"));
  s.children.push_back(otp::child_spec::worker<dispatcher>("dispatcher", name, pool)
                           .registered_as(name + "_dispatcher"));
  s.children.push_back(
      otp::child_spec::supervisor("workers", workers).registered_as(name + "_workers"));
  return s;
}
// [service]

int main(int argc, char** argv) {
  double seconds = 3;
  std::size_t pool = 50;
  int chaos_ms = 5;
  CLI::App app{"A telecom-style supervision tree under load and chaos"};
  app.add_option("--seconds", seconds, "How long to run")->check(CLI::PositiveNumber);
  app.add_option("--workers", pool, "Workers per service")->check(CLI::Range(1, 100000));
  app.add_option("--chaos-ms", chaos_ms, "Milliseconds between kills")->check(CLI::Range(1, 60000));
  CLI11_PARSE(app, argc, argv);

  // [restarts]
  // Count restarts from the supervisor reports, and keep the reports off the console.
  std::atomic<std::uint64_t> restarts{0};
  otp::add_report_sink([&restarts](const otp::report& r) {
    if (r.type == otp::report::kind::supervisor && r.find("action")->is_atom("restarting")) {
      ++restarts;
    }
  });
  otp::set_default_sink_level(otp::report_level::none);
  // [restarts]

  bitactor::node_config config;
  config.workers = 2;
  bitactor::node node(config);

  // [top]
  otp::supervisor_spec top;
  top.flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 10, .period = 1s};
  for (const auto& s : services) {
    top.children.push_back(otp::child_spec::supervisor(s, service_spec(s, pool)));
  }
  top.children.push_back(otp::child_spec::worker<chaos>(
      "chaos", std::chrono::milliseconds(chaos_ms), std::uint64_t{42}));
  auto sup = otp::start_supervisor(node, top, "telecom");
  // [top]
  if (!sup.ok()) {
    std::cerr << "telecom did not start: " << sup.to_string() << "\n";
    return 1;
  }

  // Load: bursts of requests to every dispatcher, paced by the clock.
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto next_report = start + 1s;
  std::uint64_t id = 0;
  std::uint64_t last_messages = node.counters().messages_sent;
  auto last_time = start;
  while (std::chrono::steady_clock::now() < end) {
    for (const auto& s : services) {
      auto d = node.whereis(s + "_dispatcher");
      if (!d) continue;  // restarting
      for (int i = 0; i < 200; ++i) otp::cast(node, *d, request{++id});
    }
    std::this_thread::sleep_for(2ms);  // the pace of the load, not a synchronisation
    auto now = std::chrono::steady_clock::now();
    if (now >= next_report || now >= end) {
      next_report += 1s;
      auto c = node.counters();
      double dt = std::chrono::duration<double>(now - last_time).count();
      std::cout << "messages/s "
                << static_cast<std::uint64_t>((c.messages_sent - last_messages) / dt)
                << "  processes " << c.processes << "  restarts " << restarts.load() << "\n";
      last_messages = c.messages_sent;
      last_time = now;
    }
  }
  std::uint64_t total = 0;
  for (const auto& s : services) {
    if (auto d = node.whereis(s + "_db")) total += otp::call(node, *d, db_count{});
  }
  bool alive = node.is_alive(sup.process);
  std::cout << "requests sent " << id << ", handled " << total << ", restarts " << restarts.load()
            << ", tree " << (alive ? "up" : "DOWN") << "\n";
  node.stop();
  return alive ? 0 : 1;
}
