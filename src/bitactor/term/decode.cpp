#include <zlib.h>

#include <algorithm>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/detail/input_atoms.hpp>
#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/detail/utf8.hpp>
#include <bitactor/term/detail/work_stack.hpp>
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

  [[gnu::always_inline]] void need(std::size_t n, std::uint8_t tag) const {
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

  // decode_deep's loop: the term at the input position, without recursion. Each open
  // container is a frame on `open_`, and a finished value goes to the innermost open one, so
  // nesting as deep as the input allows (100,000 levels and more, as erl writes them) costs
  // heap, charged to max_bytes while the container is open, and no C++ stack.
  term decode_root() {
    term value;
    for (;;) {
      if (open_.empty()) {
        if (!decode_one(value)) continue;  // opened a container
        return value;
      }
      if (!next_child(value)) continue;  // the innermost container needs a child, or opened one
      // `value` is complete: hand it up until a container still needs more.
      for (;;) {
        if (open_.empty()) return value;
        if (!accept(open_.top(), std::move(value))) break;
        value = close_top();
      }
    }
  }

  ~decoder() {
    // A failed decode leaves containers open: free what each has built.
    while (!open_.empty()) discard(open_.take());
  }
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

 private:
  // State a list continued by LIST_EXT / STRING_EXT tails needs (rare: erl never writes one).
  struct chain_state {
    std::vector<term> elems;
    term tail;
  };

  // A container being decoded: trivially copyable, so the stack keeps the first levels
  // inline and a shallow term allocates nothing for it. `node` is what it builds and owns
  // until it closes: the tuple_node, list_node, map_node or fun_node itself (with its
  // constructed children counted in its size), or a chain_state.
  struct open_container {
    enum class kind : std::uint8_t { tuple, list, chain, map, fun };
    kind k;
    bool awaiting_tail;  // list, chain: the elements are done, the tail comes next
    bool sorted;         // map: keys so far are in order
    bool boxed;          // list: an element is boxed
    bool numbers;        // list: every element is a number or []
    std::uint8_t tag;
    std::size_t at;     // offset of the container's tag
    std::size_t n;      // children expected (map: keys and values; chain: left in segment)
    std::size_t i;      // children received
    std::size_t extra;  // fun: NEW_FUN_EXT's size field
    void* node;
  };

  open_container& open(open_container::kind k, std::uint8_t tag, std::size_t at, void* node,
                       std::size_t n) {
    open_.push(open_container{k, false, true, false, true, tag, at, n, 0, 0, node});
    return open_.top();
  }

  // Checks depth and budget for one more open container (given back when it closes); before
  // its node is allocated, so a failure leaks nothing.
  void admit(std::uint8_t tag, std::size_t at) {
    check_depth(base_depth_ + open_.size(), tag, at);
    charge(sizeof(open_container), tag, at);
  }

  term close_top() {
    open_container c = open_.take();
    spent_ -= sizeof(open_container);
    try {
      return close(c);
    } catch (...) {
      discard(c);
      throw;
    }
  }

  static void discard(const open_container& c) noexcept {
    using kind = open_container::kind;
    switch (c.k) {
      case kind::tuple:
        (void)builder::adopt(ntag::tuple, static_cast<detail::node*>(c.node));
        break;
      case kind::list:
        (void)builder::adopt(ntag::list, static_cast<detail::node*>(c.node));
        break;
      case kind::map:
        (void)builder::adopt(ntag::map, static_cast<detail::node*>(c.node));
        break;
      case kind::fun:
        (void)builder::adopt(ntag::fun, static_cast<detail::node*>(c.node));
        break;
      case kind::chain:
        delete static_cast<chain_state*>(c.node);
        break;
    }
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

  // Leaves that make up the bulk of containers, decoded without the dispatch of decode_one.
  bool decode_fast(term& out) {
    if (remaining() >= 5 && *p_ == etf::integer_ext) {
      ++p_;
      out = term(static_cast<std::int32_t>(u32()));
      return true;
    }
    if (remaining() >= 2 && *p_ == etf::small_integer_ext) {
      p_ += 2;
      out = term(std::int64_t{p_[-1]});
      return true;
    }
    if (remaining() >= 2 && *p_ == etf::small_atom_utf8_ext && !options_.safe) {
      std::size_t len = p_[1];
      if (remaining() - 2 >= len) {
        std::size_t at = offset();
        std::string_view name(reinterpret_cast<const char*>(p_ + 2), len);
        p_ += 2 + len;
        out = term(make_atom(name, etf::small_atom_utf8_ext, at));
        return true;
      }
    }
    return false;
  }

  // The next child of the innermost container into `out`: true when `out` is a complete
  // value (a leaf, an empty container, or the container itself, finished without one more
  // child, as a list ending in STRING_EXT), false when a new container was opened.
  bool next_child(term& out) {
    open_container& c = open_.top();
    switch (c.k) {
      case open_container::kind::list:
        if (!c.awaiting_tail) {
          fill_list(c);
          if (c.i < c.n) break;  // an element that needs the full decoder
          if (!end_list_elements(c)) {
            out = close_top();
            return true;
          }
        }
        break;
      case open_container::kind::chain:
        if (!c.awaiting_tail) {
          if (c.n == 0 && !next_segment(c)) {
            out = close_top();
            return true;
          }
          if (!c.awaiting_tail && decode_fast(out)) return true;
        }
        break;
      case open_container::kind::tuple: {
        // Leaves straight into the node, the usual bulk of a tuple.
        auto* node = static_cast<detail::tuple_node*>(c.node);
        while (c.i < c.n && decode_fast(out)) {
          new (node->elements() + c.i) term(std::move(out));
          node->size = static_cast<std::uint32_t>(++c.i);
        }
        if (c.i == c.n) {
          out = close_top();
          return true;
        }
        break;
      }
      default:
        if (decode_fast(out)) return true;
        break;
    }
    return decode_one(out);
  }

  // LIST_EXT elements that are integers, the usual bulk of a long list, straight into the
  // node; stops at the first element that needs the full decoder, or at the end.
  void fill_list(open_container& c) {
    auto* node = static_cast<detail::list_node*>(c.node);
    term* out = node->elements();
    const std::uint8_t* p = p_;
    const std::uint8_t* const end = end_;
    std::size_t i = c.i;
    for (; i < c.n; ++i) {
      auto left = static_cast<std::size_t>(end - p);
      if (left >= 5 && *p == etf::integer_ext) {
        new (out + i) term(static_cast<std::int32_t>(load32(p + 1)));
        p += 5;
      } else if (left >= 2 && *p == etf::small_integer_ext) {
        new (out + i) term(std::int64_t{p[1]});
        p += 2;
      } else {
        break;
      }
    }
    node->size = i;
    c.i = i;
    p_ = p;
  }

  // After a LIST_EXT's elements: the tail comes next (true), or the list continues as a
  // chain of LIST_EXT / STRING_EXT segments, read in this frame (false when that finished it).
  bool end_list_elements(open_container& c) {
    constexpr std::uint8_t tag = etf::list_ext;
    need(1, tag);
    if (*p_ != etf::list_ext && *p_ != etf::string_ext) {
      c.awaiting_tail = true;
      return true;
    }
    // [1, 2 | [3 | ...]] written as a chain (erl never writes one, but it is valid).
    auto state = std::make_unique<chain_state>();
    auto* node = static_cast<detail::list_node*>(c.node);
    state->elems.reserve(2 * c.n);
    for (std::size_t k = 0; k < c.n; ++k) state->elems.push_back(std::move(node->elements()[k]));
    discard(c);
    c.node = state.release();
    c.k = open_container::kind::chain;
    c.n = 0;
    return next_segment(c);
  }

  // A LIST_EXT header in a chain of list segments: its element count, with room for that
  // many more in `elems`.
  std::size_t list_segment(std::vector<term>& elems) {
    constexpr std::uint8_t tag = etf::list_ext;
    std::size_t here = offset();
    ++p_;
    need(4, tag);
    std::size_t n = u32();
    plausible_count(n, 1, tag, here);
    charge(n * sizeof(term), tag, here);
    grow(elems, n);
    return n;
  }

  // A STRING_EXT that ends a chain of list segments: its bytes appended to `elems` as integers.
  void string_segment(std::vector<term>& elems) {
    constexpr std::uint8_t tag = etf::string_ext;
    std::size_t here = offset();
    ++p_;
    need(2, tag);
    std::size_t len = u16();
    need(len, tag);
    charge(len * sizeof(term), tag, here);
    grow(elems, len);
    for (std::size_t i = 0; i < len; ++i) elems.emplace_back(std::int64_t{p_[i]});
    p_ += len;
  }

  // A chain whose segment is used up: reads the next LIST_EXT header (true: elements or a
  // tail follow), or a final STRING_EXT (false: the list is complete), or sees that the tail
  // comes next (true).
  bool next_segment(open_container& c) {
    constexpr std::uint8_t tag = etf::list_ext;
    auto& elems = static_cast<chain_state*>(c.node)->elems;
    for (;;) {
      need(1, tag);
      if (*p_ == etf::list_ext) {
        std::size_t n = list_segment(elems);
        if (n == 0) continue;
        c.n = n;
        return true;
      }
      if (*p_ == etf::string_ext) {
        string_segment(elems);
        return false;  // the tail is []
      }
      c.awaiting_tail = true;
      return true;
    }
  }

  // Gives a finished child to `c`; true when `c` needs no more children.
  bool accept(open_container& c, term&& v) {
    using kind = open_container::kind;
    switch (c.k) {
      case kind::tuple: {
        auto* node = static_cast<detail::tuple_node*>(c.node);
        new (node->elements() + c.i) term(std::move(v));
        node->size = static_cast<std::uint32_t>(++c.i);
        return c.i == c.n;
      }
      case kind::list: {
        auto* node = static_cast<detail::list_node*>(c.node);
        if (c.awaiting_tail) {
          node->tail = std::move(v);
          return true;
        }
        c.boxed = c.boxed || builder::is_boxed(v);
        c.numbers = c.numbers && builder::is_number_or_nil(v);
        new (node->elements() + c.i) term(std::move(v));
        node->size = ++c.i;
        return false;  // end_list_elements decides what comes after the last element
      }
      case kind::chain: {
        auto* state = static_cast<chain_state*>(c.node);
        if (c.awaiting_tail) {
          state->tail = std::move(v);
          return true;
        }
        state->elems.push_back(std::move(v));
        --c.n;
        return false;  // next_child reads the next segment or the tail when n reaches 0
      }
      case kind::map: {
        auto& entries = static_cast<detail::map_node*>(c.node)->entries;
        if (c.i++ % 2 == 0) {
          if (c.sorted && !entries.empty() && !(entries.back().first < v)) c.sorted = false;
          entries.emplace_back(std::move(v), term());
        } else {
          entries.back().second = std::move(v);
        }
        return c.i == c.n;
      }
      case kind::fun:
        return accept_fun_field(c, std::move(v));
    }
    return true;
  }

  // NEW_FUN_EXT's fields after the module: old_index, old_uniq, creator, free variables.
  bool accept_fun_field(open_container& c, term&& v) {
    constexpr std::uint8_t tag = etf::new_fun_ext;
    local_fun& f = static_cast<detail::fun_node*>(c.node)->value;
    switch (c.i++) {
      case 0:
        f.old_index = std::move(v);
        return false;
      case 1:
        f.old_uniq = std::move(v);
        if (!f.old_index.is_integer() || !f.old_uniq.is_integer()) {
          fail(decode_errc::bad_value, tag, c.at, "fun OldIndex and OldUniq must be integers");
        }
        return false;
      case 2:
        f.creator = std::move(v);
        if (!f.creator.is_pid())
          fail(decode_errc::bad_value, tag, c.at, "fun creator must be a pid");
        charge(sizeof(detail::fun_node) + c.n * sizeof(term), tag, c.at);
        f.free_vars.reserve(c.n);
        return c.n == 0;
      default:
        f.free_vars.push_back(std::move(v));
        return f.free_vars.size() == c.n;
    }
  }

  // The finished container as a term; `c` is off the stack, and owned here until it returns.
  term close(open_container& c) {
    using kind = open_container::kind;
    switch (c.k) {
      case kind::tuple:
        return builder::adopt(ntag::tuple, static_cast<detail::node*>(c.node));
      case kind::list: {
        auto* node = static_cast<detail::list_node*>(c.node);
        node->boxed = c.boxed;
        node->numbers = c.numbers;
        return builder::adopt(ntag::list, node);
      }
      case kind::chain: {
        std::unique_ptr<chain_state> state(static_cast<chain_state*>(c.node));
        c.node = nullptr;
        if (!state->elems.empty()) charge(sizeof(detail::list_node), etf::list_ext, c.at);
        return builder::make_list(std::move(state->elems), std::move(state->tail));
      }
      case kind::map: {
        auto* node = static_cast<detail::map_node*>(c.node);
        auto& entries = node->entries;
        if (!c.sorted) {
          // Maps above 32 keys arrive in erl's hash order.
          std::sort(entries.begin(), entries.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
          for (std::size_t i = 1; i < entries.size(); ++i) {
            if (entries[i - 1].first == entries[i].first) {
              fail(decode_errc::duplicate_key, etf::map_ext, c.at, "map has a duplicate key");
            }
          }
        }
        return builder::adopt(ntag::map, node);
      }
      case kind::fun:
        if (c.extra != offset() - c.at - 1) {
          fail(
              decode_errc::bad_value, etf::new_fun_ext, c.at,
              "NEW_FUN_EXT size field " + std::to_string(c.extra) + " does not match its contents");
        }
        return builder::adopt(ntag::fun, static_cast<detail::node*>(c.node));
    }
    return term();
  }

 private:
  // The first kRecursionDepth levels are decoded by recursion, the fastest way for the
  // shallow terms nearly all input holds; a container below that is decoded, with everything
  // inside it, by decode_deep(), which needs no C++ stack. So stack use is bounded whatever
  // the nesting.
  static constexpr std::size_t kRecursionDepth = 48;

  // The container whose tag is at offset `at`, `depth` levels down, and all inside it.
  term decode_deep(std::size_t at, std::size_t depth) {
    p_ = begin_ + at;
    iterative_ = true;
    base_depth_ = depth;
    term t = decode_root();
    iterative_ = false;
    return t;
  }

  // One term at the input position into `out` (true), or the opening of a non-empty
  // container, which is pushed on `open_` for its children to follow (false).
  bool decode_one(term& out) {
    out = decode_term(0);
    return !opened_;
  }

  bool iterative_ = false;      // containers open on open_ (decode_deep) instead of recursing
  bool opened_ = false;         // decode_term opened a container on open_
  std::size_t base_depth_ = 0;  // decode_deep: the depth of its outermost container

 public:
  // The term at the input position, `depth` containers down. In decode_deep a container
  // with children is opened on open_ instead (opened_ is set and the value is []).
  term decode_term(std::size_t depth) {
    opened_ = false;
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
        if (iterative_) return open_tuple(tag, at);
        return depth < kRecursionDepth ? decode_tuple(tag, at, depth) : decode_deep(at, depth);
      case etf::map_ext:
        if (iterative_) return open_map(at);
        return depth < kRecursionDepth ? decode_map(at, depth) : decode_deep(at, depth);
      case etf::nil_ext:
        return term();
      case etf::string_ext:
        return decode_string(at);
      case etf::list_ext:
        if (iterative_) return open_list(at);
        return depth < kRecursionDepth ? decode_list(at, depth) : decode_deep(at, depth);
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
        if (iterative_) return open_fun(at);
        return depth < kRecursionDepth ? decode_fun(at, depth) : decode_deep(at, depth);
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
        return term(decode_atom_cache_ref(at));
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
    if (depth >= options_.max_depth) {
      fail(decode_errc::too_deep, tag, at,
           "nesting deeper than decode_options::max_depth = " + std::to_string(options_.max_depth));
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

  // ATOM_CACHE_REF after its tag byte: an index into the distribution header's atoms.
  atom decode_atom_cache_ref(std::size_t at) {
    constexpr std::uint8_t tag = etf::atom_cache_ref;
    if (options_.atom_cache_refs.empty()) {
      fail(decode_errc::unsupported, tag, at, "ATOM_CACHE_REF outside a distribution header");
    }
    need(1, tag);
    std::size_t i = u8();
    if (i >= options_.atom_cache_refs.size()) {
      fail(decode_errc::bad_value, tag, at,
           "ATOM_CACHE_REF " + std::to_string(i) + " beyond the header's " +
               std::to_string(options_.atom_cache_refs.size()) + " atoms");
    }
    return options_.atom_cache_refs[i];
  }

  // An atom field inside a pid, port, reference or fun.
  atom decode_atom(std::uint8_t outer_tag) {
    std::size_t at = offset();
    need(1, outer_tag);
    std::uint8_t tag = u8();
    if (tag == etf::atom_cache_ref) return decode_atom_cache_ref(at);
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

  term open_tuple(std::uint8_t tag, std::size_t at) {
    bool small = tag == etf::small_tuple_ext;
    need(small ? 1 : 4, tag);
    std::size_t n = small ? u8() : u32();
    plausible_count(n, 1, tag, at);
    check_depth(base_depth_ + open_.size(), tag, at);
    charge(sizeof(detail::tuple_node) + n * sizeof(term), tag, at);
    if (n == 0) return builder::adopt(ntag::tuple, builder::new_tuple_uninit(0));
    admit(tag, at);
    // Elements are constructed in place as they arrive; size counts those constructed.
    open(open_container::kind::tuple, tag, at, builder::new_tuple_uninit(n), n);
    opened_ = true;
    return term();
  }

  term open_map(std::size_t at) {
    constexpr std::uint8_t tag = etf::map_ext;
    need(4, tag);
    std::size_t n = u32();
    plausible_count(n, 2, tag, at);
    check_depth(base_depth_ + open_.size(), tag, at);
    charge(sizeof(detail::map_node) + n * 2 * sizeof(term), tag, at);
    if (n == 0) return builder::make_sorted_map({});
    admit(tag, at);
    auto node = std::make_unique<detail::map_node>();
    node->entries.reserve(n);
    open(open_container::kind::map, tag, at, node.release(), 2 * n);
    opened_ = true;
    return term();
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
  // by the bytes left). A tail that is another LIST_EXT or a STRING_EXT continues the same
  // list (a chain, read in the same frame).
  term open_list(std::size_t at) {
    constexpr std::uint8_t tag = etf::list_ext;
    check_depth(base_depth_ + open_.size(), tag, at);
    need(4, tag);
    std::size_t n = u32();
    plausible_count(n, 1, tag, at);
    admit(tag, at);
    opened_ = true;
    if (n == 0) {
      open(open_container::kind::chain, tag, at, new chain_state, 0);
      if (next_segment(open_.top())) return term();
      opened_ = false;  // [] followed by a STRING_EXT tail: complete already
      return close_top();
    }
    charge(sizeof(detail::list_node) + n * sizeof(term), tag, at);
    detail::list_node* node = builder::new_list(n);
    node->size = 0;
    open(open_container::kind::list, tag, at, node, n);
    return term();
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
        std::size_t n = list_segment(elems);
        for (std::size_t i = 0; i < n; ++i) elems.push_back(decode_elem(depth + 1));
        continue;
      }
      if (*p_ == etf::string_ext) {
        string_segment(elems);
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

  term open_fun(std::size_t at) {
    constexpr std::uint8_t tag = etf::new_fun_ext;
    check_depth(base_depth_ + open_.size(), tag, at);
    need(4 + 1 + 16 + 4 + 4, tag);
    auto node = std::make_unique<detail::fun_node>();
    local_fun& f = node->value;
    std::size_t size = u32();
    f.arity = u8();
    std::memcpy(f.uniq.data(), p_, 16);
    p_ += 16;
    f.index = u32();
    std::size_t num_free = u32();
    plausible_count(num_free, 1, tag, at);
    f.module = decode_atom(tag);
    admit(tag, at);
    open_container& c = open(open_container::kind::fun, tag, at, node.release(), num_free);
    c.extra = size;
    opened_ = true;
    return term();
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
  detail::work_stack<open_container> open_;  // the containers being decoded, innermost on top
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
