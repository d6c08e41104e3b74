#pragma once
// What the C++ benchmark programs (bench/bitactor, bench/peers/caf) share, so that both
// measure the same way: key=value arguments, the clock, the process's resident memory and CPU
// time from /proc, latency percentiles, and the one output line per result:
//
//   bench=<workload> impl=<impl> workers=<n> <key>=<value> ...
//
// The Erlang peer (bench/peers/erlang/otp_bench.erl) does the same in Erlang.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Arguments after the workload name: key=value pairs.
class arguments {
 public:
  arguments(int argc, char** argv, int first) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      auto eq = a.find('=');
      if (eq != std::string::npos) values_[a.substr(0, eq)] = a.substr(eq + 1);
    }
  }
  std::int64_t integer(const std::string& key, std::int64_t fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : std::strtoll(it->second.c_str(), nullptr, 10);
  }
  std::string text(const std::string& key, std::string fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }

 private:
  std::map<std::string, std::string> values_;
};

/// Resident set size of this process in bytes (/proc/self/statm).
inline std::int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

/// The most resident memory this process has held, in bytes (VmHWM of /proc/self/status).
inline std::int64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

/// User + system CPU time of the whole process (every thread), from /proc/self/stat.
inline double cpu_seconds() {
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream rest(all.substr(all.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 1; i <= 13 && rest >> field; ++i) {
    if (i == 12) utime = std::atoll(field.c_str());
    if (i == 13) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// The q-quantile (nearest rank) of samples, which it sorts.
inline double percentile(std::vector<std::int64_t>& samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  rank = std::clamp<std::size_t>(rank, 1, samples.size());
  return static_cast<double>(samples[rank - 1]);
}

/// One result line; values are printed as given (numbers with up to 3 decimals).
class report {
 public:
  report(std::string workload, std::string impl, std::size_t workers) {
    line_ = "bench=" + workload + " impl=" + impl + " workers=" + std::to_string(workers);
  }
  report& add(const std::string& key, double value) {
    char buf[64];
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
      std::snprintf(buf, sizeof buf, "%.0f", value);
    } else {
      std::snprintf(buf, sizeof buf, "%.3f", value);
    }
    line_ += " " + key + "=" + buf;
    return *this;
  }
  report& add(const std::string& key, const std::string& value) {
    line_ += " " + key + "=" + value;
    return *this;
  }
  report& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  ~report() {
    std::printf("%s\n", line_.c_str());
    std::fflush(stdout);
  }

 private:
  std::string line_;
};

/// Adds seconds, mean and the percentiles of per-call samples in nanoseconds.
inline void add_latency(report& r, std::vector<std::int64_t>& samples_ns, double seconds) {
  double sum = 0;
  for (auto s : samples_ns) sum += static_cast<double>(s);
  auto n = static_cast<double>(samples_ns.size());
  r.add("seconds", seconds)
      .add("calls_per_s", n / seconds)
      .add("mean_us", sum / n / 1000.0)
      .add("p50_us", percentile(samples_ns, 0.50) / 1000.0)
      .add("p99_us", percentile(samples_ns, 0.99) / 1000.0)
      .add("p999_us", percentile(samples_ns, 0.999) / 1000.0);
}

/// The dist_connect figures from per-connection samples in nanoseconds: the first connection
/// (the first contact with the peer) apart, then the median and the worst of all of them.
inline void add_connect_times(report& r, std::vector<std::int64_t>& samples_ns) {
  const double first = samples_ns.empty() ? 0 : static_cast<double>(samples_ns.front());
  r.add("connects", static_cast<double>(samples_ns.size()))
      .add("first_ms", first / 1e6)
      .add("p50_ms", percentile(samples_ns, 0.50) / 1e6)
      .add("max_ms", percentile(samples_ns, 1.0) / 1e6);
}

}  // namespace bench
