#include "bitactor/resilience/chaos.hpp"

#include <algorithm>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

const char* to_string(fault_kind k) noexcept {
  switch (k) {
    case fault_kind::kill:
      return "kill";
    case fault_kind::exit:
      return "exit";
    case fault_kind::flood:
      return "flood";
    case fault_kind::cpu_hog:
      return "cpu_hog";
    case fault_kind::memory_hog:
      return "memory_hog";
  }
  return "unknown";
}

std::string to_string(const chaos_fault& f) {
  std::string s =
      std::to_string(f.at.count()) + " ms " + to_string(f.kind) + " " + f.target.to_string();
  if (f.target_name) s += " (" + *f.target_name + ")";
  return s;
}

std::size_t chaos_report::count(fault_kind k) const noexcept {
  return static_cast<std::size_t>(std::count_if(faults.begin(), faults.end(),
                                                [k](const chaos_fault& f) { return f.kind == k; }));
}

namespace detail {

// What the monkey's process and its owner share.
struct chaos_state {
  chaos_state(node& on, chaos_config c) : n(on), config(std::move(c)) {}

  node& n;
  const chaos_config config;

  // Held while a fault is injected, so that once stop() returns none starts.
  mutable std::mutex lock;
  mutable std::condition_variable changed;
  bool stopped = false;
  chaos_report report;

  void finish() {
    std::lock_guard guard(lock);
    stopped = true;
    if (!report.finished_at) report.finished_at = n.now();
    changed.notify_all();
  }
};

}  // namespace detail

namespace {

struct chaos_tick {};
struct hog_start {};
struct hog_release {};

// Takes a scheduler worker away for `spin`: its one handler does not return until then.
// Wall-clock time, not the node's: a spin on virtual time would never end.
class cpu_hog : public actor {
 public:
  explicit cpu_hog(std::chrono::milliseconds spin) : spin_(spin) {}
  void on_start() override { send(self(), hog_start{}); }
  void handle(message&) override {
    const auto until = std::chrono::steady_clock::now() + spin_;
    volatile std::uint64_t sink = 0;
    while (std::chrono::steady_clock::now() < until) sink = sink + 1;
    exit(exit_reason::normal());
  }

 private:
  std::chrono::milliseconds spin_;
};

// Holds `bytes` of touched memory for `hold`, then ends and gives them back.
class memory_hog : public actor {
 public:
  memory_hog(std::size_t bytes, std::chrono::milliseconds hold) : bytes_(bytes), hold_(hold) {}
  void on_start() override {
    held_ = std::make_unique<unsigned char[]>(bytes_);
    std::memset(held_.get(), 0xA5, bytes_);  // touched, so resident, not just reserved
    this_node().send_after(self(), hold_, hog_release{});
  }
  void handle(message& m) override {
    if (m.is<hog_release>()) exit(exit_reason::normal());
  }

 private:
  std::size_t bytes_;
  std::chrono::milliseconds hold_;
  std::unique_ptr<unsigned char[]> held_;
};

class chaos_server : public otp::gen_server {
 public:
  explicit chaos_server(std::shared_ptr<detail::chaos_state> s)
      : state_(std::move(s)), rng_(state_->report.seed) {}

 protected:
  void init() override {
    {
      std::lock_guard guard(state_->lock);
      state_->report.started_at = this_node().now();
    }
    arm();
  }

  void handle_info(message& m) override {
    if (m.is<chaos_tick>()) tick();
  }

 private:
  void arm() { this_node().send_after(self(), state_->config.interval, chaos_tick{}); }

  bool over() const {
    const chaos_config& c = state_->config;
    std::lock_guard guard(state_->lock);
    return state_->stopped || state_->report.faults.size() >= c.max_faults ||
           this_node().now() - state_->report.started_at >= c.duration;
  }

  void tick() {
    if (over()) {
      state_->finish();
      exit(exit_reason::normal());
    }
    strike();
  }

  // Finds the candidates afresh (the tree changes as it heals), then injects one fault.
  otp::async strike() {
    std::vector<pid> candidates;
    for (const pid& p : state_->config.processes) {
      if (this_node().is_alive(p)) candidates.push_back(p);
    }
    for (const pid& root : state_->config.supervisors) co_await collect(root, candidates);
    std::erase_if(candidates, [this](const pid& p) {
      const auto& spared = state_->config.spared;
      return std::find(spared.begin(), spared.end(), p) != spared.end();
    });
    inject(pick_kind(), candidates);
    arm();
  }

  // The running children under `sup`, depth first in which_children's order.
  otp::async collect(pid sup, std::vector<pid>& into) {
    auto children = co_await otp::which_children(*this, sup, std::chrono::seconds(5));
    if (!children) co_return;  // the supervisor is down or restarting: nothing under it now
    for (const otp::child_info& c : *children) {
      if (c.status != otp::child_status::running || !c.process) continue;
      if (c.kind == otp::child_kind::supervisor) {
        if (state_->config.strike_supervisors) into.push_back(c.process);
        co_await collect(c.process, into);
      } else {
        into.push_back(c.process);
      }
    }
  }

  fault_kind pick_kind() {
    const fault_mix& m = state_->config.mix;
    const std::pair<fault_kind, unsigned> weights[] = {{fault_kind::kill, m.kill},
                                                       {fault_kind::exit, m.exit},
                                                       {fault_kind::flood, m.flood},
                                                       {fault_kind::cpu_hog, m.cpu_hog},
                                                       {fault_kind::memory_hog, m.memory_hog}};
    unsigned total = 0;
    for (const auto& w : weights) total += w.second;
    unsigned roll = std::uniform_int_distribution<unsigned>(0, total - 1)(rng_);
    for (const auto& w : weights) {
      if (roll < w.second) return w.first;
      roll -= w.second;
    }
    return fault_kind::kill;  // not reached: the weights sum to total
  }

  void inject(fault_kind kind, const std::vector<pid>& candidates) {
    const chaos_config& c = state_->config;
    const bool needs_target =
        kind == fault_kind::kill || kind == fault_kind::exit || kind == fault_kind::flood;
    pid target;
    if (needs_target && !candidates.empty()) {
      target =
          candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng_)];
    }
    std::unique_lock guard(state_->lock);
    if (state_->stopped) return;
    if (needs_target && !target) {
      ++state_->report.idle_ticks;
      return;
    }
    chaos_fault f{.kind = kind, .at = this_node().now(), .target = target, .target_name = {}};
    if (target) {
      if (auto info = this_node().info(target)) f.target_name = info->registered_name;
    }
    switch (kind) {
      case fault_kind::kill:
        this_node().exit(target, exit_reason::kill());
        break;
      case fault_kind::exit:
        this_node().exit(target, c.exit_with);
        break;
      case fault_kind::flood:
        for (std::size_t i = 0; i < c.flood_messages; ++i) {
          this_node().send(target, chaos_flood{i});
        }
        break;
      case fault_kind::cpu_hog:
        f.target = this_node().spawn<cpu_hog>(c.hog_for);
        break;
      case fault_kind::memory_hog:
        f.target = this_node().spawn<memory_hog>(c.memory_hog_bytes, c.hog_for);
        break;
    }
    state_->report.faults.push_back(f);
    guard.unlock();
    emit_with([&] {
      return event{.name = {"bitactor", "chaos", "fault"},
                   .measurements = {{"at_ms", static_cast<double>(f.at.count())}},
                   .metadata = {{"kind", to_string(f.kind)},
                                {"target", f.target.to_string()},
                                {"name", f.target_name.value_or("")}}};
    });
  }

  std::shared_ptr<detail::chaos_state> state_;
  std::mt19937_64 rng_;
};

}  // namespace

chaos_monkey::chaos_monkey(node& n, chaos_config config) : node_(n) {
  if (config.interval.count() <= 0) {
    throw std::invalid_argument("chaos_monkey: interval must be positive");
  }
  const fault_mix& m = config.mix;
  if (m.kill + m.exit + m.flood + m.cpu_hog + m.memory_hog == 0) {
    throw std::invalid_argument("chaos_monkey: every fault kind has weight 0");
  }
  const bool targeted = m.kill + m.exit + m.flood > 0;
  if (targeted && config.supervisors.empty() && config.processes.empty()) {
    throw std::invalid_argument("chaos_monkey: no supervisors and no processes to strike");
  }
  state_ = std::make_shared<detail::chaos_state>(n, std::move(config));
  state_->report.seed = state_->config.seed != 0 ? state_->config.seed : std::random_device{}();
  otp::start_result r = otp::start<chaos_server>(n, {}, state_);
  if (!r.ok()) throw std::runtime_error("chaos_monkey: process did not start: " + r.to_string());
  process_ = r.process;
}

chaos_monkey::~chaos_monkey() {
  stop();
  if (node_.is_alive(process_)) node_.exit(process_, exit_reason::shutdown());
}

void chaos_monkey::stop() { state_->finish(); }

bool chaos_monkey::finished() const {
  std::lock_guard guard(state_->lock);
  return state_->stopped;
}

bool chaos_monkey::wait_until_finished(std::chrono::milliseconds timeout) const {
  std::unique_lock guard(state_->lock);
  return state_->changed.wait_for(guard, timeout, [&] { return state_->stopped; });
}

chaos_report chaos_monkey::report() const {
  std::lock_guard guard(state_->lock);
  return state_->report;
}

}  // namespace bitactor::resilience
