// The journal on RocksDB: persisted events/s and append latency for W concurrent writers (each
// a thread that appends one event to its own persistence id and waits for the completion, as a
// persistent process waits before it replies), and the raw RocksDB floor it is measured
// against: a loop of WriteBatch writes with sync=true.
//
//   persist_bench journal mode=<sync|group|async> writers=W events=N dir=<scratch directory>
//   persist_bench journal backend=postgres connection=<libpq string> mode=... writers=W events=N
//   persist_bench rocksdb_raw batch=B events=N dir=<scratch directory>
//   persist_bench processes mode=... processes=P events=N [backend=postgres connection=...]
//
// `processes` measures the same through the behaviour: P event_sourced processes, each called
// by a client thread that persists one event per call and waits for the reply (which leaves
// once the event is durable).
//
// The scratch directory is emptied first and removed at the end.

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
  std::exception_ptr failed;
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
        journal.write(std::move(b), mode, [&wait](std::exception_ptr failed) {
          std::lock_guard lock(wait.mutex);
          wait.finished = true;
          wait.failed = failed;
          wait.done.notify_one();
        });
        std::unique_lock lock(wait.mutex);
        wait.done.wait(lock, [&] { return wait.finished; });
        if (wait.failed) std::rethrow_exception(wait.failed);
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
class appender : public persist::event_sourced<std::uint64_t, std::string> {
 public:
  appender(persist::persistence& p, persist::persistent_options o)
      : event_sourced(p, std::move(o)) {}

 protected:
  void apply(const std::string&) override { ++state(); }
  void handle_command(persist::command_context& c) override {
    c.match([&](append_one&) {
      persist(payload);
      return state();
    });
  }
};

void processes_workload(const bench::arguments& args, const std::string& dir) {
  const std::string mode_name = args.text("mode", "group");
  const auto processes = static_cast<std::size_t>(args.integer("processes", 16));
  const auto events = static_cast<std::size_t>(args.integer("events", 20000));
  const std::size_t per_process = std::max<std::size_t>(1, events / processes);
  std::unique_ptr<persist::storage> store = open_backend(args, dir);
  bitactor::node node;
  persist::persistence persistence(*store);
  std::vector<bitactor::pid> pids;
  for (std::size_t i = 0; i < processes; ++i) {
    persist::persistent_options o;
    o.persistence_id = "process-" + std::to_string(i);
    o.mode = mode_named(mode_name);
    auto r = bitactor::otp::start<appender>(node, {}, std::ref(persistence), o);
    if (!r.ok()) throw std::runtime_error("start: " + r.to_string());
    pids.push_back(r.process);
  }
  std::vector<std::vector<std::int64_t>> samples(processes);
  auto t0 = bench::clock_type::now();
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < processes; ++i) {
    clients.emplace_back([&, i] {
      samples[i].reserve(per_process);
      for (std::size_t k = 0; k < per_process; ++k) {
        auto start = bench::clock_type::now();
        bitactor::otp::call(node, pids[i], append_one{}, std::chrono::seconds(60));
        samples[i].push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - start)
                .count());
      }
    });
  }
  for (auto& t : clients) t.join();
  const double seconds = bench::seconds_since(t0);
  node.stop();
  bench::report r("persist_processes", "bitactor", 1);
  r.add("backend", args.text("backend", "rocksdb")).add("mode", mode_name);
  r.add("processes", static_cast<double>(processes));
  add_rate_and_latency(r, samples, seconds);
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: persist_bench journal|processes|rocksdb_raw key=value ...\n");
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
