#pragma once
// What the distribution tests share: a private epmd on a free port, real erl nodes driven
// over a pipe (dist_peer.erl), and a raw peer that performs the handshake itself and then
// writes whatever bytes a test wants. Every wait is bounded.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bitactor/core/node_config.hpp>
#include <bitactor/dist/dist_config.hpp>
#include <bitactor/dist/internal/control.hpp>
#include <bitactor/dist/internal/handshake.hpp>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/print.hpp>
#include <bitactor/term/term.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/wait.hpp"

namespace bitactor::dist::testing {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using bitactor::test::eventually;

inline bool have_program(const char* name) {
  std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

/// A TCP port nobody listens on right now (bound to 0, read back, released).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// Connects to 127.0.0.1:port; -1 on failure.
inline int connect_local(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Waits until something listens on the port (bounded).
inline bool wait_listening(std::uint16_t port, std::chrono::milliseconds limit) {
  const auto deadline = steady::now() + limit;
  while (steady::now() < deadline) {
    int fd = connect_local(port);
    if (fd >= 0) {
      ::close(fd);
      return true;
    }
    pollfd none{};
    ::poll(&none, 0, 10);  // a connect refused at once: pace the retries
  }
  return false;
}

/// `epmd -port P -daemon`, killed at the end.
class private_epmd {
 public:
  private_epmd() : port_(free_port()) {
    std::string cmd = "epmd -port " + std::to_string(port_) + " -daemon";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot start " + cmd);
    if (!wait_listening(port_, 5s)) throw std::runtime_error("epmd does not listen");
  }
  ~private_epmd() { kill(port_); }
  static void kill(std::uint16_t port) {
    std::string cmd = "epmd -port " + std::to_string(port) + " -kill >/dev/null 2>&1";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
};

inline bool read_exact(int fd, std::uint8_t* p, std::size_t n, steady::time_point deadline) {
  while (n > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

inline bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

/// A real erl node running dist_peer: `-sname name`, or `-name name` when the host part of
/// `name` is a dotted address or domain (a long name).
class erl_node {
 public:
  erl_node(const std::string& name, const std::string& cookie, std::uint16_t epmd_port,
           const std::string& beam_dir, std::vector<std::string> extra = {}) {
    const auto at = name.find('@');
    const bool long_name = at != std::string::npos && name.find('.', at) != std::string::npos;
    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
    std::string epmd_env = std::to_string(epmd_port);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      setenv("ERL_EPMD_PORT", epmd_env.c_str(), 1);
      std::vector<std::string> args = {"erl", long_name ? "-name" : "-sname", name};
      for (const char* a :
           {"-setcookie", cookie.c_str(), "-hidden", "-noinput", "-pa", beam_dir.c_str()}) {
        args.emplace_back(a);
      }
      for (auto& e : extra) args.push_back(e);
      args.insert(args.end(), {"-s", "dist_peer", "main"});
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("erl", argv.data());
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_ = to_child[1];
    from_ = from_child[0];
    signal(SIGPIPE, SIG_IGN);
    auto ready = read_reply(steady::now() + 30s);
    if (!ready || !ready->is_tuple() || ready->size() != 3 || !(*ready)[0].is_atom("ready")) {
      throw std::runtime_error("erl " + name + " did not start");
    }
    name_ = std::string((*ready)[1].as_atom().name());
    inbox_ = (*ready)[2];
  }
  ~erl_node() {
    if (pid_ <= 0) return;
    close(to_);  // dist_peer halts on eof
    close(from_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  erl_node(const erl_node&) = delete;
  erl_node& operator=(const erl_node&) = delete;

  const std::string& name() const { return name_; }
  /// The pid of its registered `inbox` process.
  const term::term& inbox() const { return inbox_; }

  /// Sends a command and waits (bounded) for its answer.
  term::term call(const term::term& command, std::chrono::milliseconds limit = 20s) {
    auto body = term::encode(command);
    std::uint8_t head[4] = {
        static_cast<std::uint8_t>(body.size() >> 24), static_cast<std::uint8_t>(body.size() >> 16),
        static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
    if (!write_all(to_, head, 4) || !write_all(to_, body.data(), body.size())) {
      throw std::runtime_error("erl " + name_ + ": write failed");
    }
    auto r = read_reply(steady::now() + limit);
    if (!r) throw std::runtime_error("erl " + name_ + ": no answer to " + term::to_string(command));
    return *r;
  }
  /// The next message its inbox got, waiting up to `limit`; nullopt on timeout.
  std::optional<term::term> receive(std::chrono::milliseconds limit = 10s) {
    auto r = call(term::tuple(term::atom("recv"), term::term(limit.count())), limit + 10s);
    if (r.is_tuple() && r.size() == 2 && r[0].is_atom("got")) return r[1];
    return std::nullopt;
  }
  bool alive() {
    try {
      return call(term::atom("nodes"), 10s).is_list();
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  std::optional<term::term> read_reply(steady::time_point deadline) {
    std::uint8_t head[4];
    if (!read_exact(from_, head, 4, deadline)) return std::nullopt;
    std::size_t n = (std::size_t{head[0]} << 24) | (std::size_t{head[1]} << 16) |
                    (std::size_t{head[2]} << 8) | head[3];
    std::vector<std::uint8_t> body(n);
    if (!read_exact(from_, body.data(), n, deadline)) return std::nullopt;
    return term::binary_to_term(body);
  }

  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string name_;
  term::term inbox_;
};

/// A peer written with nothing but the handshake messages: it connects to a BitActor node,
/// completes the handshake (as initiator) and then sends raw bytes.
class raw_peer {
 public:
  raw_peer(std::uint16_t port, const std::string& name, const std::string& expect,
           const std::string& cookie, std::uint64_t flag_word) {
    fd_ = connect_local(port);
    if (fd_ < 0) throw std::runtime_error("raw_peer: cannot connect");
    try {
      handshake_as_initiator(name, expect, cookie, flag_word);
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
  ~raw_peer() { ::close(fd_); }
  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;

 private:
  void handshake_as_initiator(const std::string& name, const std::string& expect,
                              const std::string& cookie, std::uint64_t flag_word) {
    auto deadline = steady::now() + 10s;
    put(handshake::encode(handshake::send_name{flag_word, 77, name}));
    auto status = handshake::parse_status(get(deadline));
    if (!status || *status != "ok") throw std::runtime_error("raw_peer: status not ok");
    auto ch = handshake::parse_challenge(get(deadline));
    if (!ch || ch->name != expect) throw std::runtime_error("raw_peer: bad challenge");
    put(handshake::encode(
        handshake::challenge_reply{5, handshake::make_digest(ch->value, cookie)}));
    auto ack = handshake::parse_ack(get(deadline));
    if (!ack || !handshake::same_digest(*ack, handshake::make_digest(5, cookie))) {
      throw std::runtime_error("raw_peer: bad ack");
    }
  }

 public:
  bool write(const std::vector<std::uint8_t>& bytes) {
    return write_all(fd_, bytes.data(), bytes.size());
  }
  /// Reads frames until the peer closes (true) or `limit` passes (false). Counts ticks seen.
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = steady::now() + limit;
    while (true) {
      const read_result r = read_frame(deadline);
      if (r.how == read_result::closed) return true;
      if (r.how == read_result::timed_out) return false;
    }
  }
  int ticks() const { return ticks_; }
  /// Reads and drops whole frames while `keep_reading` holds (looked at between frames only, so
  /// a frame is never cut in two and the stream stays in step); false if the node closed.
  bool drain_while(const std::atomic<bool>& keep_reading) {
    while (keep_reading.load()) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      if (read_frame(steady::now() + 30s).how == read_result::closed) return false;
    }
    return true;
  }
  /// The next frame the node sends (ticks skipped), decoded; nullopt after `limit` or on close.
  /// The peer must not have asked for the distribution header or fragments (pass-through
  /// frames only).
  std::optional<control_frame> next_frame(std::chrono::milliseconds limit) {
    const read_result r = read_frame(steady::now() + limit);
    if (r.how != read_result::frame) return std::nullopt;
    std::string why;
    return decode_frame(r.body, why);
  }

 private:
  struct read_result {
    enum { frame, closed, timed_out } how = timed_out;
    std::vector<std::uint8_t> body{};
  };
  /// The next frame's payload, ticks counted and skipped; `closed` when the node closed the
  /// connection (also mid-frame), `timed_out` when `deadline` passed first.
  read_result read_frame(steady::time_point deadline) {
    while (true) {
      std::uint8_t head[4];
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
      if (left.count() <= 0) return {};
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return {};
      if (::read(fd_, head, 1) <= 0) return {read_result::closed};
      auto cut = [&] {
        return read_result{steady::now() < deadline ? read_result::closed : read_result::timed_out};
      };
      if (!read_exact(fd_, head + 1, 3, deadline)) return cut();
      std::size_t n = (std::size_t{head[0]} << 24) | (std::size_t{head[1]} << 16) |
                      (std::size_t{head[2]} << 8) | head[3];
      if (n == 0) {
        ++ticks_;
        continue;
      }
      std::vector<std::uint8_t> body(n);
      if (!read_exact(fd_, body.data(), n, deadline)) return cut();
      return {read_result::frame, std::move(body)};
    }
  }
  void put(const std::vector<std::uint8_t>& b) {
    if (!write_all(fd_, b.data(), b.size())) throw std::runtime_error("raw_peer: write");
  }
  std::vector<std::uint8_t> get(steady::time_point deadline) {
    std::uint8_t head[2];
    if (!read_exact(fd_, head, 2, deadline)) throw std::runtime_error("raw_peer: read");
    std::vector<std::uint8_t> body((std::size_t{head[0]} << 8) | head[1]);
    if (!read_exact(fd_, body.data(), body.size(), deadline))
      throw std::runtime_error("raw_peer: read");
    return body;
  }
  int fd_ = -1;
  int ticks_ = 0;
};

#ifdef DIST_PEER_BEAM_DIR
/// A test suite with its own epmd (on a free port) and one erl node running dist_peer.erl,
/// started once for the suite: `class my_suite : public erl_peer_suite<my_suite>` with
/// `static constexpr const char* peer_name = "x@localhost";` and `cookie`. Its cases fail
/// (not skip) without erl.
template <class Suite>
class erl_peer_suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_program("erl") || !have_program("epmd")) return;
    epmd_ = std::make_unique<private_epmd>();
    erl_ = std::make_unique<erl_node>(Suite::peer_name, Suite::cookie, epmd_->port(),
                                      DIST_PEER_BEAM_DIR, Suite::extra_erl_args());
  }
  static void TearDownTestSuite() {
    erl_.reset();
    epmd_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(have_program("erl")) << "erl is required for the distribution tests";
    ASSERT_TRUE(epmd_ && erl_) << "the private epmd or the erl peer did not start";
  }
  /// A node of two workers, which the suites' cases use.
  static node_config two_workers() {
    node_config n;
    n.workers = 2;
    return n;
  }
  /// More arguments for erl (a suite hides this to add its own).
  static std::vector<std::string> extra_erl_args() { return {}; }
  /// A config for a BitActor node `alive@localhost` in this suite's cluster.
  static dist_config config_for(const std::string& alive) {
    dist_config c;
    c.name = alive + "@localhost";
    c.cookie = Suite::cookie;
    c.epmd_port = epmd_->port();
    return c;
  }

  static inline std::unique_ptr<private_epmd> epmd_;
  static inline std::unique_ptr<erl_node> erl_;
};
#endif

}  // namespace bitactor::dist::testing
