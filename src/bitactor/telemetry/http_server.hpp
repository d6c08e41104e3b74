#pragma once
// The node's operations endpoint: an HTTP/1.1 server on its own I/O threads (never a
// scheduler worker) that serves
//
//   GET /metrics        the registry in Prometheus's text format (prometheus.hpp)  token
//   GET /health/live    the liveness checks as JSON, 200 or 503 (health.hpp)        no token
//   GET /health/ready   the readiness checks as JSON, 200 or 503                    no token
//
//   telemetry::registry metrics;
//   telemetry::health health;
//   telemetry::http_server server(metrics, health, {.port = 9464});
//   // stderr: "bitactor telemetry: http://127.0.0.1:9464/metrics, token 3f9c...", or set
//   // .token in the config (e.g. from a secret store) and nothing is printed.
//
// Security. The server binds to 127.0.0.1 unless told otherwise. Every path but /health/*
// requires `Authorization: Bearer <token>`: without it, or with another token, the answer is
// 401 (compared in constant time for tokens of the right length), for unknown paths too; an
// authorised request for an unknown path gets 404, a method other than GET 405. The
// generated token is 32 bytes from OpenSSL's CSPRNG, as 64 hex digits.
//
// Limits, each applied to one connection alone: a request whose line and headers, or whose
// body, is longer than max_request_bytes is answered 413 and the connection closed (after
// the client stops sending, or request_timeout: closing on unread bytes would reset the
// connection and could lose the answer); a connection that does not send a whole request
// within request_timeout (idle keep-alive time included) or sends one that is not HTTP is
// closed; past max_connections, new connections are closed at once.
// Requests are handled on the server's threads: a collector or check that takes long delays
// that thread's other connections, never the node.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bitactor/telemetry/health.hpp"
#include "bitactor/telemetry/metrics.hpp"

namespace bitactor::telemetry {

struct http_config {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port; port() says which
  /// The bearer token; nullopt: generate one at start.
  std::optional<std::string> token = std::nullopt;
  /// Print a generated token (with the address) to stderr, so an operator can scrape.
  bool print_token = true;
  std::size_t max_request_bytes = 16 * 1024;
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
  std::size_t max_connections = 256;
  std::size_t io_threads = 1;
};

class http_server {
 public:
  /// Binds and starts serving. Throws std::runtime_error if it cannot listen there, and
  /// std::invalid_argument for an empty token or a limit or io_threads that is not positive.
  /// metrics and checks must outlive the server.
  http_server(const registry& metrics, const health& checks, http_config config = {});
  /// Stops: closes the listening socket and every connection, joins the I/O threads.
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// The port bound (the configured one, or the one chosen for port 0).
  std::uint16_t port() const noexcept;
  /// The token requests to /metrics must carry.
  const std::string& token() const noexcept;
  /// Connections open now.
  std::size_t connections() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace bitactor::telemetry
