#include "bitactor/dist/internal/epmd_client.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bitactor/dist/dist_error.hpp"

extern char** environ;

namespace bitactor::dist::detail {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// erl starts `epmd -daemon` when none answers; the daemon forks and the command returns.
void start_epmd_daemon(std::uint16_t port) {
  std::string port_text = std::to_string(port);
  const char* argv[] = {"epmd", "-daemon", "-port", port_text.c_str(), nullptr};
  pid_t child = 0;
  if (posix_spawnp(&child, "epmd", nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
      0) {
    throw dist_error("dist: no epmd answers on port " + port_text + " and epmd cannot be started");
  }
  int status = 0;
  waitpid(child, &status, 0);
}

}  // namespace

asio::awaitable<std::uint32_t> epmd_registration::register_node(std::string alive,
                                                                std::uint16_t port, bool hidden,
                                                                std::uint16_t epmd_port, bool start,
                                                                std::chrono::milliseconds limit) {
  auto ex = co_await asio::this_coro::executor;
  tcp::endpoint epmd_at(asio::ip::make_address("127.0.0.1"), epmd_port);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool started = false;
  asio::steady_timer backoff(ex);
  auto delay = std::chrono::milliseconds(10);
  while (true) {
    boost::system::error_code ec;
    socket_.close(ec);
    co_await socket_.async_connect(epmd_at, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) break;
    if (!start) {
      throw dist_error("dist: no epmd answers on 127.0.0.1:" + std::to_string(epmd_port) + " (" +
                       ec.message() + ")");
    }
    if (!started) {
      start_epmd_daemon(epmd_port);
      started = true;
    }
    // The daemon needs a moment to listen; retry with a growing pause, up to the limit.
    if (std::chrono::steady_clock::now() >= deadline) {
      throw dist_error("dist: started epmd on port " + std::to_string(epmd_port) +
                       " but it does not answer");
    }
    backoff.expires_after(delay);
    co_await backoff.async_wait(asio::use_awaitable);
    delay = std::min(delay * 2, std::chrono::milliseconds(200));
  }
  auto req = epmd::alive2_request(port, hidden, alive);
  co_await asio::async_write(socket_, asio::buffer(req), asio::use_awaitable);
  std::uint8_t head[2];
  co_await asio::async_read(socket_, asio::buffer(head), asio::use_awaitable);
  std::vector<std::uint8_t> reply(head, head + 2);
  std::size_t rest = head[0] == 118 ? 4 : head[0] == 121 ? 2 : 0;
  if (head[1] == 0 && rest > 0) {
    reply.resize(2 + rest);
    co_await asio::async_read(socket_, asio::buffer(reply.data() + 2, rest), asio::use_awaitable);
  }
  auto creation = epmd::parse_alive2_reply(reply);
  if (!creation) {
    socket_.close();
    throw dist_error("dist: the node name '" + alive + "' is already registered with epmd");
  }
  co_return *creation;
}

void epmd_registration::close() {
  boost::system::error_code ec;
  socket_.close(ec);
}

asio::awaitable<std::optional<std::uint16_t>> port_please(const std::string& host,
                                                          std::uint16_t epmd_port,
                                                          const std::string& alive) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  const std::string service = std::to_string(epmd_port);
  auto endpoints = co_await resolver.async_resolve(host, service, asio::use_awaitable);
  tcp::socket s(ex);
  co_await asio::async_connect(s, endpoints, asio::use_awaitable);
  auto req = epmd::port_please2_request(alive);
  co_await asio::async_write(s, asio::buffer(req), asio::use_awaitable);
  std::uint8_t head[2];
  co_await asio::async_read(s, asio::buffer(head), asio::use_awaitable);
  if (head[0] != 119) throw dist_error("dist: epmd sent an unexpected reply to PORT_PLEASE2");
  if (head[1] != 0) co_return std::nullopt;
  std::uint8_t port[2];
  co_await asio::async_read(s, asio::buffer(port), asio::use_awaitable);
  co_return static_cast<std::uint16_t>((port[0] << 8) | port[1]);
}

}  // namespace bitactor::dist::detail
