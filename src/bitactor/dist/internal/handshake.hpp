#pragma once
// The distribution handshake, version 6 (erl_dist_protocol.html, "Distribution Handshake";
// kernel dist_util.erl): the messages as bytes, and the cookie digest. No I/O here, so both
// directions and hostile input are testable without sockets.
//
//   initiator A                       acceptor B
//   send_name 'N' flags creation name  ->
//                                      <- status 's' ok | ok_simultaneous | nok | alive ...
//                                      <- challenge 'N' flags challenge creation name
//   challenge_reply 'r' chal digest    ->
//                                      <- challenge_ack 'a' digest
// Each message is framed by a 2-byte big-endian length; encode_* include it, parse_* take the
// body after it and return nullopt for anything malformed.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bitactor::dist::handshake {

using digest = std::array<std::uint8_t, 16>;

struct send_name {
  std::uint64_t flags = 0;
  std::uint32_t creation = 0;
  std::string name;
};

struct challenge {
  std::uint64_t flags = 0;
  std::uint32_t value = 0;  // the challenge
  std::uint32_t creation = 0;
  std::string name;
};

struct challenge_reply {
  std::uint32_t value = 0;  // the initiator's challenge to the acceptor
  digest answer{};          // digest of the acceptor's challenge
};

std::vector<std::uint8_t> encode(const send_name& m);
std::vector<std::uint8_t> encode(const challenge& m);
std::vector<std::uint8_t> encode(const challenge_reply& m);
/// 's' followed by the status text (ok, ok_simultaneous, nok, not_allowed, alive, true, false).
std::vector<std::uint8_t> encode_status(std::string_view status);
/// 'a' followed by the digest.
std::vector<std::uint8_t> encode_ack(const digest& d);

/// 'N' send_name (the old 'n' of version 5 is refused, as OTP 25.0-25.2 do). Trailing bytes
/// are ignored.
std::optional<send_name> parse_send_name(std::span<const std::uint8_t> body);
std::optional<challenge> parse_challenge(std::span<const std::uint8_t> body);
std::optional<challenge_reply> parse_challenge_reply(std::span<const std::uint8_t> body);
std::optional<std::string> parse_status(std::span<const std::uint8_t> body);
std::optional<digest> parse_ack(std::span<const std::uint8_t> body);

/// MD5(cookie ++ decimal text of the challenge): dist_util:gen_digest/2 (the cookie first,
/// whatever the doc's wording suggests).
digest make_digest(std::uint32_t challenge_value, std::string_view cookie);
/// Compares in constant time, so a peer cannot learn a digest byte by byte from timing.
bool same_digest(const digest& a, const digest& b) noexcept;
/// A fresh random challenge from OpenSSL's generator.
std::uint32_t new_challenge();

}  // namespace bitactor::dist::handshake
