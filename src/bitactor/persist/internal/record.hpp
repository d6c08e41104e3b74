#pragma once
// How a backend stores one record: the record's bytes behind a CRC-32 (zlib's crc32) that
// also covers where the record belongs (its persistence id and sequence, or its key), so a
// record that is damaged, or that landed under another key, fails its check on read.
//
//   sealed = crc32(context || payload) as 4 bytes little-endian || payload

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bitactor::persist::detail {

/// The payload behind its CRC.
std::string seal(std::string_view context, std::string_view payload);
/// The 4 bytes seal() puts before the payload, for a writer that stores the two without
/// copying them together.
std::array<char, 4> seal_header(std::string_view context, std::string_view payload);
/// The payload if the CRC matches; nullopt if the record is short or its CRC does not match.
std::optional<std::string_view> unseal(std::string_view context, std::string_view sealed);

/// Big-endian fixed-width integers: keys made of them sort as the numbers do.
void put_u64(std::string& out, std::uint64_t v);
void put_u32(std::string& out, std::uint32_t v);
std::uint64_t get_u64(std::string_view in, std::size_t at);
std::uint32_t get_u32(std::string_view in, std::size_t at);

}  // namespace bitactor::persist::detail
