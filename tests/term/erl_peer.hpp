// One long-lived `erl` process per test suite, spoken to over stdin/stdout with 4-byte length
// prefixed frames (term_peer.erl). Starting erl costs about a second, so suites share one.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bitactor::term::testing {

class erl_peer {
 public:
  /// Starts erl with term_peer loaded from `beam_dir`; ok() is false if erl is missing.
  explicit erl_peer(const std::string& beam_dir) {
    if (std::system("command -v erl >/dev/null 2>&1") != 0) return;
    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      execlp("erl", "erl", "-noinput", "-pa", beam_dir.c_str(), "-s", "term_peer", "main",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_ = to_child[1];
    from_ = from_child[0];
    signal(SIGPIPE, SIG_IGN);
  }
  erl_peer(const erl_peer&) = delete;
  erl_peer& operator=(const erl_peer&) = delete;
  ~erl_peer() {
    if (pid_ <= 0) return;
    close(to_);  // erl sees eof and halts
    close(from_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

  [[nodiscard]] bool ok() const { return pid_ > 0; }

  /// Sends <<op, payload>> and returns the reply body, or nullopt when erl raised (the error
  /// text is then in last_error()).
  std::optional<std::vector<std::uint8_t>> call(std::uint8_t op,
                                                std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> frame(5 + payload.size());
    std::uint32_t n = static_cast<std::uint32_t>(payload.size() + 1);
    frame[0] = static_cast<std::uint8_t>(n >> 24);
    frame[1] = static_cast<std::uint8_t>(n >> 16);
    frame[2] = static_cast<std::uint8_t>(n >> 8);
    frame[3] = static_cast<std::uint8_t>(n);
    frame[4] = op;
    std::copy(payload.begin(), payload.end(), frame.begin() + 5);
    if (!write_all(frame.data(), frame.size())) throw std::runtime_error("erl peer: write failed");
    std::uint8_t hdr[4];
    if (!read_all(hdr, 4)) throw std::runtime_error("erl peer: erl exited");
    std::size_t len = (std::size_t{hdr[0]} << 24) | (std::size_t{hdr[1]} << 16) |
                      (std::size_t{hdr[2]} << 8) | hdr[3];
    std::vector<std::uint8_t> reply(len);
    if (!read_all(reply.data(), len) || len == 0) throw std::runtime_error("erl peer: short read");
    std::uint8_t status = reply[0];
    reply.erase(reply.begin());
    if (status != 0) {
      last_error_.assign(reply.begin(), reply.end());
      return std::nullopt;
    }
    return reply;
  }

  [[nodiscard]] const std::string& last_error() const { return last_error_; }

 private:
  bool write_all(const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      ssize_t w = ::write(to_, p, n);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }
  bool read_all(std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      ssize_t r = ::read(from_, p, n);
      if (r <= 0) return false;
      p += r;
      n -= static_cast<std::size_t>(r);
    }
    return true;
  }

  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string last_error_;
};

}  // namespace bitactor::term::testing
