// The crash harness's child OS process (crash_harness_test.cpp drives it): opens the journal,
// checks what it recovers, then appends under load until it is killed.
//
//   persist_crash_child <directory | conninfo> <rocksdb | postgres/SCHEMA> <accounts> <next...>
//   persist_crash_child <directory | conninfo> <rocksdb | postgres/SCHEMA> workflow
//
// It starts one event-sourced account per index (ids "acct-0", ...); each account's events
// are deposits of 1, 2, 3, ...: the amount is the command's number, so the journal of an
// account must read 1..m exactly (no gap, no duplicate). It first reads each journal back and
// prints `recovered <i> <m>` (or `bad <i> <why>` and exits 2), then one client thread per
// account sends keyed deposits numbered from next[i] (the first one the parent has not seen
// acknowledged; earlier unacknowledged ones may have been applied, and the key makes their
// retry a no-op) and prints `ack <i> <j>` after each reply. stdout is the pipe to the parent:
// a line is written with one write(2), so a kill never tears one.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "account.hpp"
#include "bitactor/otp/report.hpp"
#include "bitactor/otp/supervisor.hpp"
#include "bitactor/persist/postgres/postgres_storage.hpp"
#include "bitactor/persist/rocksdb_storage.hpp"
#include "bitactor/persist/workflow.hpp"

using namespace bitactor;
using namespace bitactor::persist;
using namespace std::chrono_literals;

namespace {

void say(const std::string& line) {
  std::string out = line + "\n";
  if (::write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(3);
}

std::unique_ptr<storage> open_storage(const std::string& where, const std::string& backend) {
  if (backend.rfind("postgres/", 0) == 0) {  // postgres/<schema>
    postgres_options o;
    o.connection = where;
    o.schema = backend.substr(9);
    return std::make_unique<postgres_storage>(o);
  }
  return std::make_unique<rocksdb_storage>(where);
}

// The journal of account `i` must be deposits 1..m in order, m at least the highest sequence
// read before the events. (Not equal to it: PostgreSQL may still commit the killed run's last
// write after its client died, so events may appear between the two reads, never vanish.)
bool check_journal(storage& store, int i, std::uint64_t& m) {
  std::string id = "acct-" + std::to_string(i);
  const std::uint64_t highest = store.highest_sequence(id);
  auto events = store.read_events(id, 1);
  for (std::size_t k = 0; k < events.size(); ++k) {
    auto e = decode<testing::account_event>(events[k].bytes);
    auto* d = std::get_if<testing::deposited>(&e);
    if (events[k].sequence != k + 1 || d == nullptr ||
        d->amount != static_cast<std::int64_t>(k + 1)) {
      say("bad " + std::to_string(i) + " event " + std::to_string(events[k].sequence) +
          " holds deposit " + (d ? std::to_string(d->amount) : "?"));
      return false;
    }
  }
  if (events.size() < highest) {
    say("bad " + std::to_string(i) + " highest sequence " + std::to_string(highest) + " but only " +
        std::to_string(events.size()) + " events read");
    return false;
  }
  m = events.size();
  return true;
}

// The five-step workflow (three parallel steps, then two sequential ones), each step a keyed
// deposit of its own amount into a ledger account; prints `did <step>` after each effect and
// `done <ledger events> <balance>` once the workflow completed.
int run_workflow(storage& store) {
  node_config cfg;
  cfg.workers = 2;
  cfg.blocking_threads = 4;
  node n(cfg);
  persistence p(store);
  persistent_options ledger;
  ledger.persistence_id = "ledger";
  if (!otp::start<testing::account>(n, {.name = "ledger"}, std::ref(p), ledger).ok()) return 2;
  auto step = [&n](std::int64_t amount) {
    return [&n, amount](const step_context& ctx) {
      keyed<testing::deposit> d{ctx.key(), {amount}};
      std::int64_t balance = otp::call(n, "ledger", std::move(d), std::chrono::seconds(30));
      say("did " + ctx.step);
      return std::to_string(balance);
    };
  };
  workflow_spec spec{
      .id = "five",
      .stages = {
          {{"a", step(1)}, {"b", step(2)}, {"c", step(4)}}, {{"d", step(8)}}, {{"e", step(16)}}}};
  auto wf = otp::start<workflow>(n, {}, std::ref(p), spec);
  if (!wf.ok()) return 2;
  auto results = otp::call(n, wf.process, await_workflow{}, std::chrono::seconds(60));
  std::int64_t balance = otp::call(n, "ledger", testing::balance{});
  say("done " + std::to_string(results.size()) + " " +
      std::to_string(store.highest_sequence("ledger")) + " " + std::to_string(balance));
  n.stop();
  return 0;
}

// Deposits `j` into the account registered as `name`, retrying with the same key once the
// supervisor has restarted the account; gives up (the parent sees the child exit) after 30 s.
void deposit_with_retries(node& n, const std::string& name, std::int64_t j) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    const std::optional<pid> called = n.whereis(name);
    try {
      otp::call(n, name, keyed<testing::deposit>{std::to_string(j), {j}}, 30s);
      return;
    } catch (const otp::call_error& e) {
      std::fprintf(stderr, "crash_child: %s deposit %lld: %s; retrying\n", name.c_str(),
                   static_cast<long long>(j), e.what());
      // The next incarnation registers the name again.
      for (;;) {
        if (std::chrono::steady_clock::now() > give_up) {
          say("bad - " + name + " deposit " + std::to_string(j) + ": " + e.what());
          std::_Exit(2);
        }
        auto now = n.whereis(name);
        if (now && now != called) break;
        std::this_thread::yield();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Its stderr is the test's: crash reports and errors show there, progress reports would
  // bury them (hundreds of starts per run).
  otp::set_default_sink_level(otp::report_level::warning);
  if (argc == 4 && std::string(argv[3]) == "workflow") {
    try {
      auto store = open_storage(argv[1], argv[2]);
      return run_workflow(*store);
    } catch (const std::exception& e) {
      say(std::string("bad - ") + e.what());
      return 2;
    }
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s <where> <rocksdb|postgres/SCHEMA> <accounts> <next...>\n",
                 argv[0]);
    return 1;
  }
  std::string where = argv[1];
  std::string backend = argv[2];
  int accounts = std::stoi(argv[3]);
  if (argc != 4 + accounts) {
    std::fprintf(stderr, "%s: one next number per account\n", argv[0]);
    return 1;
  }
  try {
    auto store = open_storage(where, backend);
    for (int i = 0; i < accounts; ++i) {
      std::uint64_t m = 0;
      if (!check_journal(*store, i, m)) return 2;
      say("recovered " + std::to_string(i) + " " + std::to_string(m));
    }
    node_config cfg;
    cfg.workers = 2;
    node n(cfg);
    persistence p(*store);
    // The accounts run supervised, as an application would run them: a write from the killed
    // run that its PostgreSQL backend commits after this run recovered makes the account's
    // next write conflict; the account then fails with persist_failed, its restart recovers
    // that late event, and the client's retry (same key) gets its first result back.
    otp::supervisor_spec spec{
        .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 100, .period = 10s},
        .children = {}};
    for (int i = 0; i < accounts; ++i) {
      persistent_options o;
      o.persistence_id = "acct-" + std::to_string(i);
      o.snapshot_every = 64;  // recovery from snapshots is exercised too
      spec.children.push_back(
          otp::child_spec::worker<testing::account>(o.persistence_id, std::ref(p), o)
              .registered_as(o.persistence_id));
    }
    auto sup = otp::start_supervisor(n, spec);
    if (!sup.ok()) {
      say("bad - start: " + sup.to_string());
      return 2;
    }
    say("started");
    std::vector<std::thread> clients;
    for (int i = 0; i < accounts; ++i) {
      std::int64_t next = std::stoll(argv[4 + i]);
      clients.emplace_back([&n, i, next] {
        const std::string name = "acct-" + std::to_string(i);
        for (std::int64_t j = next;; ++j) {
          deposit_with_retries(n, name, j);
          say("ack " + std::to_string(i) + " " + std::to_string(j));
        }
      });
    }
    for (auto& c : clients) c.join();  // until killed
  } catch (const std::exception& e) {
    say(std::string("bad - ") + e.what());
    return 2;
  }
  return 0;
}
