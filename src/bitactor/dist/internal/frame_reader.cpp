#include "bitactor/dist/internal/frame_reader.hpp"

#include <algorithm>

#include "bitactor/term/decode.hpp"
#include "bitactor/term/detail/input_atoms.hpp"

namespace bitactor::dist::detail {

namespace {
// What a partial sequence costs beyond its bytes (its table entry), charged to the bound so
// that many tiny sequences cannot grow memory either.
constexpr std::size_t partial_overhead = 256;

std::uint64_t u64_at(std::span<const std::uint8_t> p, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | p[at + i];
  return v;
}
}  // namespace

std::optional<std::size_t> frame_reader::read_header(std::span<const std::uint8_t> p,
                                                     std::size_t at, std::vector<term::atom>& refs,
                                                     std::string& why) {
  if (at >= p.size()) {
    why = "truncated distribution header";
    return std::nullopt;
  }
  const std::size_t n = p[at++];
  if (n == 0) return at;
  // Flags: one nibble per ref (NewCacheEntryFlag:1 SegmentIndex:3), low nibble first, and one
  // more whose bit 0 is LongAtoms.
  const std::size_t flag_bytes = n / 2 + 1;
  if (p.size() - at < flag_bytes) {
    why = "truncated atom cache flags";
    return std::nullopt;
  }
  auto nibble = [&](std::size_t i) {
    std::uint8_t b = p[at + i / 2];
    return static_cast<std::uint8_t>(i % 2 == 0 ? b & 0x0F : b >> 4);
  };
  const bool long_atoms = (nibble(n) & 1) != 0;
  std::size_t q = at + flag_bytes;
  refs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t f = nibble(i);
    if (q >= p.size()) {
      why = "truncated atom cache ref";
      return std::nullopt;
    }
    const std::size_t index = std::size_t{f & 7u} * 256 + p[q++];
    if ((f & 8) != 0) {
      std::size_t len_bytes = long_atoms ? 2 : 1;
      if (p.size() - q < len_bytes) {
        why = "truncated atom cache entry";
        return std::nullopt;
      }
      std::size_t len = long_atoms ? (std::size_t{p[q]} << 8) | p[q + 1] : p[q];
      q += len_bytes;
      if (p.size() - q < len) {
        why = "truncated atom cache entry text";
        return std::nullopt;
      }
      std::string_view text(reinterpret_cast<const char*>(p.data() + q), len);
      q += len;
      std::uint32_t atom_index = 0;
      auto r = term::detail::intern_input_atom(text, term::default_max_decoded_atoms, atom_index);
      switch (r) {
        case term::detail::input_atom::ok:
          break;
        case term::detail::input_atom::invalid:
          why = "atom cache entry is not an atom (UTF-8 of at most 255 characters)";
          return std::nullopt;
        case term::detail::input_atom::over_budget:
          why =
              "atom cache entry would create an atom past the budget for atoms created by "
              "decoding (" +
              std::to_string(term::default_max_decoded_atoms) + ")";
          return std::nullopt;
        case term::detail::input_atom::table_full:
          why = "atom table full";
          return std::nullopt;
      }
      cache_[index] = term::atom::from_index(atom_index);
      stored_.set(index);
    } else if (!stored_.test(index)) {
      why = "atom cache ref " + std::to_string(index) + " names an entry never stored";
      return std::nullopt;
    }
    refs.push_back(cache_[index]);
  }
  return q;
}

std::optional<control_frame> frame_reader::decode_body(std::vector<std::uint8_t>& buf,
                                                       std::size_t start,
                                                       const std::vector<term::atom>& refs,
                                                       std::string& why) {
  // After a distribution header the terms have no version byte. The decoder wants one, so the
  // byte before each term (the header's last byte, then the control's last byte, both read
  // already) is overwritten with 131: no copy of the message.
  term::decode_options opts;
  opts.atom_cache_refs = refs;
  buf[start - 1] = 131;
  std::span<const std::uint8_t> all(buf);
  std::size_t consumed = 0;
  auto control = decode_control(all.subspan(start - 1), opts, consumed, why);
  if (!control) return std::nullopt;
  control_frame f;
  f.control = std::move(*control);
  const std::size_t next = start + consumed - 1;
  if (next < buf.size()) {
    buf[next - 1] = 131;
    if (!decode_message(all.subspan(next - 1), opts, f, why)) return std::nullopt;
  }
  return f;
}

std::optional<control_frame> frame_reader::read(std::vector<std::uint8_t>& payload,
                                                std::string& why) {
  why.clear();
  if (payload.empty()) {
    why = "empty payload";
    return std::nullopt;
  }
  if (payload[0] == 112) return decode_frame(payload, why);
  if (payload[0] != 131 || payload.size() < 2) {
    why = "not a distribution frame (first byte " + std::to_string(payload[0]) + ")";
    return std::nullopt;
  }
  std::span<const std::uint8_t> p(payload);
  const std::uint8_t kind = payload[1];
  if (kind == 68) {
    std::vector<term::atom> refs;
    auto body = read_header(p, 2, refs, why);
    if (!body) return std::nullopt;
    if (*body >= payload.size()) {
      why = "distribution header without a control message";
      return std::nullopt;
    }
    return decode_body(payload, *body, refs, why);
  }
  if (kind != 69 && kind != 70) {
    why = "unknown distribution header 131 " + std::to_string(kind);
    return std::nullopt;
  }
  if (payload.size() < 18) {
    why = "truncated fragment header";
    return std::nullopt;
  }
  const std::uint64_t seq = u64_at(p, 2);
  const std::uint64_t frag = u64_at(p, 10);
  if (frag == 0) {
    why = "fragment id 0";
    return std::nullopt;
  }
  if (kind == 69) {
    std::vector<term::atom> refs;
    auto body = read_header(p, 18, refs, why);
    if (!body) return std::nullopt;
    if (partial_.contains(seq)) {
      why = "fragment sequence " + std::to_string(seq) + " started twice";
      return std::nullopt;
    }
    if (frag == 1) {
      if (*body >= payload.size()) {
        why = "fragment without a control message";
        return std::nullopt;
      }
      return decode_body(payload, *body, refs, why);
    }
    const std::size_t size = payload.size() - *body + 1 + partial_overhead;
    if (size > max_message_bytes_ || buffered_ + size > max_message_bytes_) {
      why =
          "fragmented messages exceed max_frame_bytes (" + std::to_string(max_message_bytes_) + ")";
      return std::nullopt;
    }
    partial part;
    part.refs = std::move(refs);
    part.bytes.reserve(payload.size() - *body + 1);
    part.bytes.push_back(0);
    part.bytes.insert(part.bytes.end(), payload.begin() + static_cast<std::ptrdiff_t>(*body),
                      payload.end());
    part.next_fragment = frag - 1;
    buffered_ += size;
    partial_.emplace(seq, std::move(part));
    return std::nullopt;
  }
  auto it = partial_.find(seq);
  if (it == partial_.end()) {
    why = "fragment of sequence " + std::to_string(seq) + " that was never started";
    return std::nullopt;
  }
  partial& part = it->second;
  if (frag != part.next_fragment) {
    why = "fragment " + std::to_string(frag) + " of sequence " + std::to_string(seq) +
          " out of order (expected " + std::to_string(part.next_fragment) + ")";
    return std::nullopt;
  }
  const std::size_t more = payload.size() - 18;
  if (part.bytes.size() + more + partial_overhead > max_message_bytes_ ||
      buffered_ + more > max_message_bytes_) {
    why = "fragmented message exceeds max_frame_bytes (" + std::to_string(max_message_bytes_) + ")";
    return std::nullopt;
  }
  part.bytes.insert(part.bytes.end(), payload.begin() + 18, payload.end());
  buffered_ += more;
  if (frag > 1) {
    --part.next_fragment;
    return std::nullopt;
  }
  partial done = std::move(part);
  partial_.erase(it);
  buffered_ -= done.bytes.size() + partial_overhead;
  return decode_body(done.bytes, 1, done.refs, why);
}

}  // namespace bitactor::dist::detail
