#include "bitactor/dist/internal/control.hpp"

#include "bitactor/term/encode.hpp"

namespace bitactor::dist {

namespace {
bool starts_with_operation(const term::term& control, std::string& why) {
  if (control.is_tuple() && control.size() != 0 && control[0].is_small() &&
      control[0].as_int() >= 0 && control[0].as_int() <= 255) {
    return true;
  }
  why = "control is not a tuple starting with an operation code";
  return false;
}
}  // namespace

std::optional<term::term> decode_control(std::span<const std::uint8_t> bytes,
                                         term::decode_options options, std::size_t& consumed,
                                         std::string& why) {
  options.allow_trailing = true;
  auto ctrl = term::decode(bytes, options);
  if (!ctrl) {
    why = "control: " + ctrl.error().to_string();
    return std::nullopt;
  }
  consumed = ctrl.consumed();
  term::term control = std::move(ctrl).value();
  if (!starts_with_operation(control, why)) return std::nullopt;
  return control;
}

bool decode_message(std::span<const std::uint8_t> bytes, term::decode_options options,
                    control_frame& f, std::string& why) {
  options.allow_trailing = false;
  auto msg = term::decode(bytes, options);
  if (!msg) {
    why = "message: " + msg.error().to_string();
    return false;
  }
  f.message = std::move(msg).value();
  return true;
}

outgoing_frame encode_outgoing(const term::term& control, const term::term* message) {
  outgoing_frame f;
  auto& out = f.bytes;
  out.resize(5);
  out[4] = 112;  // pass-through
  term::encode_append(out, control);
  f.control_end = out.size();
  if (message != nullptr) term::encode_append(out, *message);
  auto n = static_cast<std::uint32_t>(out.size() - 4);
  out[0] = static_cast<std::uint8_t>(n >> 24);
  out[1] = static_cast<std::uint8_t>(n >> 16);
  out[2] = static_cast<std::uint8_t>(n >> 8);
  out[3] = static_cast<std::uint8_t>(n);
  return f;
}

std::vector<std::uint8_t> encode_frame(const term::term& control, const term::term* message) {
  return encode_outgoing(control, message).bytes;
}

std::optional<control_frame> decode_frame(std::span<const std::uint8_t> payload, std::string& why,
                                          const term::decode_options& options) {
  if (payload.empty() || payload[0] != 112) {
    why = payload.empty()
              ? "empty payload"
              : "not a pass-through frame (first byte " + std::to_string(payload[0]) + ")";
    return std::nullopt;
  }
  auto rest = payload.subspan(1);
  std::size_t consumed = 0;
  auto control = decode_control(rest, options, consumed, why);
  if (!control) return std::nullopt;
  control_frame f;
  f.control = std::move(*control);
  rest = rest.subspan(consumed);
  if (!rest.empty() && !decode_message(rest, options, f, why)) return std::nullopt;
  return f;
}

}  // namespace bitactor::dist
