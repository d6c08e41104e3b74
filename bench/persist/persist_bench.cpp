// The journal on RocksDB: persisted events/s and append latency for W concurrent writers (each
// a thread that appends one event to its own persistence id and waits for the completion, as a
// persistent process waits before it replies), and the raw RocksDB floor it is measured
// against: a loop of WriteBatch writes with sync=true.
//
//   persist_bench journal mode=<sync|group|async> writers=W events=N dir=<scratch directory>
//   persist_bench journal backend=postgres connection=<libpq string> mode=... writers=W events=N
//   persist_bench rocksdb_raw batch=B events=N dir=<scratch directory>
//   persist_bench postgres_raw batch=B events=N connection=<libpq string>
//   persist_bench processes mode=... processes=P events=N [clients=process|thread]
//                           [backend=postgres connection=...]
//   persist_bench recovery events=N snapshot=<0|1> [backend=postgres connection=...]
//
// `processes` measures the same through the behaviour: P event_sourced processes, each called
// by a client that persists one event per call and waits for the reply (which leaves once the
// event is durable). The clients are processes on the same node (the default: how a system
// built on the runtime calls its persistent processes) or OS threads calling from outside.
//
// `recovery` stores N events of one persistence id (and, with snapshot=1, a snapshot after the
// last one), then times the start of its event_sourced process: the start returns once the
// state is rebuilt.
//
// `postgres_raw` is PostgreSQL's floor: transactions of B single-row INSERTs into a table of
// the journal's shape, each committed with synchronous_commit=on, over one connection.
//
// The scratch directory is emptied first and removed at the end.

#include <libpq-fe.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <bitactor/persist/event_sourced.hpp>
#include <bitactor/persist/journal.hpp>
#include <bitactor/persist/postgres/postgres_storage.hpp>
#include <bitactor/persist/rocksdb_storage.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "measure.hpp"

namespace persist = bitactor::persist;
namespace fs = std::filesystem;

namespace {

const std::string payload(64, 'x');  // one event: an encoded term of a typical command's size

persist::durability mode_named(const std::string& name) {
  if (name == "sync") return persist::durability::sync;
  if (name == "group") return persist::durability::group;
  if (name == "async") return persist::durability::async;
  throw std::invalid_argument("mode must be sync, group or async, not " + name);
}

// PostgreSQL: a schema of this run's own, so that runs never see each other's events.
std::unique_ptr<persist::storage> open_backend(const bench::arguments& args,
                                               const std::string& dir) {
  const std::string backend = args.text("backend", "rocksdb");
  if (backend == "rocksdb") return std::make_unique<persist::rocksdb_storage>(dir);
  if (backend == "postgres") {
    persist::postgres_options o;
    o.connection = args.text("connection", "");
    o.schema = "bench_" + std::to_string(::getpid());
    o.pool_size = 1;  // the journal is the one writer
    return std::make_unique<persist::postgres_storage>(o);
  }
  throw std::invalid_argument("backend must be rocksdb or postgres, not " + backend);
}

// Events, events/s and the append latency's p50/p99 from each writer's samples (ns).
void add_rate_and_latency(bench::report& r, const std::vector<std::vector<std::int64_t>>& samples,
                          double seconds) {
  std::vector<std::int64_t> all;
  for (const auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  const auto n = static_cast<double>(all.size());
  r.add("events", n).add("seconds", seconds).add("events_per_s", n / seconds);
  r.add("p50_us", bench::percentile(all, 0.50) / 1000.0);
  r.add("p99_us", bench::percentile(all, 0.99) / 1000.0);
}

// One writer's wait for its completion.
struct waiter {
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  std::optional<persist::storage_failure> failed;
};

void journal_workload(const bench::arguments& args, const std::string& dir) {
  const std::string mode_name = args.text("mode", "group");
  const auto mode = mode_named(mode_name);
  const auto writers = static_cast<std::size_t>(args.integer("writers", 16));
  const auto events = static_cast<std::size_t>(args.integer("events", 20000));
  const std::size_t per_writer = std::max<std::size_t>(1, events / writers);

  const std::string backend = args.text("backend", "rocksdb");
  std::unique_ptr<persist::storage> owned = open_backend(args, dir);
  persist::storage& store = *owned;
  persist::journal journal(store);
  std::vector<std::vector<std::int64_t>> samples(writers);
  auto t0 = bench::clock_type::now();
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      const std::string id = "writer-" + std::to_string(w);
      waiter wait;
      samples[w].reserve(per_writer);
      for (std::size_t i = 1; i <= per_writer; ++i) {
        persist::write_batch b;
        b.appends.push_back({id, i, {payload}, std::nullopt});
        auto start = bench::clock_type::now();
        {
          std::lock_guard lock(wait.mutex);
          wait.finished = false;
        }
        journal.write(std::move(b), mode, [&wait](std::optional<persist::storage_failure> failed) {
          std::lock_guard lock(wait.mutex);
          wait.finished = true;
          wait.failed = failed;
          wait.done.notify_one();
        });
        std::unique_lock lock(wait.mutex);
        wait.done.wait(lock, [&] { return wait.finished; });
        if (wait.failed) throw std::runtime_error(wait.failed->what);
        samples[w].push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - start)
                .count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = bench::seconds_since(t0);
  bench::report r("persist_journal", "bitactor", 1);
  r.add("backend", backend).add("mode", mode_name).add("writers", static_cast<double>(writers));
  add_rate_and_latency(r, samples, seconds);
}

// The persistent process of the `processes` workload: each call persists one event.
struct append_one {
  using reply = std::uint64_t;  // events persisted so far
};
struct count_events {
  using reply = std::uint64_t;
};
class appender : public persist::event_sourced<std::uint64_t, std::string> {
 public:
  appender(persist::persistence& p, persist::persistent_options o)
      : event_sourced(p, std::move(o)) {}

 protected:
  void apply(const std::string&) override { ++state(); }
  void handle_command(persist::command_context& c) override {
    c.match(
        [&](append_one&) {
          persist(payload);
          return state();
        },
        [&](count_events&) { return state(); });
  }
};

// A client process of the `processes` workload: calls its target `calls` times, one call at a
// time, keeping each call's latency, then counts itself done.
struct drive {};
class client : public bitactor::otp::gen_server {
 public:
  struct done_count {
    std::mutex mutex;
    std::condition_variable all_done;
    std::size_t remaining = 0;
  };
  client(bitactor::pid target, std::size_t calls, std::vector<std::int64_t>& samples,
         done_count& done)
      : target_(target), calls_(calls), samples_(samples), done_(done) {}

 protected:
  void handle_cast(bitactor::message& m) override {
    if (m.is<drive>()) run();
  }

 private:
  bitactor::otp::async run() {
    samples_.reserve(calls_);
    for (std::size_t k = 0; k < calls_; ++k) {
      auto start = bench::clock_type::now();
      co_await call(target_, append_one{}, std::chrono::seconds(60));
      samples_.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - start)
              .count());
    }
    std::lock_guard lock(done_.mutex);
    if (--done_.remaining == 0) done_.all_done.notify_one();
  }
  bitactor::pid target_;
  std::size_t calls_;
  std::vector<std::int64_t>& samples_;
  done_count& done_;
};

std::vector<bitactor::pid> start_appenders(bitactor::node& node, persist::persistence& p,
                                           std::size_t count, persist::durability mode) {
  std::vector<bitactor::pid> pids;
  for (std::size_t i = 0; i < count; ++i) {
    persist::persistent_options o;
    o.persistence_id = "process-" + std::to_string(i);
    o.mode = mode;
    auto r = bitactor::otp::start<appender>(node, {}, std::ref(p), o);
    if (!r.ok()) throw std::runtime_error("start: " + r.to_string());
    pids.push_back(r.process);
  }
  return pids;
}

// Every target called `per_target` times by a client process of its own; returns the seconds.
double call_from_processes(bitactor::node& node, const std::vector<bitactor::pid>& targets,
                           std::size_t per_target,
                           std::vector<std::vector<std::int64_t>>& samples) {
  client::done_count done;
  done.remaining = targets.size();
  std::vector<bitactor::pid> clients;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto r = bitactor::otp::start<client>(node, {}, targets[i], per_target, std::ref(samples[i]),
                                          std::ref(done));
    if (!r.ok()) throw std::runtime_error("client start: " + r.to_string());
    clients.push_back(r.process);
  }
  auto t0 = bench::clock_type::now();
  for (const auto& c : clients) bitactor::otp::cast(node, c, drive{});
  std::unique_lock lock(done.mutex);
  done.all_done.wait(lock, [&] { return done.remaining == 0; });
  return bench::seconds_since(t0);
}

// Every target called `per_target` times by an OS thread of its own; returns the seconds.
double call_from_threads(bitactor::node& node, const std::vector<bitactor::pid>& targets,
                         std::size_t per_target, std::vector<std::vector<std::int64_t>>& samples) {
  auto t0 = bench::clock_type::now();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] {
      samples[i].reserve(per_target);
      for (std::size_t k = 0; k < per_target; ++k) {
        auto start = bench::clock_type::now();
        bitactor::otp::call(node, targets[i], append_one{}, std::chrono::seconds(60));
        samples[i].push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - start)
                .count());
      }
    });
  }
  for (auto& t : threads) t.join();
  return bench::seconds_since(t0);
}

void processes_workload(const bench::arguments& args, const std::string& dir) {
  const std::string mode_name = args.text("mode", "group");
  const std::string clients = args.text("clients", "process");
  if (clients != "process" && clients != "thread") {
    throw std::invalid_argument("clients must be process or thread, not " + clients);
  }
  const auto processes = static_cast<std::size_t>(args.integer("processes", 16));
  const auto events = static_cast<std::size_t>(args.integer("events", 20000));
  const std::size_t per_process = std::max<std::size_t>(1, events / processes);
  std::unique_ptr<persist::storage> store = open_backend(args, dir);
  bitactor::node node;
  persist::persistence persistence(*store);
  auto pids = start_appenders(node, persistence, processes, mode_named(mode_name));
  std::vector<std::vector<std::int64_t>> samples(processes);
  const double seconds = clients == "process"
                             ? call_from_processes(node, pids, per_process, samples)
                             : call_from_threads(node, pids, per_process, samples);
  node.stop();
  bench::report r("persist_processes", "bitactor", 1);
  r.add("backend", args.text("backend", "rocksdb")).add("mode", mode_name);
  r.add("clients", clients).add("processes", static_cast<double>(processes));
  add_rate_and_latency(r, samples, seconds);
}

// Stores `events` events of one persistence id in batches, and a snapshot after the last one
// when asked; the snapshot holds the appender's state (the count of events).
void store_history(persist::storage& store, const std::string& id, std::uint64_t events,
                   bool snapshot) {
  constexpr std::uint64_t batch_size = 10000;
  for (std::uint64_t first = 1; first <= events; first += batch_size) {
    persist::write_batch b;
    b.appends.push_back({id, first, {}, std::nullopt});
    const std::uint64_t last = std::min(events, first + batch_size - 1);
    b.appends.back().events.assign(static_cast<std::size_t>(last - first + 1),
                                   persist::encode(payload));
    store.write(b, false);
  }
  persist::write_batch last;
  if (snapshot) last.snapshots.push_back({id, {events, persist::encode(events)}});
  store.write(last, true);
}

void recovery_workload(const bench::arguments& args, const std::string& dir) {
  const auto events = static_cast<std::uint64_t>(args.integer("events", 1000000));
  const bool snapshot = args.integer("snapshot", 0) != 0;
  std::unique_ptr<persist::storage> store = open_backend(args, dir);
  const std::string id = "recovered";
  store_history(*store, id, events, snapshot);
  bitactor::node node;
  persist::persistence persistence(*store);
  persist::persistent_options o;
  o.persistence_id = id;
  o.recovery_timeout = std::chrono::minutes(10);
  auto t0 = bench::clock_type::now();
  auto r = bitactor::otp::start<appender>(node, {}, std::ref(persistence), o);
  const double seconds = bench::seconds_since(t0);
  if (!r.ok()) throw std::runtime_error("start: " + r.to_string());
  const auto count = bitactor::otp::call(node, r.process, count_events{});
  if (count != events) {
    throw std::runtime_error("recovered " + std::to_string(count) + " events, not " +
                             std::to_string(events));
  }
  node.stop();
  bench::report rep("persist_recovery", "bitactor", 1);
  rep.add("backend", args.text("backend", "rocksdb")).add("snapshot", snapshot ? 1.0 : 0.0);
  rep.add("events", static_cast<double>(events));
  rep.add("replayed", snapshot ? 0.0 : static_cast<double>(events));
  rep.add("recovery_seconds", seconds);
}

void rocksdb_raw_workload(const bench::arguments& args, const std::string& dir) {
  const auto batch = static_cast<std::size_t>(args.integer("batch", 256));
  const auto events = static_cast<std::size_t>(args.integer("events", 20000));
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, dir, &raw);
  if (!s.ok()) throw std::runtime_error("rocksdb open: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  std::size_t written = 0;
  auto t0 = bench::clock_type::now();
  while (written < events) {
    rocksdb::WriteBatch wb;
    for (std::size_t i = 0; i < batch; ++i, ++written) {
      s = wb.Put("e" + std::to_string(written), payload);
      if (!s.ok()) throw std::runtime_error("rocksdb put: " + s.ToString());
    }
    s = db->Write(wo, &wb);
    if (!s.ok()) throw std::runtime_error("rocksdb write: " + s.ToString());
  }
  const double seconds = bench::seconds_since(t0);
  bench::report r("persist_rocksdb_raw", "rocksdb", 1);
  r.add("batch", static_cast<double>(batch)).add("events", static_cast<double>(written));
  r.add("seconds", seconds).add("events_per_s", static_cast<double>(written) / seconds);
}

// One statement on a raw connection; throws with the server's message unless it succeeds.
void exec_or_throw(PGconn* c, const char* sql, int params = 0,
                   const char* const* values = nullptr) {
  PGresult* r = PQexecParams(c, sql, params, nullptr, values, nullptr, nullptr, 0);
  const auto status = PQresultStatus(r);
  std::string message = PQresultErrorMessage(r);
  PQclear(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(std::string("postgres: ") + sql + ": " + message);
  }
}

void postgres_raw_workload(const bench::arguments& args) {
  const auto batch = static_cast<std::size_t>(args.integer("batch", 1));
  const auto events = static_cast<std::size_t>(args.integer("events", 2000));
  std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(args.text("connection", "").c_str()),
                                                 &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("postgres: ") + PQerrorMessage(c.get()));
  }
  const std::string table = "bench_raw_" + std::to_string(::getpid());
  exec_or_throw(c.get(), ("CREATE TABLE " + table +
                          " (persistence_id bytea, sequence bigint, bytes bytea, crc bigint,"
                          " PRIMARY KEY (persistence_id, sequence))")
                             .c_str());
  exec_or_throw(c.get(), "SET synchronous_commit TO on");
  const std::string insert =
      "INSERT INTO " + table + " VALUES ('raw'::bytea, $1::int8, $2::bytea, 0)";
  std::size_t written = 0;
  auto t0 = bench::clock_type::now();
  while (written < events) {
    exec_or_throw(c.get(), "BEGIN");
    for (std::size_t i = 0; i < batch; ++i, ++written) {
      const std::string seq = std::to_string(written + 1);
      const char* values[] = {seq.c_str(), payload.c_str()};
      exec_or_throw(c.get(), insert.c_str(), 2, values);
    }
    exec_or_throw(c.get(), "COMMIT");
  }
  const double seconds = bench::seconds_since(t0);
  exec_or_throw(c.get(), ("DROP TABLE " + table).c_str());
  bench::report r("persist_postgres_raw", "postgres", 1);
  r.add("batch", static_cast<double>(batch)).add("events", static_cast<double>(written));
  r.add("seconds", seconds).add("events_per_s", static_cast<double>(written) / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: persist_bench journal|processes|recovery|rocksdb_raw|postgres_raw key=value ...\n");
    return 2;
  }
  const std::string workload = argv[1];
  const bench::arguments args(argc, argv, 2);
  const std::string dir = args.text("dir", (fs::temp_directory_path() / "persist_bench").string());
  fs::remove_all(dir);
  try {
    if (workload == "journal") {
      journal_workload(args, dir);
    } else if (workload == "processes") {
      processes_workload(args, dir);
    } else if (workload == "recovery") {
      recovery_workload(args, dir);
    } else if (workload == "postgres_raw") {
      postgres_raw_workload(args);
    } else if (workload == "rocksdb_raw") {
      rocksdb_raw_workload(args, dir);
    } else {
      std::fprintf(stderr, "persist_bench: unknown workload %s\n", workload.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "persist_bench: %s\n", e.what());
    fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  return 0;
}
