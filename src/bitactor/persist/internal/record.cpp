#include "bitactor/persist/internal/record.hpp"

#include <zlib.h>

namespace bitactor::persist::detail {

namespace {
std::uint32_t crc_of(std::string_view context, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // crc32 takes a uInt length: feed large payloads in pieces.
  auto feed = [&](std::string_view bytes) {
    while (!bytes.empty()) {
      std::size_t n = std::min<std::size_t>(bytes.size(), 1u << 30);
      crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n));
      bytes.remove_prefix(n);
    }
  };
  feed(context);
  feed(payload);
  return static_cast<std::uint32_t>(crc);
}
}  // namespace

std::array<char, 4> seal_header(std::string_view context, std::string_view payload) {
  std::uint32_t crc = crc_of(context, payload);
  std::array<char, 4> out{};
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return out;
}

std::string seal(std::string_view context, std::string_view payload) {
  auto header = seal_header(context, payload);
  std::string out;
  out.reserve(4 + payload.size());
  out.append(header.data(), header.size());
  out.append(payload);
  return out;
}

std::optional<std::string_view> unseal(std::string_view context, std::string_view sealed) {
  if (sealed.size() < 4) return std::nullopt;
  std::uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored |= static_cast<std::uint32_t>(static_cast<unsigned char>(sealed[i])) << (8 * i);
  }
  std::string_view payload = sealed.substr(4);
  if (crc_of(context, payload) != stored) return std::nullopt;
  return payload;
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_u64(std::string_view in, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}
std::uint32_t get_u32(std::string_view in, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

}  // namespace bitactor::persist::detail
