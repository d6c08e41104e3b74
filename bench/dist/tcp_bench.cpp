// The floor of the dist_* workloads (bench/run, bench/dist/dist_suite.py): the same four
// measurements over a bare TCP connection on loopback between two OS processes, with blocking
// sockets, TCP_NODELAY, one thread per side and no runtime, no encoding, no framing beyond a
// 4-byte length. Nothing that carries messages between nodes can be faster than this.
//
//   tcp_bench server workers=N                        prints `ready peer=<port>`, then serves
//   tcp_bench client <workload> workers=N peer=<port> [key=value ...]
//
// Each connection starts with a 16-byte header (mode, size, count). mode echo: the server
// echoes 8-byte messages until the client closes (ping-pong, call, connect); mode stream: the
// server reads `count` frames of a 4-byte length and `size` bytes and answers with the
// nanoseconds it took from the header (the client's figure runs from its first write to that
// answer, as the runtimes' do). `workers` is only echoed into the
// result line, so the floor lands on the same row as the runtimes it is the floor of.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "measure.hpp"

namespace {

enum class mode : std::uint32_t { echo = 1, stream = 2 };

struct header {
  std::uint32_t kind = 0;
  std::uint32_t size = 0;
  std::uint64_t count = 0;
};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

bool read_all(int fd, void* p, std::size_t n) {
  auto* b = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = ::read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    b += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void write_all(int fd, const void* p, std::size_t n) {
  const auto* b = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("write");
    b += w;
    n -= static_cast<std::size_t>(w);
  }
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void serve(int fd) {
  no_delay(fd);
  header h;
  if (!read_all(fd, &h, sizeof h)) return;
  if (h.kind == static_cast<std::uint32_t>(mode::echo)) {
    std::uint64_t v = 0;
    while (read_all(fd, &v, sizeof v)) write_all(fd, &v, sizeof v);
    return;
  }
  auto t0 = bench::clock_type::now();
  std::vector<char> buf(h.size);
  for (std::uint64_t i = 0; i < h.count; ++i) {
    std::uint32_t len = 0;
    if (!read_all(fd, &len, sizeof len) || len != h.size || !read_all(fd, buf.data(), len)) return;
  }
  auto ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - t0).count());
  write_all(fd, &ns, sizeof ns);
  char eof = 0;
  [[maybe_unused]] bool more = read_all(fd, &eof, 1);  // until the client closes
}

int run_server() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("bind");
  if (::listen(fd, 16) != 0) fail("listen");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::printf("ready peer=%u\n", ntohs(a.sin_port));
  std::fflush(stdout);
  for (;;) {  // one client at a time; the harness ends the server with SIGTERM
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) {
      if (errno == EINTR) continue;
      fail("accept");
    }
    serve(c);
    ::close(c);
  }
}

int open_connection(std::uint16_t port, mode m, std::uint32_t size, std::uint64_t count) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("connect");
  no_delay(fd);
  header h{static_cast<std::uint32_t>(m), size, count};
  write_all(fd, &h, sizeof h);
  return fd;
}

void round_trip(int fd, std::uint64_t v) {
  write_all(fd, &v, sizeof v);
  if (!read_all(fd, &v, sizeof v)) throw std::runtime_error("the server closed the connection");
}

std::int64_t ns_since(bench::clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(bench::clock_type::now() - t0)
      .count();
}

// dist_ping_pong and dist_call: the same 8-byte round trip; ping-pong reports the rate, call
// the percentiles of each one.
void bench_round_trips(const std::string& workload, const bench::arguments& args, int port) {
  const bool call = workload == "dist_call";
  const auto n = args.integer(call ? "calls" : "round_trips", 100'000);
  const auto warmup = std::max<std::int64_t>(1, n / 100);
  int fd = open_connection(static_cast<std::uint16_t>(port), mode::echo, 0, 0);
  for (std::int64_t i = 0; i < warmup; ++i) round_trip(fd, static_cast<std::uint64_t>(i));
  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(n));
  auto t0 = bench::clock_type::now();
  for (std::int64_t i = 0; i < n; ++i) {
    auto sent = bench::clock_type::now();
    round_trip(fd, static_cast<std::uint64_t>(i));
    if (call) samples.push_back(ns_since(sent));
  }
  const double s = bench::seconds_since(t0);
  ::close(fd);
  bench::report r(workload, args.text("impl", "tcp"), args.integer("workers", 1));
  if (call) {
    r.add("via", args.text("via", "pid")).add("calls", static_cast<double>(n));
    bench::add_latency(r, samples, s);
  } else {
    r.add("round_trips", static_cast<double>(n))
        .add("seconds", s)
        .add("round_trips_per_s", static_cast<double>(n) / s);
  }
}

void bench_stream(const bench::arguments& args, int port) {
  const auto size = static_cast<std::uint32_t>(args.integer("size", 100));
  const auto n = args.integer("messages", 100'000);
  int fd = open_connection(static_cast<std::uint16_t>(port), mode::stream, size,
                           static_cast<std::uint64_t>(n));
  std::vector<char> frame(sizeof(std::uint32_t) + size, 'x');
  std::memcpy(frame.data(), &size, sizeof size);
  auto t0 = bench::clock_type::now();
  for (std::int64_t i = 0; i < n; ++i) write_all(fd, frame.data(), frame.size());
  const double sent = bench::seconds_since(t0);
  std::uint64_t ns = 0;
  if (!read_all(fd, &ns, sizeof ns)) throw std::runtime_error("no stream result");
  const double s = bench::seconds_since(t0);
  ::close(fd);
  bench::report("dist_stream", args.text("impl", "tcp"), args.integer("workers", 1))
      .add("size", static_cast<double>(size))
      .add("messages", static_cast<double>(n))
      .add("seconds", s)
      .add("msgs_per_s", static_cast<double>(n) / s)
      .add("mb_per_s", static_cast<double>(n) * size / s / 1e6)
      .add("send_seconds", sent)
      .add("receiver_seconds", static_cast<double>(ns) / 1e9)
      .add("sender_peak_rss_mb", static_cast<double>(bench::peak_rss_bytes()) / 1e6);
}

// A fresh connection and one round trip on it, as a first ping is for the runtimes.
void bench_connect(const bench::arguments& args, int port) {
  const auto n = args.integer("connects", 50);
  std::vector<std::int64_t> samples;
  for (std::int64_t i = 0; i < n; ++i) {
    auto t0 = bench::clock_type::now();
    int fd = open_connection(static_cast<std::uint16_t>(port), mode::echo, 0, 0);
    round_trip(fd, 1);
    samples.push_back(ns_since(t0));
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bench::report r("dist_connect", args.text("impl", "tcp"), args.integer("workers", 1));
  bench::add_connect_times(r, samples);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: tcp_bench server | tcp_bench client <workload> peer=PORT key=value...\n");
    return 2;
  }
  const std::string role = argv[1];
  ::signal(SIGPIPE, SIG_IGN);
  if (role == "server") {
    try {
      return run_server();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tcp_bench server: %s\n", e.what());
      return 1;
    }
  }
  const std::string workload = argc > 2 ? argv[2] : "";
  bench::arguments args(argc, argv, 3);
  try {
    const auto port = static_cast<int>(args.integer("peer", 0));
    if (workload == "dist_ping_pong" || workload == "dist_call")
      bench_round_trips(workload, args, port);
    else if (workload == "dist_stream")
      bench_stream(args, port);
    else if (workload == "dist_connect")
      bench_connect(args, port);
    else
      throw std::runtime_error("unknown workload " + workload);
  } catch (const std::exception& e) {
    std::string reason = e.what();  // one token of the result line
    std::replace(reason.begin(), reason.end(), ' ', '_');
    std::printf("bench=%s impl=%s workers=%lld status=failed reason=%s\n", workload.c_str(),
                args.text("impl", "tcp").c_str(),
                static_cast<long long>(args.integer("workers", 1)), reason.c_str());
    return 1;
  }
  return 0;
}
