#include <zlib.h>

#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/external_format.hpp>
#include <cstring>

namespace bitactor::term {
namespace {

using detail::builder;
using tag = builder::tag;

// True when erl would write this list as STRING_EXT (is_external_string in external.c).
bool is_external_string(const detail::list_node& n) noexcept {
  if (!n.tail.is_nil() || n.elements.size() >= 65536) return false;
  for (const term& e : n.elements) {
    if (builder::tag_of(e) != tag::small) return false;
    auto v = static_cast<std::uint64_t>(builder::small(e));
    if (v > 255) return false;
  }
  return true;
}

// erts writes NEW_PORT_EXT only for port numbers of at most 28 bits (the pre-OTP-24 limit).
bool wide_port(std::uint64_t id) noexcept { return id > 0x0FFFFFFF; }

std::size_t atom_size(atom a, int minor) noexcept {
  std::string_view name = a.name();
  if (minor < 2 && a.is_latin1()) {
    // ATOM_EXT with the name converted to Latin-1 (one byte per character).
    std::size_t chars = 0;
    for (unsigned char c : name) chars += (c & 0xC0) != 0x80;
    return 3 + chars;
  }
  return name.size() < 256 ? 2 + name.size() : 3 + name.size();
}

inline std::size_t integer_size(const term& t) noexcept {
  if (builder::tag_of(t) == tag::small) {
    std::int64_t v = builder::small(t);
    if (v >= 0 && v <= 255) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 5;
    auto mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    std::size_t n = 0;
    while (mag != 0) {
      ++n;
      mag >>= 8;
    }
    return 3 + n;
  }
  std::size_t n = builder::as<detail::big_node>(t).value.byte_size();
  return n < 256 ? 3 + n : 6 + n;
}

class encoder {
 public:
  explicit encoder(int minor) : minor_(minor) {}

  // Element of a container: integers, the bulk of most lists and tuples, skip the dispatch.
  std::size_t elem_size(const term& t) const {
    if (builder::tag_of(t) == tag::small) return integer_size(t);
    return size(t);
  }
  std::uint8_t* write_elem(std::uint8_t* p, const term& t) const {
    if (builder::tag_of(t) == tag::small) return write_integer(p, t);
    return write(p, t);
  }

  std::size_t size(const term& t) const {
    switch (builder::tag_of(t)) {
      case tag::small:
      case tag::big:
        return integer_size(t);
      case tag::flt:
        return 9;
      case tag::atom:
        return atom_size(atom::from_index(builder::atom_index(t)), minor_);
      case tag::nil:
        return 1;
      case tag::tuple: {
        auto elems = t.as_tuple();
        std::size_t n = elems.size() < 256 ? 2 : 5;
        for (const term& e : elems) n += elem_size(e);
        return n;
      }
      case tag::list: {
        const auto& node = builder::as<detail::list_node>(t);
        if (is_external_string(node)) return 3 + node.elements.size();
        std::size_t n = 5 + size(node.tail);
        for (const term& e : node.elements) n += elem_size(e);
        return n;
      }
      case tag::map: {
        std::size_t n = 5;
        for (const auto& [k, v] : t.as_map()) n += size(k) + size(v);
        return n;
      }
      case tag::bits: {
        const auto& node = builder::as<detail::bits_node>(t);
        return (node.tail_bits == 0 ? 5 : 6) + node.byte_size;
      }
      case tag::pid:
        return 1 + atom_size(t.as_pid().node, minor_) + 12;
      case tag::port: {
        const port& p = t.as_port();
        return 1 + atom_size(p.node, minor_) + (wide_port(p.id) ? 12 : 8);
      }
      case tag::ref: {
        const reference& r = t.as_reference();
        return 3 + atom_size(r.node, minor_) + 4 + 4 * std::size_t{r.size};
      }
      case tag::fun:
        return 1 + fun_size(t.as_local_fun());
      case tag::exp: {
        const export_fun& f = t.as_export();
        return 1 + atom_size(f.module, minor_) + atom_size(f.function, minor_) + 2;
      }
      case tag::local:
        return t.as_local().size();
    }
    return 0;
  }

  std::uint8_t* write(std::uint8_t* p, const term& t) const {
    switch (builder::tag_of(t)) {
      case tag::small:
      case tag::big:
        return write_integer(p, t);
      case tag::flt: {
        *p++ = etf::new_float_ext;
        std::uint64_t bits = 0;
        double d = builder::flt(t);
        std::memcpy(&bits, &d, 8);
        return put64(p, bits);
      }
      case tag::atom:
        return write_atom(p, atom::from_index(builder::atom_index(t)));
      case tag::nil:
        *p++ = etf::nil_ext;
        return p;
      case tag::tuple: {
        auto elems = t.as_tuple();
        if (elems.size() < 256) {
          *p++ = etf::small_tuple_ext;
          *p++ = static_cast<std::uint8_t>(elems.size());
        } else {
          *p++ = etf::large_tuple_ext;
          p = put32(p, static_cast<std::uint32_t>(elems.size()));
        }
        for (const term& e : elems) p = write_elem(p, e);
        return p;
      }
      case tag::list: {
        const auto& node = builder::as<detail::list_node>(t);
        if (is_external_string(node)) {
          *p++ = etf::string_ext;
          p = put16(p, static_cast<std::uint16_t>(node.elements.size()));
          for (const term& e : node.elements) *p++ = static_cast<std::uint8_t>(builder::small(e));
          return p;
        }
        *p++ = etf::list_ext;
        p = put32(p, static_cast<std::uint32_t>(node.elements.size()));
        for (const term& e : node.elements) p = write_elem(p, e);
        return write(p, node.tail);
      }
      case tag::map: {
        auto entries = t.as_map();
        *p++ = etf::map_ext;
        p = put32(p, static_cast<std::uint32_t>(entries.size()));
        for (const auto& [k, v] : entries) p = write(write(p, k), v);
        return p;
      }
      case tag::bits: {
        auto& node = const_cast<detail::bits_node&>(builder::as<detail::bits_node>(t));
        if (node.tail_bits == 0) {
          *p++ = etf::binary_ext;
          p = put32(p, static_cast<std::uint32_t>(node.byte_size));
        } else {
          *p++ = etf::bit_binary_ext;
          p = put32(p, static_cast<std::uint32_t>(node.byte_size));
          *p++ = node.tail_bits;
        }
        if (node.byte_size != 0) std::memcpy(p, node.data(), node.byte_size);
        return p + node.byte_size;
      }
      case tag::pid: {
        const pid& v = t.as_pid();
        *p++ = etf::new_pid_ext;
        p = write_atom(p, v.node);
        p = put32(p, v.id);
        p = put32(p, v.serial);
        return put32(p, v.creation);
      }
      case tag::port: {
        const port& v = t.as_port();
        bool wide = wide_port(v.id);
        *p++ = wide ? etf::v4_port_ext : etf::new_port_ext;
        p = write_atom(p, v.node);
        p = wide ? put64(p, v.id) : put32(p, static_cast<std::uint32_t>(v.id));
        return put32(p, v.creation);
      }
      case tag::ref: {
        const reference& r = t.as_reference();
        *p++ = etf::newer_reference_ext;
        p = put16(p, r.size);
        p = write_atom(p, r.node);
        p = put32(p, r.creation);
        for (std::uint32_t w : r.ids()) p = put32(p, w);
        return p;
      }
      case tag::fun:
        return write_fun(p, t.as_local_fun());
      case tag::exp: {
        const export_fun& f = t.as_export();
        *p++ = etf::export_ext;
        p = write_atom(p, f.module);
        p = write_atom(p, f.function);
        *p++ = etf::small_integer_ext;
        *p++ = f.arity;
        return p;
      }
      case tag::local: {
        auto bytes = t.as_local();
        std::memcpy(p, bytes.data(), bytes.size());
        return p + bytes.size();
      }
    }
    return p;
  }

 private:
  static std::uint8_t* put16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
    return p + 2;
  }
  static std::uint8_t* put32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
    return p + 4;
  }
  static std::uint8_t* put64(std::uint8_t* p, std::uint64_t v) noexcept {
    p = put32(p, static_cast<std::uint32_t>(v >> 32));
    return put32(p, static_cast<std::uint32_t>(v));
  }

  std::size_t fun_size(const local_fun& f) const {
    std::size_t n = 4 + 1 + 16 + 4 + 4 + atom_size(f.module, minor_) + size(f.old_index) +
                    size(f.old_uniq) + size(f.creator);
    for (const term& v : f.free_vars) n += size(v);
    return n;
  }

  std::uint8_t* write_fun(std::uint8_t* p, const local_fun& f) const {
    *p++ = etf::new_fun_ext;
    p = put32(p, static_cast<std::uint32_t>(fun_size(f)));
    *p++ = f.arity;
    std::memcpy(p, f.uniq.data(), 16);
    p += 16;
    p = put32(p, f.index);
    p = put32(p, static_cast<std::uint32_t>(f.free_vars.size()));
    p = write_atom(p, f.module);
    p = write(p, f.old_index);
    p = write(p, f.old_uniq);
    p = write(p, f.creator);
    for (const term& v : f.free_vars) p = write(p, v);
    return p;
  }

  std::uint8_t* write_atom(std::uint8_t* p, atom a) const noexcept {
    std::string_view name = a.name();
    if (minor_ < 2 && a.is_latin1()) {
      std::uint8_t* len_at = p + 1;
      *p = etf::atom_ext;
      p += 3;
      std::size_t chars = 0;
      for (std::size_t i = 0; i < name.size(); ++i, ++chars) {
        auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x80) {
          *p++ = c;
        } else {  // two-byte UTF-8 sequence of a code point below 256
          *p++ = static_cast<std::uint8_t>(((c & 0x03) << 6) | (name[i + 1] & 0x3F));
          ++i;
        }
      }
      put16(len_at, static_cast<std::uint16_t>(chars));
      return p;
    }
    if (name.size() < 256) {
      *p++ = etf::small_atom_utf8_ext;
      *p++ = static_cast<std::uint8_t>(name.size());
    } else {
      *p++ = etf::atom_utf8_ext;
      p = put16(p, static_cast<std::uint16_t>(name.size()));
    }
    std::memcpy(p, name.data(), name.size());
    return p + name.size();
  }

  static std::uint8_t* write_integer(std::uint8_t* p, const term& t) {
    if (builder::tag_of(t) == tag::small) {
      std::int64_t v = builder::small(t);
      if (v >= 0 && v <= 255) {
        p[0] = etf::small_integer_ext;
        p[1] = static_cast<std::uint8_t>(v);
        return p + 2;
      }
      if (v >= INT32_MIN && v <= INT32_MAX) {
        *p++ = etf::integer_ext;
        return put32(p, static_cast<std::uint32_t>(v));
      }
    }
    return write_wide_integer(p, t);
  }

  static std::uint8_t* write_wide_integer(std::uint8_t* p, const term& t) {
    if (builder::tag_of(t) == tag::small) {
      std::int64_t v = builder::small(t);
      if (v >= 0 && v <= 255) {
        *p++ = etf::small_integer_ext;
        *p++ = static_cast<std::uint8_t>(v);
        return p;
      }
      if (v >= INT32_MIN && v <= INT32_MAX) {
        *p++ = etf::integer_ext;
        return put32(p, static_cast<std::uint32_t>(v));
      }
      auto mag = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
      *p++ = etf::small_big_ext;
      std::uint8_t* n_at = p++;
      *p++ = v < 0 ? 1 : 0;
      std::uint8_t n = 0;
      while (mag != 0) {
        *p++ = static_cast<std::uint8_t>(mag);
        mag >>= 8;
        ++n;
      }
      *n_at = n;
      return p;
    }
    const big_integer& b = builder::as<detail::big_node>(t).value;
    std::size_t n = b.byte_size();
    if (n < 256) {
      *p++ = etf::small_big_ext;
      *p++ = static_cast<std::uint8_t>(n);
    } else {
      *p++ = etf::large_big_ext;
      p = put32(p, static_cast<std::uint32_t>(n));
    }
    *p++ = b.negative() ? 1 : 0;
    b.write_le_bytes(p);
    return p + n;
  }

  int minor_;
};

// Same rule as erts_term_to_binary: compress into a buffer 5 bytes smaller than the
// uncompressed payload; if zlib cannot fit it there, send the payload uncompressed.
void compress_into(std::vector<std::uint8_t>& out, std::size_t start, int level) {
  std::size_t payload = out.size() - start - 1;  // without the version byte
  if (payload < 5) return;
  uLongf dest_len = static_cast<uLongf>(payload - 5);
  std::vector<std::uint8_t> dest(payload - 5 + 1);
  int rc =
      compress2(dest.data(), &dest_len, out.data() + start + 1, static_cast<uLong>(payload), level);
  if (rc != Z_OK) return;
  out.resize(start + 6 + dest_len);
  out[start + 1] = etf::compressed;
  out[start + 2] = static_cast<std::uint8_t>(payload >> 24);
  out[start + 3] = static_cast<std::uint8_t>(payload >> 16);
  out[start + 4] = static_cast<std::uint8_t>(payload >> 8);
  out[start + 5] = static_cast<std::uint8_t>(payload);
  std::memcpy(out.data() + start + 6, dest.data(), dest_len);
}

}  // namespace

std::size_t encoded_size(const term& t, const encode_options& options) {
  return 1 + encoder(options.minor_version).size(t);
}

void encode_append(std::vector<std::uint8_t>& out, const term& t, const encode_options& options) {
  encoder enc(options.minor_version);
  std::size_t n = 1 + enc.size(t);
  if (n - 1 > UINT32_MAX && options.compressed) throw term_error("term too large to compress");
  std::size_t start = out.size();
  out.resize(start + n);
  std::uint8_t* p = out.data() + start;
  *p++ = etf::version;
  enc.write(p, t);
  if (options.compressed && options.level > 0) {
    compress_into(out, start, options.level > 9 ? 9 : options.level);
  }
}

std::vector<std::uint8_t> encode(const term& t, const encode_options& options) {
  std::vector<std::uint8_t> out;
  encode_append(out, t, options);
  return out;
}

}  // namespace bitactor::term
