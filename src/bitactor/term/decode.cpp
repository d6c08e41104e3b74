#include <zlib.h>

#include <algorithm>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/detail/input_atoms.hpp>
#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/detail/utf8.hpp>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/external_format.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

namespace bitactor::term {

const char* to_string(decode_errc kind) noexcept {
  switch (kind) {
    case decode_errc::truncated:
      return "truncated";
    case decode_errc::bad_version:
      return "bad_version";
    case decode_errc::unknown_tag:
      return "unknown_tag";
    case decode_errc::unsupported:
      return "unsupported";
    case decode_errc::bad_value:
      return "bad_value";
    case decode_errc::duplicate_key:
      return "duplicate_key";
    case decode_errc::too_deep:
      return "too_deep";
    case decode_errc::too_large:
      return "too_large";
    case decode_errc::bad_compression:
      return "bad_compression";
    case decode_errc::unknown_atom:
      return "unknown_atom";
    case decode_errc::trailing_bytes:
      return "trailing_bytes";
    case decode_errc::too_many_atoms:
      return "too_many_atoms";
  }
  return "unknown";
}

std::string decode_error::to_string() const {
  std::string s = bitactor::term::to_string(kind);
  s += " at offset " + std::to_string(offset);
  if (in_compressed) s += " of the inflated payload";
  if (tag != 0) s += " (tag " + std::to_string(tag) + ")";
  if (!message.empty()) s += ": " + message;
  return s;
}

namespace {

using detail::builder;
using ntag = builder::tag;

struct failure {
  decode_error error;
};

class decoder {
 public:
  decoder(std::span<const std::uint8_t> in, const decode_options& options, bool compressed,
          const std::shared_ptr<const void>* owner = nullptr)
      : begin_(in.data()),
        p_(in.data()),
        end_(in.data() + in.size()),
        options_(options),
        compressed_(compressed),
        owner_(owner) {}

  std::size_t offset() const noexcept { return static_cast<std::size_t>(p_ - begin_); }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }

  [[noreturn]] void fail(decode_errc kind, std::uint8_t tag, std::size_t at,
                         std::string message) const {
    throw failure{decode_error{kind, tag, at, compressed_, std::move(message)}};
  }

  void need(std::size_t n, std::uint8_t tag) const {
    if (remaining() < n) {
      fail(decode_errc::truncated, tag, offset(),
           "need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
    }
  }

  // A count of `n` items of at least `min_each` bytes each must fit in what is left; checked
  // before any allocation so hostile counts fail cheaply.
  void plausible_count(std::uint64_t n, std::size_t min_each, std::uint8_t tag,
                       std::size_t at) const {
    if (n > remaining() / min_each) {
      fail(decode_errc::truncated, tag, at,
           "count " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) +
               " bytes left");
    }
  }

  void charge(std::size_t bytes, std::uint8_t tag, std::size_t at) {
    if (bytes > budget_left()) {
      fail(decode_errc::too_large, tag, at,
           "allocation budget of " + std::to_string(options_.max_bytes) + " bytes exhausted");
    }
    spent_ += bytes;
  }
  std::size_t budget_left() const noexcept {
    return spent_ >= options_.max_bytes ? 0 : options_.max_bytes - spent_;
  }
  void set_spent(std::size_t s) noexcept { spent_ = s; }
  std::size_t spent() const noexcept { return spent_; }

  std::uint8_t u8() noexcept { return *p_++; }
  std::uint16_t u16() noexcept {
    auto v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return v;
  }
  std::uint32_t u32() noexcept {
    std::uint32_t v = (std::uint32_t{p_[0]} << 24) | (std::uint32_t{p_[1]} << 16) |
                      (std::uint32_t{p_[2]} << 8) | std::uint32_t{p_[3]};
    p_ += 4;
    return v;
  }
  std::uint64_t u64() noexcept {
    std::uint64_t hi = u32();
    return (hi << 32) | u32();
  }

  // Element of a container: small integers, the bulk of most lists and tuples, skip the
  // dispatch of decode_term.
  term decode_elem(std::size_t depth) {
    if (remaining() >= 5 && *p_ == etf::integer_ext) {
      ++p_;
      return term(static_cast<std::int32_t>(u32()));
    }
    if (remaining() >= 2 && *p_ == etf::small_integer_ext) {
      p_ += 2;
      return term(std::int64_t{p_[-1]});
    }
    if (remaining() >= 2 && *p_ == etf::small_atom_utf8_ext && !options_.safe) {
      std::size_t len = p_[1];
      if (remaining() - 2 >= len) {
        std::size_t at = offset();
        std::string_view name(reinterpret_cast<const char*>(p_ + 2), len);
        p_ += 2 + len;
        return term(make_atom(name, etf::small_atom_utf8_ext, at));
      }
    }
    return decode_term(depth);
  }

  term decode_term(std::size_t depth) {
    std::size_t at = offset();
    need(1, 0);
    std::uint8_t tag = u8();
    switch (tag) {
      case etf::small_integer_ext:
        need(1, tag);
        return term(std::int64_t{u8()});
      case etf::integer_ext:
        need(4, tag);
        return term(static_cast<std::int32_t>(u32()));
      case etf::new_float_ext: {
        need(8, tag);
        std::uint64_t bits = u64();
        double d = 0;
        std::memcpy(&d, &bits, 8);
        if (!std::isfinite(d)) fail(decode_errc::bad_value, tag, at, "NaN or infinite float");
        return builder::make_float(d);
      }
      case etf::float_ext:
        return decode_old_float(at);
      case etf::small_big_ext:
      case etf::large_big_ext:
        return decode_big(tag, at);
      case etf::atom_ext:
      case etf::small_atom_ext:
      case etf::atom_utf8_ext:
      case etf::small_atom_utf8_ext:
        return term(decode_atom_body(tag, at));
      case etf::small_tuple_ext:
      case etf::large_tuple_ext:
        return decode_tuple(tag, at, depth);
      case etf::map_ext:
        return decode_map(at, depth);
      case etf::nil_ext:
        return term();
      case etf::string_ext:
        return decode_string(at);
      case etf::list_ext:
        return decode_list(at, depth);
      case etf::binary_ext:
      case etf::bit_binary_ext:
        return decode_binary(tag, at);
      case etf::new_pid_ext:
      case etf::pid_ext: {
        pid v;
        v.node = decode_atom(tag);
        need(tag == etf::new_pid_ext ? 12 : 9, tag);
        v.id = u32();
        v.serial = u32();
        v.creation = tag == etf::new_pid_ext ? u32() : u8();
        charge(sizeof(detail::pid_node), tag, at);
        return term(v);
      }
      case etf::new_port_ext:
      case etf::v4_port_ext:
      case etf::port_ext: {
        port v;
        v.node = decode_atom(tag);
        need(tag == etf::v4_port_ext ? 12 : tag == etf::new_port_ext ? 8 : 5, tag);
        v.id = tag == etf::v4_port_ext ? u64() : u32();
        v.creation = tag == etf::port_ext ? u8() : u32();
        charge(sizeof(detail::port_node), tag, at);
        return term(v);
      }
      case etf::newer_reference_ext:
      case etf::new_reference_ext:
      case etf::reference_ext:
        return decode_reference(tag, at);
      case etf::new_fun_ext:
        return decode_fun(at, depth);
      case etf::export_ext: {
        export_fun f;
        f.module = decode_atom(tag);
        f.function = decode_atom(tag);
        need(2, tag);
        if (u8() != etf::small_integer_ext) {
          fail(decode_errc::bad_value, tag, offset() - 1, "export arity must be SMALL_INTEGER_EXT");
        }
        f.arity = u8();
        charge(sizeof(detail::export_node), tag, at);
        return term(f);
      }
      case etf::local_ext:
        fail(decode_errc::unsupported, tag, at, "LOCAL_EXT is only accepted as the whole term");
      case etf::atom_cache_ref:
        fail(decode_errc::unsupported, tag, at, "ATOM_CACHE_REF outside a distribution header");
      case etf::compressed:
        fail(decode_errc::unsupported, tag, at, "compressed term nested inside a term");
      case etf::fun_ext:
        fail(decode_errc::unsupported, tag, at, "FUN_EXT (pre-R7 funs) is not supported");
      default:
        fail(decode_errc::unknown_tag, tag, at, "unknown tag");
    }
  }

 private:
  void check_depth(std::size_t depth, std::uint8_t tag, std::size_t at) const {
    std::size_t limit = std::min(options_.max_depth, max_decode_depth);
    if (depth >= limit) {
      fail(decode_errc::too_deep, tag, at,
           "nesting deeper than " + std::to_string(limit) +
               (limit < options_.max_depth ? " (max_decode_depth)" : " (max_depth)"));
    }
  }

  atom make_atom(std::string_view utf8, std::uint8_t tag, std::size_t at) const {
    if (options_.safe) {
      auto existing = valid_atom_name(utf8) ? atom::existing(utf8) : std::nullopt;
      if (!existing) fail(decode_errc::unknown_atom, tag, at, "atom does not exist (safe mode)");
      return *existing;
    }
    std::uint32_t index = 0;
    switch (detail::intern_input_atom(utf8, options_.max_decoded_atoms, index)) {
      case detail::input_atom::ok:
        return atom::from_index(index);
      case detail::input_atom::invalid:
        fail(decode_errc::bad_value, tag, at, "atom is not valid UTF-8 of at most 255 characters");
      case detail::input_atom::over_budget:
        fail(decode_errc::too_many_atoms, tag, at,
             "new atom refused: decoding has created " +
                 std::to_string(atoms_created_by_decoding()) +
                 " atoms, the limit decode_options::max_decoded_atoms is " +
                 std::to_string(options_.max_decoded_atoms));
      case detail::input_atom::table_full:
        break;
    }
    fail(decode_errc::too_large, tag, at,
         "atom table full (" + std::to_string(max_atoms) + " atoms)");
  }

  // The atom body after its tag byte.
  atom decode_atom_body(std::uint8_t tag, std::size_t at) {
    bool small = tag == etf::small_atom_ext || tag == etf::small_atom_utf8_ext;
    need(small ? 1 : 2, tag);
    std::size_t len = small ? u8() : u16();
    need(len, tag);
    std::string_view bytes(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    if (tag == etf::atom_ext || tag == etf::small_atom_ext) {
      if (len > 255) fail(decode_errc::bad_value, tag, at, "Latin-1 atom longer than 255");
      bool ascii = true;
      for (unsigned char c : bytes) ascii = ascii && c < 0x80;
      if (ascii) return make_atom(bytes, tag, at);
      std::string utf8;
      for (unsigned char c : bytes) detail::append_utf8(utf8, c);
      return make_atom(utf8, tag, at);
    }
    return make_atom(bytes, tag, at);
  }

  // An atom field inside a pid, port, reference or fun.
  atom decode_atom(std::uint8_t outer_tag) {
    std::size_t at = offset();
    need(1, outer_tag);
    std::uint8_t tag = u8();
    if (tag != etf::atom_ext && tag != etf::small_atom_ext && tag != etf::atom_utf8_ext &&
        tag != etf::small_atom_utf8_ext) {
      fail(decode_errc::bad_value, outer_tag, at, "expected an atom");
    }
    return decode_atom_body(tag, at);
  }

  term decode_old_float(std::size_t at) {
    constexpr std::uint8_t tag = etf::float_ext;
    need(31, tag);
    const char* s = reinterpret_cast<const char*>(p_);
    std::size_t len = 0;
    while (len < 31 && s[len] != '\0') ++len;
    p_ += 31;
    std::string_view text(s, len);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    double d = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(d)) {
      fail(decode_errc::bad_value, tag, at, "bad FLOAT_EXT text");
    }
    return builder::make_float(d);
  }

  term decode_big(std::uint8_t tag, std::size_t at) {
    bool small = tag == etf::small_big_ext;
    need(small ? 2 : 5, tag);
    std::size_t n = small ? u8() : u32();
    std::uint8_t sign = u8();
    if (sign > 1) fail(decode_errc::bad_value, tag, at, "big integer sign byte must be 0 or 1");
    need(n, tag);
    charge(n + sizeof(detail::big_node), tag, at);
    std::span<const std::uint8_t> mag(p_, n);
    p_ += n;
    if (n <= 8) {
      std::uint64_t v = 0;
      for (std::size_t i = n; i-- > 0;) v = (v << 8) | mag[i];
      if (v <= static_cast<std::uint64_t>(INT64_MAX)) {
        auto s = static_cast<std::int64_t>(v);
        return term(sign ? -s : s);
      }
    }
    return term(big_integer::from_le_bytes(sign != 0, mag));
  }

  term decode_tuple(std::uint8_t tag, std::size_t at, std::size_t depth) {
    bool small = tag == etf::small_tuple_ext;
    need(small ? 1 : 4, tag);
    std::size_t n = small ? u8() : u32();
    plausible_count(n, 1, tag, at);
    check_depth(depth, tag, at);
    charge(sizeof(detail::tuple_node) + n * sizeof(term), tag, at);
    auto* node = builder::new_tuple_uninit(n);
    term result = builder::adopt(ntag::tuple, node);  // owns the node if an element throws
    // Elements are constructed in place; size counts those constructed so far.
    for (std::size_t i = 0; i < n; ++i) {
      new (node->elements() + i) term(decode_elem(depth + 1));
      node->size = static_cast<std::uint32_t>(i + 1);
    }
    return result;
  }

  term decode_map(std::size_t at, std::size_t depth) {
    constexpr std::uint8_t tag = etf::map_ext;
    need(4, tag);
    std::size_t n = u32();
    plausible_count(n, 2, tag, at);
    check_depth(depth, tag, at);
    charge(sizeof(detail::map_node) + n * 2 * sizeof(term), tag, at);
    std::vector<std::pair<term, term>> entries;
    entries.reserve(n);
    bool sorted = true;
    for (std::size_t i = 0; i < n; ++i) {
      term k = decode_term(depth + 1);
      term v = decode_term(depth + 1);
      if (sorted && !entries.empty() && !(entries.back().first < k)) sorted = false;
      entries.emplace_back(std::move(k), std::move(v));
    }
    if (!sorted) {
      // Maps above 32 keys arrive in erl's hash order.
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t i = 1; i < entries.size(); ++i) {
        if (entries[i - 1].first == entries[i].first) {
          fail(decode_errc::duplicate_key, tag, at, "map has a duplicate key");
        }
      }
    }
    return builder::make_sorted_map(std::move(entries));
  }

  term decode_string(std::size_t at) {
    constexpr std::uint8_t tag = etf::string_ext;
    need(2, tag);
    std::size_t n = u16();
    need(n, tag);
    if (n == 0) return term();
    charge(sizeof(detail::list_node) + n * sizeof(term), tag, at);
    detail::list_node* node = builder::new_list(n);
    for (std::size_t i = 0; i < n; ++i) new (node->elements() + i) term(std::int64_t{p_[i]});
    node->size = n;
    node->boxed = false;
    node->numbers = true;
    p_ += n;
    return builder::adopt(ntag::list, node);
  }

  // Room for `more` elements; geometric so a chain of short LIST_EXTs stays linear.
  static void grow(std::vector<term>& v, std::size_t more) {
    if (v.capacity() - v.size() < more) v.reserve(std::max(v.size() + more, 2 * v.capacity()));
  }

  static std::uint32_t load32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
  }

  // LIST_EXT: the length is known, so the elements are decoded straight into the list's one
  // allocation (charged to the budget first; plausible_count has already bounded the length
  // by the bytes left). Integers, the usual bulk of a long list, are decoded inline.
  term decode_list(std::size_t at, std::size_t depth) {
    constexpr std::uint8_t tag = etf::list_ext;
    check_depth(depth, tag, at);
    need(4, tag);
    std::size_t n = u32();
    plausible_count(n, 1, tag, at);
    if (n == 0) return continue_list(at, depth, {});
    charge(sizeof(detail::list_node) + n * sizeof(term), tag, at);
    detail::list_node* node = builder::new_list(n);
    term result = builder::adopt(ntag::list, node);  // frees the node if an element throws
    term* out = node->elements();
    bool boxed = false;
    bool numbers = true;
    std::size_t i = 0;
    try {
      const std::uint8_t* p = p_;
      const std::uint8_t* const end = end_;
      for (; i < n; ++i) {
        auto left = static_cast<std::size_t>(end - p);
        if (left >= 5 && *p == etf::integer_ext) {
          new (out + i) term(static_cast<std::int32_t>(load32(p + 1)));
          p += 5;
        } else if (left >= 2 && *p == etf::small_integer_ext) {
          new (out + i) term(std::int64_t{p[1]});
          p += 2;
        } else {
          p_ = p;
          new (out + i) term(decode_term(depth + 1));
          p = p_;
          boxed = boxed || builder::is_boxed(out[i]);
          numbers = numbers && builder::is_number_or_nil(out[i]);
        }
      }
      p_ = p;
    } catch (...) {
      node->size = i;  // the elements constructed so far
      throw;
    }
    node->size = n;
    node->boxed = boxed;
    node->numbers = numbers;
    need(1, tag);
    if (*p_ == etf::list_ext || *p_ == etf::string_ext) {
      // [1, 2 | [3 | ...]] written as a chain (erl never writes one, but it is valid).
      std::vector<term> elems;
      elems.reserve(2 * n);
      for (std::size_t k = 0; k < n; ++k) elems.push_back(std::move(out[k]));
      return continue_list(at, depth, std::move(elems));
    }
    node->tail = decode_term(depth + 1);
    return result;
  }

  // The rest of a list whose elements so far are `elems`, from the tag of its tail. A tail
  // that is another LIST_EXT or a STRING_EXT continues the same list; read those in this loop
  // so a long chain costs no stack.
  term continue_list(std::size_t at, std::size_t depth, std::vector<term> elems) {
    constexpr std::uint8_t tag = etf::list_ext;
    for (;;) {
      need(1, tag);
      if (*p_ == etf::list_ext) {
        std::size_t here = offset();
        ++p_;
        need(4, tag);
        std::size_t n = u32();
        plausible_count(n, 1, tag, here);
        charge(n * sizeof(term), tag, here);
        grow(elems, n);
        for (std::size_t i = 0; i < n; ++i) elems.push_back(decode_elem(depth + 1));
        continue;
      }
      if (*p_ == etf::string_ext) {
        std::size_t sat = offset();
        ++p_;
        need(2, etf::string_ext);
        std::size_t len = u16();
        need(len, etf::string_ext);
        charge(len * sizeof(term), etf::string_ext, sat);
        grow(elems, len);
        for (std::size_t i = 0; i < len; ++i) elems.emplace_back(std::int64_t{p_[i]});
        p_ += len;
        if (!elems.empty()) charge(sizeof(detail::list_node), tag, at);
        return builder::make_list(std::move(elems), term());
      }
      break;
    }
    term tail = decode_term(depth + 1);
    if (!elems.empty()) charge(sizeof(detail::list_node), tag, at);
    return builder::make_list(std::move(elems), std::move(tail));
  }

  term decode_binary(std::uint8_t tag, std::size_t at) {
    bool bits = tag == etf::bit_binary_ext;
    need(bits ? 5 : 4, tag);
    std::size_t n = u32();
    std::uint8_t tail_bits = 8;
    if (bits) {
      tail_bits = u8();
      if (tail_bits < 1 || tail_bits > 8 || n == 0) {
        fail(decode_errc::bad_value, tag, at, "BIT_BINARY_EXT bits must be 1..8 with data");
      }
    }
    need(n, tag);
    if (owner_ != nullptr && !bits && n >= options_.share_min_bytes) {
      charge(sizeof(detail::shared_bits_node), tag, at);
      term t = builder::make_shared_binary(p_, n, *owner_);
      p_ += n;
      return t;
    }
    charge(n + sizeof(detail::bits_node), tag, at);
    std::uint8_t stored_bits = tail_bits == 8 ? 0 : tail_bits;
    auto* node = builder::new_bits(n, stored_bits);
    if (n != 0) std::memcpy(node->data(), p_, n);
    if (stored_bits != 0)
      node->data()[n - 1] &= static_cast<std::uint8_t>(0xFF << (8 - stored_bits));
    p_ += n;
    return builder::adopt(ntag::bits, node);
  }

  term decode_reference(std::uint8_t tag, std::size_t at) {
    reference r;
    std::size_t words = 1;
    if (tag != etf::reference_ext) {
      need(2, tag);
      words = u16();
      if (words < 1 || words > 5) {
        fail(decode_errc::bad_value, tag, at, "reference must have 1 to 5 words");
      }
    }
    r.node = decode_atom(tag);
    if (tag == etf::reference_ext) {
      need(5, tag);
      r.words[0] = u32();
      r.creation = u8();
    } else {
      need((tag == etf::newer_reference_ext ? 4 : 1) + 4 * words, tag);
      r.creation = tag == etf::newer_reference_ext ? u32() : u8();
      for (std::size_t i = 0; i < words; ++i) r.words[i] = u32();
    }
    r.size = static_cast<std::uint8_t>(words);
    charge(sizeof(detail::ref_node), tag, at);
    return term(r);
  }

  term decode_fun(std::size_t at, std::size_t depth) {
    constexpr std::uint8_t tag = etf::new_fun_ext;
    check_depth(depth, tag, at);
    need(4 + 1 + 16 + 4 + 4, tag);
    std::size_t size = u32();
    local_fun f;
    f.arity = u8();
    std::memcpy(f.uniq.data(), p_, 16);
    p_ += 16;
    f.index = u32();
    std::size_t num_free = u32();
    plausible_count(num_free, 1, tag, at);
    f.module = decode_atom(tag);
    f.old_index = decode_term(depth + 1);
    f.old_uniq = decode_term(depth + 1);
    if (!f.old_index.is_integer() || !f.old_uniq.is_integer()) {
      fail(decode_errc::bad_value, tag, at, "fun OldIndex and OldUniq must be integers");
    }
    f.creator = decode_term(depth + 1);
    if (!f.creator.is_pid()) fail(decode_errc::bad_value, tag, at, "fun creator must be a pid");
    charge(sizeof(detail::fun_node) + num_free * sizeof(term), tag, at);
    f.free_vars.reserve(num_free);
    for (std::size_t i = 0; i < num_free; ++i) f.free_vars.push_back(decode_term(depth + 1));
    if (size != offset() - at - 1) {
      fail(decode_errc::bad_value, tag, at,
           "NEW_FUN_EXT size field " + std::to_string(size) + " does not match its contents");
    }
    return term(f);
  }

  const std::uint8_t* begin_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  const decode_options& options_;
  bool compressed_;
  const std::shared_ptr<const void>* owner_;  // the input's owner (decode_shared), or null
  std::size_t spent_ = 0;
};

decode_result decode_compressed(std::span<const std::uint8_t> bytes,
                                const decode_options& options) {
  // bytes: 131, 80, size(4), zlib stream
  constexpr std::uint8_t tag = etf::compressed;
  if (bytes.size() < 6) {
    return decode_result(decode_error{decode_errc::truncated, tag, bytes.size(), false,
                                      "compressed header needs 6 bytes"});
  }
  std::size_t size = (std::size_t{bytes[2]} << 24) | (std::size_t{bytes[3]} << 16) |
                     (std::size_t{bytes[4]} << 8) | std::size_t{bytes[5]};
  if (size > options.max_bytes) {
    return decode_result(decode_error{
        decode_errc::too_large, tag, 2, false,
        "uncompressed size " + std::to_string(size) + " exceeds the allocation budget"});
  }
  if (size == 0) {
    return decode_result(
        decode_error{decode_errc::bad_compression, tag, 2, false, "uncompressed size is zero"});
  }
  std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[size]);
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) {
    return decode_result(
        decode_error{decode_errc::bad_compression, tag, 6, false, "inflateInit failed"});
  }
  zs.next_in = const_cast<Bytef*>(bytes.data() + 6);
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(bytes.size() - 6, UINT32_MAX));
  zs.next_out = buf.get();
  zs.avail_out = static_cast<uInt>(size);
  int rc = inflate(&zs, Z_FINISH);
  std::size_t produced = size - zs.avail_out;
  std::size_t used = 6 + (bytes.size() - 6 - zs.avail_in);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != size) {
    return decode_result(
        decode_error{decode_errc::bad_compression, tag, 6, false,
                     "zlib stream does not inflate to exactly " + std::to_string(size) + " bytes"});
  }
  if (!options.allow_trailing && used != bytes.size()) {
    return decode_result(decode_error{decode_errc::trailing_bytes, 0, used, false,
                                      "bytes after the compressed term"});
  }
  if (buf[0] == etf::local_ext) {
    return decode_result(local_term(std::vector<std::uint8_t>(buf.get(), buf.get() + size)), used);
  }
  decoder dec(std::span<const std::uint8_t>(buf.get(), size), options, true);
  try {
    dec.set_spent(size);
    term t = dec.decode_term(0);
    if (dec.remaining() != 0) {
      dec.fail(decode_errc::trailing_bytes, 0, dec.offset(),
               "inflated payload continues after the term");
    }
    return decode_result(std::move(t), used);
  } catch (const failure& f) {
    return decode_result(f.error);
  }
}

}  // namespace

namespace {

decode_result decode_impl(std::span<const std::uint8_t> bytes, const decode_options& options,
                          const std::shared_ptr<const void>* owner) {
  if (bytes.empty()) {
    return decode_result(decode_error{decode_errc::truncated, 0, 0, false, "empty input"});
  }
  if (bytes[0] != etf::version) {
    return decode_result(
        decode_error{decode_errc::bad_version, 0, 0, false,
                     "first byte is " + std::to_string(bytes[0]) + ", expected 131"});
  }
  if (bytes.size() >= 2 && bytes[1] == etf::compressed) return decode_compressed(bytes, options);
  if (bytes.size() >= 2 && bytes[1] == etf::local_ext) {
    // Opaque: only the node that wrote it can read it; keep every byte for re-encoding.
    return decode_result(local_term(std::vector<std::uint8_t>(bytes.begin() + 1, bytes.end())),
                         bytes.size());
  }
  decoder dec(bytes.subspan(1), options, false, owner);
  try {
    term t = dec.decode_term(0);
    std::size_t used = 1 + dec.offset();
    if (!options.allow_trailing && dec.remaining() != 0) {
      return decode_result(decode_error{decode_errc::trailing_bytes, 0, used, false,
                                        std::to_string(dec.remaining()) + " bytes after the term"});
    }
    return decode_result(std::move(t), used);
  } catch (failure& f) {
    f.error.offset += 1;  // the decoder counts from after the version byte
    return decode_result(std::move(f.error));
  }
}

}  // namespace

decode_result decode(std::span<const std::uint8_t> bytes, const decode_options& options) {
  return decode_impl(bytes, options, nullptr);
}

decode_result decode_shared(const shared_bytes& input, const decode_options& options) {
  return decode_impl(input.bytes, options, input.owner ? &input.owner : nullptr);
}

decode_result decode_shared(std::shared_ptr<const std::vector<std::uint8_t>> buffer,
                            const decode_options& options) {
  if (!buffer) return decode(std::span<const std::uint8_t>(), options);
  std::span<const std::uint8_t> bytes(*buffer);
  return decode_shared(shared_bytes{bytes, std::move(buffer)}, options);
}

term binary_to_term(std::span<const std::uint8_t> bytes, const decode_options& options) {
  decode_result r = decode(bytes, options);
  if (!r) throw decode_exception(r.error());
  return std::move(r).value();
}

}  // namespace bitactor::term
