// Heap nodes behind boxed terms. Internal to the term layer (codec, order, print); not part
// of the public API.
#pragma once

#include <atomic>
#include <bitactor/term/term.hpp>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <vector>

namespace bitactor::term::detail {

struct node {
  // Relaxed increments, acq_rel decrement: the usual shared-ownership protocol.
  std::atomic<std::uint32_t> refs{1};
};

struct big_node : node {
  big_integer value;
};

// Elements follow the header in the same allocation.
struct alignas(alignof(term)) tuple_node : node {
  std::uint32_t size = 0;
  term* elements() noexcept { return reinterpret_cast<term*>(this + 1); }
};

// Elements follow the header in the same allocation, so a decoded 100,000-element list is
// one allocation filled in place.
struct alignas(alignof(term)) list_node : node {
  bool boxed = true;     // false when no element is boxed: destruction skips the elements
  bool numbers = false;  // true only if every element is a small integer, a float or []: the
                         // encoder then bounds the list's size without reading it
  std::size_t size = 0;  // never 0 once built
  term tail;             // never a non-empty list
  term* elements() noexcept { return reinterpret_cast<term*>(this + 1); }
  const term* elements() const noexcept { return reinterpret_cast<const term*>(this + 1); }
  std::span<const term> items() const noexcept { return {elements(), size}; }
};

struct map_node : node {
  std::vector<std::pair<term, term>> entries;  // sorted by key, keys unique (operator<=>)
};

// Bytes follow the header in the same allocation, or (shared_bits_node) live in a buffer the
// node keeps alive.
struct bits_node : node {
  bool shared = false;         // a shared_bits_node
  std::uint8_t tail_bits = 0;  // bits used in the last byte, 0 when the size is whole bytes
  std::size_t byte_size = 0;
  std::uint8_t* bytes = nullptr;
  std::uint8_t* data() noexcept { return bytes; }
  const std::uint8_t* data() const noexcept { return bytes; }
};

// A binary that is a slice of a buffer owned elsewhere (decode() of a shared_bytes input).
struct shared_bits_node : bits_node {
  std::shared_ptr<const void> owner;
};

struct pid_node : node {
  pid value;
};
struct port_node : node {
  port value;
};
struct ref_node : node {
  reference value;
};
struct fun_node : node {
  local_fun value;
};
struct export_node : node {
  export_fun value;
};
struct local_node : node {
  std::vector<std::uint8_t> bytes;
};

/// Direct access for the codec and the comparison code.
struct builder {
  using tag = term::tag;
  static tag tag_of(const term& t) noexcept { return t.tag_; }
  static node* node_of(const term& t) noexcept { return t.node_; }
  template <class N>
  static const N& as(const term& t) noexcept {
    return *static_cast<const N*>(t.node_);
  }
  static std::int64_t small(const term& t) noexcept { return t.small_; }
  static double flt(const term& t) noexcept { return t.float_; }
  static std::uint32_t atom_index(const term& t) noexcept { return t.atom_; }

  /// Drops `t`'s reference and leaves `t` as []. Returns the node when that was the last
  /// reference, for the caller to destroy (so that destroying a deep term needs no recursion);
  /// null otherwise. Same ordering protocol as term::release_node.
  static node* detach(term& t, tag& tg) noexcept {
    if (!t.boxed()) return nullptr;
    node* n = t.node_;
    tg = t.tag_;
    t.tag_ = tag::nil;
    if (n->refs.load(std::memory_order_acquire) != 1 &&
        n->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) {
      return nullptr;
    }
    return n;
  }

  static term adopt(tag tg, node* n) noexcept {
    term t;
    t.tag_ = tg;
    t.node_ = n;
    return t;
  }
  /// A float without the finiteness check (callers have checked).
  static term make_float(double d) noexcept {
    term t;
    t.tag_ = tag::flt;
    t.float_ = d;
    return t;
  }

  /// A tuple node with `n` elements default-constructed to [].
  static tuple_node* new_tuple(std::size_t n);
  /// Room for a tuple of `n` elements, none constructed and size 0: the caller constructs
  /// them in order and sets size to the number constructed.
  static tuple_node* new_tuple_uninit(std::size_t n);
  /// A bitstring node of `bytes` bytes, contents uninitialised.
  static bits_node* new_bits(std::size_t bytes, std::uint8_t tail_bits);
  /// A binary of `size` bytes at `data`, which `owner` keeps alive (not copied).
  static term make_shared_binary(const std::uint8_t* data, std::size_t size,
                                 std::shared_ptr<const void> owner);
  /// Room for `n` elements, none constructed yet: the caller constructs them in order, sets
  /// size to the number constructed and boxed to whether any is boxed.
  static list_node* new_list(std::size_t n);
  static bool is_boxed(const term& t) noexcept { return t.boxed(); }
  /// What list_node::numbers admits: at most 11 encoded bytes, and no atom name to read.
  static bool is_number_or_nil(const term& t) noexcept {
    return t.tag_ == tag::small || t.tag_ == tag::flt || t.tag_ == tag::nil;
  }
  /// Takes ownership of elements (non-empty) and tail; flattens a list tail.
  static term make_list(std::vector<term>&& elements, term&& tail);
  /// Entries already sorted and unique.
  static term make_sorted_map(std::vector<std::pair<term, term>>&& entries);
};

}  // namespace bitactor::term::detail
