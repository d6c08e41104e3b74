#include <zlib.h>

#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/detail/work_stack.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/external_format.hpp>
#include <cstring>
#include <memory>

namespace bitactor::term {
namespace {

using detail::builder;
using tag = builder::tag;

// True when erl would write this list as STRING_EXT (is_external_string in external.c).
bool is_external_string(const detail::list_node& n) noexcept {
  if (!n.tail.is_nil() || n.size >= 65536) return false;
  for (const term& e : n.items()) {
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

// A binary whose bytes the encoder leaves out of its buffer: `at` is where they belong.
struct binary_ref {
  std::size_t at;
  const detail::bits_node* node;
};

// Copies an atom name; most are short, and overlapping word copies beat a call to memcpy.
inline void copy_name(std::uint8_t* p, std::string_view name) noexcept {
  const char* s = name.data();
  std::size_t n = name.size();
  if (n >= 8 && n <= 16) {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a;
    std::uint32_t b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(s[i]);
  } else {
    std::memcpy(p, s, n);
  }
}

// Sub-terms still to size or write, in encoding order: a run of sibling terms (tuple or list
// elements, free variables, one tail) or a map's entries (key, value, key, ...). Kept on an
// explicit stack so a term nested 100,000 deep costs no C++ stack.
struct pending {
  const term* terms;
  const std::pair<term, term>* entries;
  std::size_t left;  // terms to go (for entries: keys and values to go)

  const term& next() noexcept {
    --left;
    if (terms != nullptr) return *terms++;
    return left % 2 == 1 ? entries->first : (entries++)->second;
  }
};
using pending_stack = detail::work_stack<pending>;

inline void push_terms(pending_stack& st, const term* t, std::size_t n) {
  if (n != 0) st.push({t, nullptr, n});
}

class encoder {
 public:
  explicit encoder(int minor) : minor_(minor) {}
  // Binaries of more than `copy_max` bytes are left out of size() and write(): write()
  // records them in `refs` instead of copying them.
  encoder(int minor, std::size_t copy_max, std::vector<binary_ref>* refs)
      : minor_(minor), copy_max_(copy_max), refs_(refs) {}

  /// One pass for a tuple of integers, atoms, floats and [] (the typical small message):
  /// written to `buf` with room checked per element, so no size pass is needed. Returns the
  /// end of what was written, or null when `t` is not such a tuple or does not fit.
  std::uint8_t* write_flat_tuple(std::uint8_t* buf, std::size_t room, const term& t) const {
    if (builder::tag_of(t) != tag::tuple || minor_ < 2) return nullptr;
    auto elems = tuple_elements(t);
    if (elems.size() >= 256 || room < 3) return nullptr;
    std::uint8_t* p = buf;
    std::uint8_t* end = buf + room;
    *p++ = etf::version;
    *p++ = etf::small_tuple_ext;
    *p++ = static_cast<std::uint8_t>(elems.size());
    for (const term& e : elems) {
      switch (builder::tag_of(e)) {
        case tag::small:
          if (end - p < 11) return nullptr;  // SMALL_BIG_EXT of 8 bytes at most
          p = write_elem(p, e);
          break;
        case tag::atom: {
          std::string_view name = atom::from_index(builder::atom_index(e)).name();
          if (name.size() > 255 || static_cast<std::size_t>(end - p) < 2 + name.size()) {
            return nullptr;
          }
          p = write_atom_elem(p, e);
          break;
        }
        case tag::flt:
        case tag::nil:
          if (end - p < 9) return nullptr;
          p = write(p, e);
          break;
        default:
          return nullptr;
      }
    }
    return p;
  }

  /// Bytes of the binaries size() left out.
  std::size_t referenced_bytes() const noexcept { return referenced_; }

  // Long lists of numbers are the one place where size() reading every element costs about
  // as much as writing them. With bounding on, size() charges such a list 11 bytes an element
  // (SMALL_BIG_EXT of 8 bytes, the widest small integer) without reading it, so one pass over
  // the elements is saved; the result is then an upper bound, and bounded() says so. Writing
  // needs exact sizes (NEW_FUN_EXT carries its own), so write() runs with bounding off.
  void bound_number_lists(bool on) noexcept { bounding_ = on; }
  bool bounded() const noexcept { return bounded_; }
  static constexpr std::size_t bounded_list_min = 1024;
  // Above this many elements the bound (up to 5.5x the real size for integers of 0..255) would
  // cost more memory than the saved pass is worth; such lists are sized exactly.
  static constexpr std::size_t bounded_list_max = (16u << 20) / 11;
  void set_base(const std::uint8_t* base) noexcept { base_ = base; }

  // Element of a container: small integers, the bulk of most lists and tuples, are handled
  // inline in the container's loop; atoms skip the dispatch of size()/write().
  [[gnu::always_inline]] std::size_t elem_size(const term& t) const {
    if (builder::tag_of(t) == tag::small) {
      std::int64_t v = builder::small(t);
      if (v >= INT32_MIN && v <= INT32_MAX) return static_cast<std::uint64_t>(v) <= 255 ? 2 : 5;
    }
    return other_elem_size(t);
  }
  [[gnu::always_inline]] std::uint8_t* write_elem(std::uint8_t* p, const term& t) const {
    if (builder::tag_of(t) == tag::small) {
      std::int64_t v = builder::small(t);
      if (static_cast<std::uint64_t>(v) <= 255) {
        p[0] = etf::small_integer_ext;
        p[1] = static_cast<std::uint8_t>(v);
        return p + 2;
      }
      if (v >= INT32_MIN && v <= INT32_MAX) {
        p[0] = etf::integer_ext;
        return put32(p + 1, static_cast<std::uint32_t>(v));
      }
    }
    return write_other_elem(p, t);
  }

  // Tuples: atoms inline too (a typical message is a tuple of atoms and integers).
  [[gnu::always_inline]] std::size_t tuple_elem_size(const term& t) const {
    if (builder::tag_of(t) == tag::atom) return atom_elem_size(t);
    return elem_size(t);
  }
  [[gnu::always_inline]] std::uint8_t* write_tuple_elem(std::uint8_t* p, const term& t) const {
    if (builder::tag_of(t) == tag::atom) return write_atom_elem(p, t);
    return write_elem(p, t);
  }

  [[gnu::always_inline]] std::size_t atom_elem_size(const term& t) const {
    if (minor_ >= 2) {
      std::size_t n = atom::from_index(builder::atom_index(t)).name().size();
      return n < 256 ? 2 + n : 3 + n;
    }
    return size(t);
  }
  [[gnu::always_inline]] std::uint8_t* write_atom_elem(std::uint8_t* p, const term& t) const {
    if (minor_ >= 2) {
      std::string_view name = atom::from_index(builder::atom_index(t)).name();
      if (name.size() < 256) {
        p[0] = etf::small_atom_utf8_ext;
        p[1] = static_cast<std::uint8_t>(name.size());
        p += 2;
        copy_name(p, name);
        return p + name.size();
      }
    }
    return write(p, t);
  }

  [[gnu::noinline]] std::size_t other_elem_size(const term& t) const {
    if (builder::tag_of(t) == tag::atom) return atom_elem_size(t);
    return size(t);
  }
  [[gnu::noinline]] std::uint8_t* write_other_elem(std::uint8_t* p, const term& t) const {
    if (builder::tag_of(t) == tag::atom) return write_atom_elem(p, t);
    return write(p, t);
  }

  // size() and write() recurse for the first kRecursionDepth levels, the fastest way for the
  // shallow terms nearly all messages are; a container below that is handled, with all it
  // holds, by size_deep() / write_deep(), which keep their work on an explicit stack. So a
  // term nested 100,000 deep costs a bounded C++ stack.
  static constexpr unsigned kRecursionDepth = 48;
  struct depth_guard {
    explicit depth_guard(unsigned& d) noexcept : d_(d) { ++d_; }
    ~depth_guard() { --d_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
    unsigned& d_;
  };

  std::size_t size(const term& t) const {
    switch (builder::tag_of(t)) {
      case tag::tuple: {
        if (depth_ >= kRecursionDepth) return size_deep(t);
        const depth_guard down(depth_);
        auto elems = tuple_elements(t);
        std::size_t n = elems.size() < 256 ? 2 : 5;
        for (const term& e : elems) n += tuple_elem_size(e);
        return n;
      }
      case tag::list: {
        if (depth_ >= kRecursionDepth) return size_deep(t);
        const depth_guard down(depth_);
        const auto& node = builder::as<detail::list_node>(t);
        if (bounding_ && node.numbers && node.size >= bounded_list_min &&
            node.size <= bounded_list_max) {
          bounded_ = true;
          return 5 + 11 * node.size + size(node.tail);
        }
        if (is_external_string(node)) return 3 + node.size;
        std::size_t n = 5 + size(node.tail);
        for (const term& e : node.items()) n += elem_size(e);
        return n;
      }
      case tag::map: {
        if (depth_ >= kRecursionDepth) return size_deep(t);
        const depth_guard down(depth_);
        std::size_t n = 5;
        for (const auto& [k, v] : t.as_map()) n += size(k) + size(v);
        return n;
      }
      case tag::fun: {
        if (depth_ >= kRecursionDepth) return size_deep(t);
        const depth_guard down(depth_);
        return 1 + fun_size(t.as_local_fun());
      }
      default:
        return leaf_size(t);
    }
  }

  std::uint8_t* write(std::uint8_t* p, const term& t) const {
    switch (builder::tag_of(t)) {
      case tag::tuple: {
        if (depth_ >= kRecursionDepth) return write_deep(p, t);
        const depth_guard down(depth_);
        auto elems = tuple_elements(t);
        p = write_tuple_header(p, elems.size());
        for (const term& e : elems) p = write_tuple_elem(p, e);
        return p;
      }
      case tag::list: {
        if (depth_ >= kRecursionDepth) return write_deep(p, t);
        const depth_guard down(depth_);
        const auto& node = builder::as<detail::list_node>(t);
        if (is_external_string(node)) return write_string(p, node);
        *p++ = etf::list_ext;
        p = put32(p, static_cast<std::uint32_t>(node.size));
        for (const term& e : node.items()) p = write_elem(p, e);
        return write(p, node.tail);
      }
      case tag::map: {
        if (depth_ >= kRecursionDepth) return write_deep(p, t);
        const depth_guard down(depth_);
        auto entries = t.as_map();
        *p++ = etf::map_ext;
        p = put32(p, static_cast<std::uint32_t>(entries.size()));
        for (const auto& [k, v] : entries) p = write(write(p, k), v);
        return p;
      }
      case tag::fun: {
        if (depth_ >= kRecursionDepth) return write_deep(p, t);
        const depth_guard down(depth_);
        return write_fun(p, t.as_local_fun());
      }
      default:
        return write_leaf(p, t);
    }
  }

  std::size_t size_deep(const term& t) const {
    pending_stack todo;
    std::size_t n = shallow_size(t, todo);
    while (!todo.empty()) {
      // Siblings that have no children are summed in this inner loop; the first one that
      // pushes children ends it, since `f` may move when the stack grows.
      pending& f = todo.top();
      for (;;) {
        const term& e = f.next();
        bool last = f.left == 0;
        if (last) todo.pop();
        tag et = builder::tag_of(e);
        if (et == tag::small || et == tag::atom) {
          n += elem_size(e);
          if (last) break;
          continue;
        }
        n += shallow_size(e, todo);
        break;
      }
    }
    return n;
  }

  // The size of `t` without its sub-terms, which go on `todo`.
  std::size_t shallow_size(const term& t, pending_stack& todo) const {
    switch (builder::tag_of(t)) {
      case tag::tuple: {
        auto elems = tuple_elements(t);
        push_terms(todo, elems.data(), elems.size());
        return elems.size() < 256 ? 2 : 5;
      }
      case tag::list: {
        const auto& node = builder::as<detail::list_node>(t);
        if (bounding_ && node.numbers && node.size >= bounded_list_min &&
            node.size <= bounded_list_max) {
          bounded_ = true;
          push_terms(todo, &node.tail, 1);
          return 5 + 11 * node.size;
        }
        if (is_external_string(node)) return 3 + node.size;
        push_terms(todo, &node.tail, 1);
        push_terms(todo, node.elements(), node.size);
        return 5;
      }
      case tag::map: {
        auto entries = t.as_map();
        if (!entries.empty()) todo.push({nullptr, entries.data(), 2 * entries.size()});
        return 5;
      }
      case tag::fun: {
        const local_fun& f = t.as_local_fun();
        push_fun_fields(todo, f);
        return 1 + fun_header_size(f);
      }
      default:
        return leaf_size(t);
    }
  }

  std::uint8_t* write_deep(std::uint8_t* p, const term& t) const {
    pending_stack todo;
    p = write_shallow(p, t, todo);
    while (!todo.empty()) {
      // As in size(): leaves in the inner loop, the first container ends it.
      pending& f = todo.top();
      for (;;) {
        const term& e = f.next();
        bool last = f.left == 0;
        if (last) todo.pop();
        tag et = builder::tag_of(e);
        if (et == tag::small || et == tag::atom) {
          p = write_tuple_elem(p, e);
          if (last) break;
          continue;
        }
        p = write_shallow(p, e, todo);
        break;
      }
    }
    return p;
  }

  // Writes `t` without its sub-terms, which go on `todo` to be written next, in order.
  std::uint8_t* write_shallow(std::uint8_t* p, const term& t, pending_stack& todo) const {
    switch (builder::tag_of(t)) {
      case tag::tuple: {
        auto elems = tuple_elements(t);
        p = write_tuple_header(p, elems.size());
        push_terms(todo, elems.data(), elems.size());
        return p;
      }
      case tag::list: {
        const auto& node = builder::as<detail::list_node>(t);
        if (is_external_string(node)) return write_string(p, node);
        *p++ = etf::list_ext;
        p = put32(p, static_cast<std::uint32_t>(node.size));
        push_terms(todo, &node.tail, 1);
        push_terms(todo, node.elements(), node.size);
        return p;
      }
      case tag::map: {
        auto entries = t.as_map();
        *p++ = etf::map_ext;
        p = put32(p, static_cast<std::uint32_t>(entries.size()));
        if (!entries.empty()) todo.push({nullptr, entries.data(), 2 * entries.size()});
        return p;
      }
      case tag::fun:
        return write_fun(p, t.as_local_fun(), todo);
      default:
        return write_leaf(p, t);
    }
  }

 private:
  static std::span<const term> tuple_elements(const term& t) noexcept {
    auto& n = const_cast<detail::tuple_node&>(builder::as<detail::tuple_node>(t));
    return {n.elements(), n.size};
  }
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

  // The terms without sub-terms: the same for the recursive and the explicit-stack paths.
  std::size_t leaf_size(const term& t) const {
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
      case tag::bits: {
        const auto& node = builder::as<detail::bits_node>(t);
        std::size_t header = node.tail_bits == 0 ? 5 : 6;
        if (node.byte_size > copy_max_) {
          referenced_ += node.byte_size;
          return header;
        }
        return header + node.byte_size;
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
      case tag::exp: {
        const export_fun& f = t.as_export();
        return 1 + atom_size(f.module, minor_) + atom_size(f.function, minor_) + 2;
      }
      case tag::local:
        return t.as_local().size();
      default:  // containers: size() and shallow_size() handle them
        return 0;
    }
  }

  std::uint8_t* write_leaf(std::uint8_t* p, const term& t) const {
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
        if (node.byte_size > copy_max_) {
          refs_->push_back({static_cast<std::size_t>(p - base_), &node});
          return p;
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
      default:  // containers: write() and write_shallow() handle them
        return p;
    }
  }

  static std::uint8_t* write_tuple_header(std::uint8_t* p, std::size_t arity) noexcept {
    if (arity < 256) {
      *p++ = etf::small_tuple_ext;
      *p++ = static_cast<std::uint8_t>(arity);
      return p;
    }
    *p++ = etf::large_tuple_ext;
    return put32(p, static_cast<std::uint32_t>(arity));
  }

  static std::uint8_t* write_string(std::uint8_t* p, const detail::list_node& node) noexcept {
    *p++ = etf::string_ext;
    p = put16(p, static_cast<std::uint16_t>(node.size));
    for (const term& e : node.items()) *p++ = static_cast<std::uint8_t>(builder::small(e));
    return p;
  }

  // NEW_FUN_EXT's fixed part (its size field included) and module atom.
  std::size_t fun_header_size(const local_fun& f) const {
    return 4 + 1 + 16 + 4 + 4 + atom_size(f.module, minor_);
  }

  // old_index, old_uniq, creator, then the free variables, in that order when popped.
  static void push_fun_fields(pending_stack& todo, const local_fun& f) {
    push_terms(todo, f.free_vars.data(), f.free_vars.size());
    push_terms(todo, &f.creator, 1);
    push_terms(todo, &f.old_uniq, 1);
    push_terms(todo, &f.old_index, 1);
  }

  // The fields after the tag byte, which NEW_FUN_EXT's size field counts.
  std::size_t fun_size(const local_fun& f) const {
    std::size_t n = fun_header_size(f) + size(f.old_index) + size(f.old_uniq) + size(f.creator);
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

  std::uint8_t* write_fun(std::uint8_t* p, const local_fun& f, pending_stack& todo) const {
    *p++ = etf::new_fun_ext;
    p = put32(p, static_cast<std::uint32_t>(fun_size(f)));
    *p++ = f.arity;
    std::memcpy(p, f.uniq.data(), 16);
    p += 16;
    p = put32(p, f.index);
    p = put32(p, static_cast<std::uint32_t>(f.free_vars.size()));
    p = write_atom(p, f.module);
    push_fun_fields(todo, f);
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
  std::size_t copy_max_ = SIZE_MAX;
  std::vector<binary_ref>* refs_ = nullptr;
  const std::uint8_t* base_ = nullptr;
  mutable std::size_t referenced_ = 0;
  bool bounding_ = false;
  mutable bool bounded_ = false;
  mutable unsigned depth_ = 0;  // containers size() or write() is inside
};

// Binaries larger than this are copied straight from the term into their final place rather
// than through a zero-filled buffer (std::vector has no uninitialised resize).
constexpr std::size_t flat_copy_max = 4096;

// The most an encoding sized by a bound (see encoder::bound_number_lists) may set aside.
constexpr std::size_t bounded_total_max = 64u << 20;

// The encoding of `t` without its large binaries: `buf` holds the version byte and
// everything else, `refs` where each binary goes (ascending offsets into buf).
struct pieces {
  std::unique_ptr<std::uint8_t[]> buf;
  std::size_t buf_size = 0;
  std::size_t total = 0;  // buf_size plus the referenced bytes
  std::vector<binary_ref> refs;
};

pieces encode_pieces(const term& t, int minor, std::size_t copy_max) {
  pieces out;
  encoder enc(minor, copy_max, &out.refs);
  out.buf_size = 1 + enc.size(t);
  out.total = out.buf_size + enc.referenced_bytes();
  out.buf.reset(new std::uint8_t[out.buf_size]);
  enc.set_base(out.buf.get());
  out.buf[0] = etf::version;
  enc.write(out.buf.get() + 1, t);
  return out;
}

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
  if (!options.compressed) {
    std::uint8_t flat[256];
    if (std::uint8_t* end = encoder(options.minor_version).write_flat_tuple(flat, sizeof flat, t)) {
      out.insert(out.end(), flat, end);
      return;
    }
    std::vector<binary_ref> refs;
    encoder enc(options.minor_version, flat_copy_max, &refs);
    enc.bound_number_lists(true);
    std::size_t n = 1 + enc.size(t);
    enc.bound_number_lists(false);
    if (enc.bounded() && n > bounded_total_max) {  // many long lists: size them exactly
      enc = encoder(options.minor_version, flat_copy_max, &refs);
      n = 1 + enc.size(t);
    }
    std::size_t start = out.size();
    if (enc.referenced_bytes() == 0 && !enc.bounded()) {  // the usual case: write in place
      out.resize(start + n);
      std::uint8_t* p = out.data() + start;
      *p++ = etf::version;
      enc.write(p, t);
      return;
    }
    // Large binaries, or a size that is only a bound: write the rest aside (uninitialised
    // memory, unlike a vector's), then append each piece once.
    std::size_t referenced = enc.referenced_bytes();  // before write(), which may add to it
    std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[n]);
    buf[0] = etf::version;
    enc.set_base(buf.get());
    std::size_t written = static_cast<std::size_t>(enc.write(buf.get() + 1, t) - buf.get());
    out.reserve(start + written + referenced);
    std::size_t done = 0;
    for (const binary_ref& r : refs) {
      out.insert(out.end(), buf.get() + done, buf.get() + r.at);
      out.insert(out.end(), r.node->data(), r.node->data() + r.node->byte_size);
      done = r.at;
    }
    out.insert(out.end(), buf.get() + done, buf.get() + written);
    return;
  }
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

encoded_iovec encode_iovec(const term& t, const encode_options& options) {
  encoded_iovec v;
  v.root_ = t;  // keeps the referenced binaries alive
  if (options.compressed) {
    v.own_.push_back(encode(t, options));
    v.size_ = v.own_.back().size();
    v.segments_.emplace_back(v.own_.back());
    return v;
  }
  pieces parts = encode_pieces(t, options.minor_version, options.iovec_copy_max);
  v.size_ = parts.total;
  v.buf_ = std::move(parts.buf);
  const std::uint8_t* buf = v.buf_.get();
  std::size_t done = 0;
  v.segments_.reserve(2 * parts.refs.size() + 1);
  for (const binary_ref& r : parts.refs) {
    if (r.at != done) v.segments_.emplace_back(buf + done, r.at - done);
    if (r.node->byte_size != 0) v.segments_.emplace_back(r.node->data(), r.node->byte_size);
    done = r.at;
  }
  if (parts.buf_size != done) v.segments_.emplace_back(buf + done, parts.buf_size - done);
  return v;
}

std::vector<std::uint8_t> encoded_iovec::flatten() const {
  std::vector<std::uint8_t> out;
  out.reserve(size_);
  for (auto s : segments_) out.insert(out.end(), s.begin(), s.end());
  return out;
}

std::vector<std::uint8_t> encode(const term& t, const encode_options& options) {
  std::vector<std::uint8_t> out;
  encode_append(out, t, options);
  return out;
}

}  // namespace bitactor::term
