#pragma once
// Internal: epmd's requests and replies as bytes (erl_dist_protocol.html, "EPMD Protocol"),
// apart from the sockets, so they are tested and fuzzed alone. Integers are big-endian; each
// request is framed by a 2-byte length.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace bitactor::dist::detail {

/// The bytes of requests and the parsing of replies, apart from the sockets (tested alone).
namespace epmd {
std::vector<std::uint8_t> alive2_request(std::uint16_t port, bool hidden, std::string_view alive);
std::vector<std::uint8_t> port_please2_request(std::string_view alive);
/// ALIVE2_X_RESP (118) or the old ALIVE2_RESP (121): the creation, or nullopt for a refusal
/// (result != 0: the name is taken). Throws dist_error for a reply that is neither.
std::optional<std::uint32_t> parse_alive2_reply(std::span<const std::uint8_t> reply);
}  // namespace epmd

}  // namespace bitactor::dist::detail
