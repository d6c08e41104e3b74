#pragma once
// One accepted connection of the HTTP endpoint: reads requests (bounded in size and time),
// answers each through respond(), keeps the connection alive while the client asks to, and
// closes it alone when it misbehaves. All of it runs on the connection's strand.

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "bitactor/telemetry/internal/http_routes.hpp"

namespace bitactor::telemetry::detail {

struct connection_limits {
  std::size_t max_request_bytes = 0;
  std::chrono::milliseconds request_timeout{0};
};

class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  /// Counts itself in `open` from construction to destruction.
  http_connection(boost::asio::ip::tcp::socket socket, const endpoints& e, connection_limits limits,
                  std::atomic<std::size_t>& open);
  ~http_connection();
  void start();

 private:
  void read_request();
  void on_read(boost::beast::error_code ec);
  void write(http_response r);
  void on_write(boost::beast::error_code ec, bool close);
  void discard_until_closed();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http_response> response_;
  const endpoints& endpoints_;
  connection_limits limits_;
  std::atomic<std::size_t>& open_;
  std::array<char, 4096> discarded_{};
};

}  // namespace bitactor::telemetry::detail
