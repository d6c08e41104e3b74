#pragma once
// Internal: the epmd protocol (erl_dist_protocol.html, "EPMD Protocol"). Registration
// (ALIVE2) holds its connection open for the node's life, since closing it unregisters the
// node; PORT_PLEASE2 asks a host's epmd where a node listens. All integers are big-endian and
// every request is framed by a 2-byte length.

// clang-format off
#include <utility>  // before Boost 1.81's awaitable.hpp, which uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bitactor/dist/internal/epmd_messages.hpp"

namespace bitactor::dist::detail {

class epmd_registration {
 public:
  explicit epmd_registration(boost::asio::io_context& io) : socket_(io) {}
  /// Connects to the local epmd on `epmd_port` (starting one with `epmd -daemon` first if
  /// none answers and `start` is set), registers `alive` at `port` and returns the creation.
  /// Throws dist_error if epmd cannot be reached or the name is taken.
  boost::asio::awaitable<std::uint32_t> register_node(std::string alive, std::uint16_t port,
                                                      bool hidden, std::uint16_t epmd_port,
                                                      bool start, std::chrono::milliseconds limit);
  /// Closes the registration (epmd forgets the node).
  void close();

 private:
  boost::asio::ip::tcp::socket socket_;
};

/// Asks the epmd of `host` for the port of `alive`; nullopt when epmd does not know it.
/// Throws (boost::system::system_error) when epmd cannot be reached.
/// `host` and `alive` must outlive the operation (the caller's coroutine holds them).
boost::asio::awaitable<std::optional<std::uint16_t>> port_please(const std::string& host,
                                                                 std::uint16_t epmd_port,
                                                                 const std::string& alive);

}  // namespace bitactor::dist::detail
