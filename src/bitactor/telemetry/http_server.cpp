#include "bitactor/telemetry/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bitactor/telemetry/internal/http_connection.hpp"
#include "bitactor/telemetry/internal/token.hpp"

namespace bitactor::telemetry {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Declaration order matters: the io_context comes after the endpoints and the counter its
// pending connections refer to, so it is destroyed (dropping them) before those.
struct http_server::state {
  state(const registry& metrics, const health& checks, http_config c)
      : config(std::move(c)), routes{metrics, checks, config.token.value_or("")} {}

  http_config config;
  detail::endpoints routes;
  std::atomic<std::size_t> open{0};
  net::io_context io;
  tcp::acceptor acceptor{io};
  net::steady_timer retry{io};
  std::uint16_t port = 0;
  std::vector<std::thread> threads;

  void accept() {
    acceptor.async_accept(
        net::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted) return;
          if (ec) {
            // Out of descriptors, most likely: retrying at once would spin until one frees.
            retry.expires_after(std::chrono::milliseconds(100));
            retry.async_wait([this](boost::system::error_code e) {
              if (!e) accept();
            });
            return;
          }
          // Accepts run one at a time and a connection counts itself from construction, so the
          // limit is exact.
          if (open.load(std::memory_order_relaxed) >= config.max_connections) {
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            std::make_shared<detail::http_connection>(
                std::move(socket), routes,
                detail::connection_limits{config.max_request_bytes, config.request_timeout}, open)
                ->start();
          }
          accept();
        });
  }
};

http_server::http_server(const registry& metrics, const health& checks, http_config config) {
  if (config.token && config.token->empty()) {
    throw std::invalid_argument("telemetry: the HTTP token must not be empty");
  }
  if (config.io_threads == 0) {
    throw std::invalid_argument("telemetry: the HTTP server needs at least one I/O thread");
  }
  if (config.max_request_bytes == 0 || config.max_connections == 0 ||
      config.request_timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument(
        "telemetry: max_request_bytes, max_connections and request_timeout must be positive");
  }
  const bool generated = !config.token;
  if (generated) config.token = detail::generate_token();
  state_ = std::make_unique<state>(metrics, checks, std::move(config));
  state& s = *state_;
  try {
    const tcp::endpoint at(net::ip::make_address(s.config.address), s.config.port);
    s.acceptor.open(at.protocol());
    s.acceptor.set_option(net::socket_base::reuse_address(true));
    s.acceptor.bind(at);
    s.acceptor.listen(net::socket_base::max_listen_connections);
    s.port = s.acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("telemetry: cannot listen on " + s.config.address + ":" +
                             std::to_string(s.config.port) + ": " + e.what());
  }
  if (generated && s.config.print_token) {
    const bool v6 = s.config.address.find(':') != std::string::npos;
    std::fprintf(stderr, "bitactor telemetry: http://%s%s%s:%u/metrics, token %s\n", v6 ? "[" : "",
                 s.config.address.c_str(), v6 ? "]" : "", static_cast<unsigned>(s.port),
                 s.routes.token.c_str());
  }
  s.accept();
  for (std::size_t i = 0; i < s.config.io_threads; ++i) {
    s.threads.emplace_back([&s] { s.io.run(); });
  }
}

http_server::~http_server() {
  state& s = *state_;
  // Stopped, the io_context runs nothing more; destroying it closes every connection.
  s.io.stop();
  for (auto& t : s.threads) t.join();
}

std::uint16_t http_server::port() const noexcept { return state_->port; }
const std::string& http_server::token() const noexcept { return state_->routes.token; }
std::size_t http_server::connections() const noexcept {
  return state_->open.load(std::memory_order_relaxed);
}

}  // namespace bitactor::telemetry
