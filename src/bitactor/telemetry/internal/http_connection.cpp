#include "bitactor/telemetry/internal/http_connection.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <limits>

namespace bitactor::telemetry::detail {

namespace beast = boost::beast;

http_connection::http_connection(boost::asio::ip::tcp::socket socket, const endpoints& e,
                                 connection_limits limits, std::atomic<std::size_t>& open)
    : stream_(std::move(socket)),
      buffer_(limits.max_request_bytes),
      endpoints_(e),
      limits_(limits),
      open_(open) {
  open_.fetch_add(1, std::memory_order_relaxed);
}

http_connection::~http_connection() { open_.fetch_sub(1, std::memory_order_relaxed); }

void http_connection::start() { read_request(); }

void http_connection::read_request() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits_.max_request_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(limits_.max_request_bytes);
  stream_.expires_after(limits_.request_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_connection::on_read(beast::error_code ec) {
  if (ec == http::error::header_limit || ec == http::error::body_limit ||
      ec == http::error::buffer_overflow) {
    write(too_large());
    return;
  }
  // End of stream, a timeout, bytes that are not HTTP: close (by dropping the last reference).
  if (ec) return;
  write(respond(parser_->get(), endpoints_));
}

void http_connection::write(http_response r) {
  response_ = std::make_shared<http_response>(std::move(r));
  const bool close = response_->need_eof();
  stream_.expires_after(limits_.request_timeout);
  http::async_write(stream_, *response_,
                    [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
                      self->on_write(ec, close);
                    });
}

void http_connection::on_write(beast::error_code ec, bool close) {
  if (ec) return;
  if (close) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    // One deadline for all the discarding, so a client that keeps sending is still dropped.
    stream_.expires_after(limits_.request_timeout);
    discard_until_closed();
    return;
  }
  read_request();
}

// Closing a socket with unread bytes sends a reset, which can destroy the answer in flight
// before the client reads it (a 413 sent while the rest of the request still arrives): read
// and drop until the client closes or the deadline passes, as RFC 9112 section 9.6 advises.
void http_connection::discard_until_closed() {
  stream_.async_read_some(boost::asio::buffer(discarded_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (!ec) self->discard_until_closed();
                          });
}

}  // namespace bitactor::telemetry::detail
