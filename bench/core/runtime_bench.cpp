// The runtime's own numbers (issue: core runtime): spawn rate and bytes per idle process,
// single-worker ping-pong, and a 1000-process ring. Prints one `bench=` line per measurement.
//
//   runtime_bench [spawn N] [pingpong ROUNDTRIPS] [ring HOPS]   (default: all, full sizes)

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using bitactor::actor;
using bitactor::message;
using bitactor::pid;

namespace {

using clock_type = std::chrono::steady_clock;

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

struct stop_msg {};
struct done {};

class idle_process : public actor {
 public:
  void handle(message& m) override {
    if (m.is<stop_msg>()) exit(bitactor::exit_reason::normal());
  }
};

void bench_spawn(std::size_t n, std::size_t workers) {
  bitactor::node_config c;
  c.workers = workers;
  bitactor::node node(c);
  bitactor::inbox box(node);
  std::vector<pid> pids;
  pids.reserve(n);
  std::size_t rss_before = rss_bytes();
  auto t0 = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) pids.push_back(node.spawn<idle_process>());
  double spawn_s = seconds_since(t0);
  // Wait until every first turn has run (all processes idle), then measure memory.
  node.send_after(box.self(), 1ms, done{});
  box.receive<done>(60s);
  std::size_t rss_after = rss_bytes();
  double bytes = static_cast<double>(rss_after - rss_before - pids.capacity() * sizeof(pid)) /
                 static_cast<double>(n);
  auto t1 = clock_type::now();
  for (const pid& p : pids) node.send(p, stop_msg{});
  node.stop();
  double stop_s = seconds_since(t1);
  std::printf(
      "bench=spawn impl=bitactor workers=%zu n=%zu seconds=%.3f spawns_per_s=%.0f "
      "bytes_per_process=%.0f stop_seconds=%.3f\n",
      workers, n, spawn_s, static_cast<double>(n) / spawn_s, bytes, stop_s);
}

struct ball {
  pid from;
  std::uint64_t left;
};

void bench_pingpong(std::uint64_t round_trips, std::size_t workers) {
  bitactor::node_config c;
  c.workers = workers;
  bitactor::node node(c);
  bitactor::inbox box(node);
  auto player = [to = box.self()](actor& self, message& m) {
    if (auto* b = m.get_if<ball>()) {
      if (b->left == 0) {
        self.send(to, done{});
      } else {
        self.send(b->from, ball{self.self(), b->left - 1});
      }
    }
  };
  pid a = node.spawn(player);
  pid b = node.spawn(player);
  auto t0 = clock_type::now();
  node.send(a, ball{b, round_trips * 2});
  box.receive<done>(300s);
  double s = seconds_since(t0);
  std::printf(
      "bench=ping_pong impl=bitactor workers=%zu round_trips=%llu seconds=%.3f "
      "msgs_per_s=%.0f\n",
      workers, static_cast<unsigned long long>(round_trips), s,
      static_cast<double>(round_trips * 2) / s);
}

struct token {
  std::uint64_t left;
};

class ring_member : public actor {
 public:
  ring_member(pid reporter) : reporter_(reporter) {}
  void handle(message& m) override {
    if (auto* t = m.get_if<token>()) {
      if (t->left == 0) {
        send(reporter_, done{});
      } else {
        send(next_, token{t->left - 1});
      }
    } else if (auto* p = m.get_if<pid>()) {
      next_ = *p;
    }
  }

 private:
  pid reporter_;
  pid next_;
};

void bench_ring(std::size_t size, std::uint64_t hops, std::size_t workers) {
  bitactor::node_config c;
  c.workers = workers;
  bitactor::node node(c);
  bitactor::inbox box(node);
  std::vector<pid> ring;
  for (std::size_t i = 0; i < size; ++i) ring.push_back(node.spawn<ring_member>(box.self()));
  for (std::size_t i = 0; i < size; ++i) node.send(ring[i], ring[(i + 1) % size]);
  auto t0 = clock_type::now();
  node.send(ring[0], token{hops});
  box.receive<done>(300s);
  double s = seconds_since(t0);
  std::printf(
      "bench=ring impl=bitactor workers=%zu processes=%zu hops=%llu seconds=%.3f "
      "hops_per_s=%.0f\n",
      workers, size, static_cast<unsigned long long>(hops), s, static_cast<double>(hops) / s);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t workers = bitactor::node_config::default_workers();
  if (const char* w = std::getenv("BITACTOR_WORKERS")) workers = std::strtoul(w, nullptr, 10);
  bool all = argc == 1;
  for (int i = 1; i + 1 < argc || all; i += 2) {
    std::string what = all ? "" : argv[i];
    std::uint64_t size = all ? 0 : std::strtoull(argv[i + 1], nullptr, 10);
    if (all || what == "spawn") bench_spawn(all ? 1'000'000 : size, workers);
    if (all || what == "pingpong") bench_pingpong(all ? 2'000'000 : size, 1);
    if (all || what == "ring") bench_ring(1000, all ? 10'000'000 : size, 1);
    if (all) break;
  }
  return 0;
}
