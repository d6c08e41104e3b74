// End to end: a real Prometheus, started on a free port with a generated prometheus.yml that
// carries the bearer token, scrapes a real http_server; the test asks Prometheus's HTTP API
// until the samples appear. Each query waits for the next scrape to reach the server (a
// collector signals it), so nothing sleeps; all of it is bounded. Skipped where
// /usr/bin/prometheus is absent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bitactor/telemetry/http_server.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "http_client.hpp"

extern char** environ;

namespace telemetry = bitactor::telemetry;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
constexpr const char* prometheus_binary = "/usr/bin/prometheus";

/// A port free now (bound, read, released): Prometheus binds it next.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at);
  socklen_t len = sizeof at;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&at), &len);
  ::close(fd);
  return ntohs(at.sin_port);
}

/// Counts the scrapes that reach the server, and lets the test wait for the next one.
class scrape_counter {
 public:
  void saw_one() {
    {
      std::lock_guard<std::mutex> g(lock_);
      ++count_;
    }
    changed_.notify_all();
  }
  int count() {
    std::lock_guard<std::mutex> g(lock_);
    return count_;
  }
  /// Whether the count passed `seen` within `limit`.
  bool wait_past(int seen, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> g(lock_);
    return changed_.wait_for(g, limit, [&] { return count_ > seen; });
  }

 private:
  std::mutex lock_;
  std::condition_variable changed_;
  int count_ = 0;
};

/// A Prometheus process in a temporary directory of its own, killed and removed at scope end.
class prometheus_process {
 public:
  prometheus_process(std::uint16_t target_port, const std::string& token) {
    dir_ = fs::temp_directory_path() / ("bitactor-prometheus-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "prometheus.yml") << "global:\n"
                                              "  scrape_interval: 1s\n"
                                              "  scrape_timeout: 1s\n"
                                              "scrape_configs:\n"
                                              "  - job_name: bitactor\n"
                                              "    authorization:\n"
                                              "      credentials: "
                                           << token
                                           << "\n"
                                              "    static_configs:\n"
                                              "      - targets: ['127.0.0.1:"
                                           << target_port << "']\n";
    port_ = free_port();
    const std::vector<std::string> args = {
        prometheus_binary,
        "--config.file=" + (dir_ / "prometheus.yml").string(),
        "--storage.tsdb.path=" + (dir_ / "data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(port_),
    };
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    const std::string log = (dir_ / "prometheus.log").string();
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    if (::posix_spawn(&pid_, prometheus_binary, &files, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&files);
  }
  ~prometheus_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  prometheus_process(const prometheus_process&) = delete;
  prometheus_process& operator=(const prometheus_process&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() {
    int status = 0;
    return pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  std::uint16_t port() const { return port_; }
  std::string log() const {
    std::ifstream in(dir_ / "prometheus.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

/// The value of the one sample an instant query returns; nullopt while there is none.
std::optional<std::string> query_value(std::uint16_t port, const std::string& query) {
  telemetry::test::client_connection c(port);
  if (!c.connected()) return std::nullopt;
  const auto r = c.get("/api/v1/query?query=" + query);
  if (!r || r->status != 200) return std::nullopt;
  const auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (body.is_discarded() || body.value("status", "") != "success") return std::nullopt;
  const auto& result = body["data"]["result"];
  if (!result.is_array() || result.size() != 1) return std::nullopt;
  return result[0]["value"][1].get<std::string>();
}
}  // namespace

TEST(telemetry_prometheus_scrape, a_real_prometheus_scrapes_the_endpoint_with_the_token) {
  ASSERT_EQ(::access(prometheus_binary, X_OK), 0)
      << prometheus_binary << " is required (Debian's prometheus package: scripts/install-deps)";
  telemetry::registry metrics;
  telemetry::health checks;
  scrape_counter scrapes;
  metrics.add_collector([&](std::vector<telemetry::family_sample>&) { scrapes.saw_one(); });
  metrics.add_counter_family("bitactor_e2e_requests_total", "Requests seen by the test.", {"kind"})
      .labels({"probe"})
      .inc(42);
  telemetry::http_server server(metrics, checks, {.print_token = false});

  prometheus_process prometheus(server.port(), server.token());
  ASSERT_TRUE(prometheus.started());

  // `up` is 1 only once a scrape succeeded, so with the token; then our own sample.
  const std::vector<std::pair<std::string, std::string>> wanted = {
      {"up%7Bjob%3D%22bitactor%22%7D", "1"},  // up{job="bitactor"}
      {"bitactor_e2e_requests_total%7Bkind%3D%22probe%22%7D", "42"},
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::size_t next = 0;
  while (next < wanted.size()) {
    const int seen = scrapes.count();
    const auto value = query_value(prometheus.port(), wanted[next].first);
    if (value) {
      EXPECT_EQ(*value, wanted[next].second) << wanted[next].first;
      ++next;
      continue;
    }
    ASSERT_TRUE(prometheus.running()) << "prometheus exited:\n" << prometheus.log();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ASSERT_GT(left.count(), 0) << "no sample of " << wanted[next].first << " within 60 s ("
                               << scrapes.count() << " scrapes reached the server)\n"
                               << prometheus.log();
    // The next scrape, or at most a second (Prometheus still starting, its API not up yet).
    scrapes.wait_past(seen, std::min(left, std::chrono::milliseconds(1000)));
  }
  EXPECT_GE(scrapes.count(), 1);
}
