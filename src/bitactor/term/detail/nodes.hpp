// Heap nodes behind boxed terms. Internal to the term layer (codec, order, print); not part
// of the public API.
#pragma once

#include <atomic>
#include <bitactor/term/term.hpp>
#include <cstdint>
#include <new>
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

struct list_node : node {
  std::vector<term> elements;  // never empty
  term tail;                   // never a non-empty list
};

struct map_node : node {
  std::vector<std::pair<term, term>> entries;  // sorted by key, keys unique (operator<=>)
};

// Bytes follow the header in the same allocation.
struct bits_node : node {
  std::size_t byte_size = 0;
  std::uint8_t tail_bits = 0;  // bits used in the last byte, 0 when the size is whole bytes
  std::uint8_t* data() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
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
  /// A bitstring node of `bytes` bytes, contents uninitialised.
  static bits_node* new_bits(std::size_t bytes, std::uint8_t tail_bits);
  /// Takes ownership of elements (non-empty) and tail; flattens a list tail.
  static term make_list(std::vector<term>&& elements, term&& tail);
  /// Entries already sorted and unique.
  static term make_sorted_map(std::vector<std::pair<term, term>>&& entries);
};

}  // namespace bitactor::term::detail
