// libFuzzer target for what a peer's bytes reach before any trust: the handshake messages,
// epmd's ALIVE2 reply, and distribution frames. Every input must be refused (nullopt, or
// dist_error for epmd) or parse to something that re-encodes to an equal value. The input
// also goes, cut into up to 8 payloads, through one frame_reader, whose atom cache and
// fragment reassembly keep state from payload to payload.
#include <algorithm>
#include <bitactor/dist/dist_error.hpp>
#include <bitactor/dist/internal/control.hpp>
#include <bitactor/dist/internal/epmd_messages.hpp>
#include <bitactor/dist/internal/frame_reader.hpp>
#include <bitactor/dist/internal/handshake.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bitactor::dist;
  std::span<const std::uint8_t> in(data, size);
  auto body = [](const std::vector<std::uint8_t>& framed) {
    return std::span<const std::uint8_t>(framed).subspan(2);
  };
  if (auto m = handshake::parse_send_name(in)) {
    auto again = handshake::parse_send_name(body(handshake::encode(*m)));
    if (!again || again->name != m->name || again->flags != m->flags) std::abort();
  }
  if (auto m = handshake::parse_challenge(in)) {
    auto again = handshake::parse_challenge(body(handshake::encode(*m)));
    if (!again || again->name != m->name || again->value != m->value) std::abort();
  }
  (void)handshake::parse_challenge_reply(in);
  (void)handshake::parse_status(in);
  (void)handshake::parse_ack(in);
  try {
    (void)detail::epmd::parse_alive2_reply(in);
  } catch (const dist_error&) {
  }
  bitactor::term::decode_options options{.max_depth = 200, .max_bytes = 16u << 20};
  std::string why;
  if (auto f = decode_frame(in, why, options)) {
    auto frame = encode_frame(f->control, f->message ? &*f->message : nullptr);
    auto again = decode_frame(std::span<const std::uint8_t>(frame).subspan(4), why, options);
    if (!again || !(again->control == f->control) ||
        again->message.has_value() != f->message.has_value()) {
      std::abort();
    }
  }
  // The first byte says how many payloads the rest is cut into; a refused payload ends the
  // connection, as the reader's caller does.
  if (size > 1) {
    const std::size_t parts = 1 + data[0] % 8;
    const std::size_t each = (size - 1 + parts - 1) / parts;
    detail::frame_reader reader(1u << 20);
    for (std::size_t at = 1; at < size; at += each) {
      std::vector<std::uint8_t> payload(data + at, data + std::min(size, at + each));
      why.clear();
      if (!reader.read(payload, why) && !why.empty()) break;
    }
  }
  return 0;
}
