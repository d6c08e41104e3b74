#pragma once
// A blocking HTTP/1.1 client for the telemetry tests: plain POSIX sockets (so every wait has a
// deadline, through poll) and Beast's response parser. Failures are gtest failures.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bitactor::telemetry::test {

using namespace std::chrono_literals;

struct http_reply {
  int status = 0;
  std::string body{};
  std::string content_type{};
  std::string www_authenticate{};
  std::string allow{};
  bool keep_alive = false;
};

/// What a read from the server came to.
enum class peer { data, closed, timed_out };

class client_connection {
 public:
  explicit client_connection(std::uint16_t port, std::chrono::milliseconds timeout = 10s)
      : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0;
  }
  ~client_connection() { close(); }
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Sends every byte; false if the server closed or reset the connection meanwhile.
  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads whatever arrives next (appended to the pending bytes), or says why nothing did.
  peer read_some() {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (ready == 0) return peer::timed_out;
    char buf[4096];
    const ssize_t n = ready < 0 ? -1 : ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return peer::closed;  // end of stream, or reset
    pending_.append(buf, static_cast<std::size_t>(n));
    return peer::data;
  }

  /// The next response on this connection; nullopt (and why, in `why`) if the connection
  /// ended or timed out first.
  std::optional<http_reply> read_reply(peer* why = nullptr) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    for (;;) {
      if (!pending_.empty()) {
        boost::beast::error_code ec;
        const std::size_t used = parser.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != http::error::need_more) {
          ADD_FAILURE() << "the server's answer is not HTTP: " << ec.message();
          return std::nullopt;
        }
        if (parser.is_done()) break;
        if (used > 0 && !ec) continue;
      }
      const peer p = read_some();
      if (p == peer::closed && parser.got_some() && parser.need_eof()) {
        boost::beast::error_code ec;
        parser.put_eof(ec);  // a body delimited by the end of the connection
        if (!ec && parser.is_done()) break;
      }
      if (p != peer::data) {
        if (why) *why = p;
        return std::nullopt;
      }
    }
    const auto& m = parser.get();
    http_reply r;
    r.status = static_cast<int>(m.result_int());
    r.body = m.body();
    r.content_type = std::string(m[http::field::content_type]);
    r.www_authenticate = std::string(m[http::field::www_authenticate]);
    r.allow = std::string(m[http::field::allow]);
    r.keep_alive = m.keep_alive();
    return r;
  }

  /// Sends a GET and reads its answer.
  std::optional<http_reply> get(std::string_view path, std::string_view token = {},
                                std::string_view method = "GET") {
    std::string req =
        std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + std::string(token) + "\r\n";
    req += "\r\n";
    if (!send_all(req)) return std::nullopt;
    return read_reply();
  }

  /// Waits until the server closes the connection (true), or the timeout passes (false);
  /// anything it sends meanwhile is kept in pending().
  bool closed_by_peer() {
    for (;;) {
      const peer p = read_some();
      if (p == peer::closed) return true;
      if (p == peer::timed_out) return false;
    }
  }

  const std::string& pending() const { return pending_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::chrono::milliseconds timeout_;
  std::string pending_;
};

/// One request on a connection of its own.
inline std::optional<http_reply> http_get(std::uint16_t port, std::string_view path,
                                          std::string_view token = {}) {
  client_connection c(port);
  if (!c.connected()) {
    ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
    return std::nullopt;
  }
  return c.get(path, token);
}

}  // namespace bitactor::telemetry::test
