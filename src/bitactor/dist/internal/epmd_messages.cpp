#include "bitactor/dist/internal/epmd_messages.hpp"

#include "bitactor/dist/dist_error.hpp"

namespace bitactor::dist::detail {

namespace epmd {

namespace {
void put16(std::vector<std::uint8_t>& v, std::size_t x) {
  v.push_back(static_cast<std::uint8_t>(x >> 8));
  v.push_back(static_cast<std::uint8_t>(x));
}
void frame(std::vector<std::uint8_t>& v) {
  std::size_t n = v.size() - 2;
  v[0] = static_cast<std::uint8_t>(n >> 8);
  v[1] = static_cast<std::uint8_t>(n);
}
}  // namespace

std::vector<std::uint8_t> alive2_request(std::uint16_t port, bool hidden, std::string_view alive) {
  std::vector<std::uint8_t> v{0, 0, 120};
  put16(v, port);
  v.push_back(hidden ? 72 : 77);  // node type: hidden / normal
  v.push_back(0);                 // protocol: tcp/ip v4
  put16(v, 6);                    // highest version
  put16(v, 5);                    // lowest version
  put16(v, alive.size());
  v.insert(v.end(), alive.begin(), alive.end());
  put16(v, 0);  // no extra
  frame(v);
  return v;
}

std::vector<std::uint8_t> port_please2_request(std::string_view alive) {
  std::vector<std::uint8_t> v{0, 0, 122};
  v.insert(v.end(), alive.begin(), alive.end());
  frame(v);
  return v;
}

std::optional<std::uint32_t> parse_alive2_reply(std::span<const std::uint8_t> r) {
  if (r.size() >= 2 && (r[0] == 118 || r[0] == 121) && r[1] != 0) return std::nullopt;
  if (r.size() == 6 && r[0] == 118) {
    return (std::uint32_t{r[2]} << 24) | (std::uint32_t{r[3]} << 16) | (std::uint32_t{r[4]} << 8) |
           r[5];
  }
  if (r.size() == 4 && r[0] == 121) return (std::uint32_t{r[2]} << 8) | r[3];
  throw dist_error("dist: epmd sent an unexpected reply to ALIVE2");
}

}  // namespace epmd

}  // namespace bitactor::dist::detail
