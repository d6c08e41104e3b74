#include <algorithm>
#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/detail/work_stack.hpp>
#include <bitactor/term/order.hpp>
#include <cmath>
#include <cstring>
#include <optional>

namespace bitactor::term {
namespace {

using detail::builder;
using tag = builder::tag;

int sign(auto v) noexcept { return v < 0 ? -1 : v > 0 ? 1 : 0; }
int ord(std::strong_ordering o) noexcept { return o < 0 ? -1 : o > 0 ? 1 : 0; }

int rank(tag t) noexcept {
  switch (t) {
    case tag::small:
    case tag::big:
    case tag::flt:
      return 0;
    case tag::atom:
      return 1;
    case tag::ref:
      return 2;
    case tag::fun:
      return 3;
    case tag::exp:
      return 4;  // OTP 25: local funs sort before external funs
    case tag::port:
      return 5;
    case tag::pid:
      return 6;
    case tag::tuple:
      return 7;
    case tag::map:
      return 8;
    case tag::nil:
      return 9;
    case tag::list:
      return 10;
    case tag::bits:
      return 11;
    case tag::local:
      return 12;
  }
  return 12;
}

atom atom_of(const term& t) noexcept { return t.as_atom(); }

int cmp_atoms(const term& a, const term& b) noexcept {
  if (builder::atom_index(a) == builder::atom_index(b)) return 0;
  return ord(atom_of(a) <=> atom_of(b));
}

int cmp_nodes(atom an, std::uint32_t ac, atom bn, std::uint32_t bc) noexcept {
  if (an != bn) return ord(an <=> bn);
  return sign(static_cast<std::int64_t>(ac) - static_cast<std::int64_t>(bc));
}

const big_integer& big_of(const term& t) noexcept { return builder::as<detail::big_node>(t).value; }

int cmp_integers(const term& a, const term& b) noexcept {
  bool abig = builder::tag_of(a) == tag::big;
  bool bbig = builder::tag_of(b) == tag::big;
  if (!abig && !bbig) {
    std::int64_t x = builder::small(a);
    std::int64_t y = builder::small(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  // Big integers are always outside int64_t, so against a small one only the sign matters.
  if (!abig) return big_of(b).negative() ? 1 : -1;
  if (!bbig) return big_of(a).negative() ? -1 : 1;
  return ord(big_of(a) <=> big_of(b));
}

// Integer against float by mathematical value, exactly (no rounding of big integers).
int cmp_int_float(const term& i, double d) noexcept {
  if (builder::tag_of(i) == tag::small) {
    std::int64_t v = builder::small(i);
    if (v > -(std::int64_t{1} << 53) && v < (std::int64_t{1} << 53)) {
      auto x = static_cast<double>(v);
      return x < d ? -1 : x > d ? 1 : 0;
    }
  }
  big_integer whole = *big_integer::from_double_trunc(d);
  int c = ord(i.as_big_integer() <=> whole);
  if (c != 0) return c;
  double frac = d - std::trunc(d);
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

int cmp_numbers(const term& a, const term& b, bool exact) noexcept {
  bool af = builder::tag_of(a) == tag::flt;
  bool bf = builder::tag_of(b) == tag::flt;
  if (af && bf) {
    double x = builder::flt(a);
    double y = builder::flt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (!af && !bf) return cmp_integers(a, b);
  if (exact) return af ? 1 : -1;
  if (af) return -cmp_int_float(b, builder::flt(a));
  return cmp_int_float(a, builder::flt(b));
}

int cmp_bits(const detail::bits_node& a, const detail::bits_node& b) noexcept {
  auto bits = [](const detail::bits_node& n) {
    return n.tail_bits == 0 ? n.byte_size * 8 : (n.byte_size - 1) * 8 + n.tail_bits;
  };
  std::size_t abits = bits(a);
  std::size_t bbits = bits(b);
  std::size_t common = std::min(abits, bbits);
  auto* ad = const_cast<detail::bits_node&>(a).data();
  auto* bd = const_cast<detail::bits_node&>(b).data();
  if (common / 8 != 0) {
    int c = std::memcmp(ad, bd, common / 8);
    if (c != 0) return sign(c);
  }
  if (common % 8 != 0) {
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - common % 8));
    std::uint8_t x = ad[common / 8] & mask;
    std::uint8_t y = bd[common / 8] & mask;
    if (x != y) return x < y ? -1 : 1;
  }
  return abits < bbits ? -1 : abits > bbits ? 1 : 0;
}

int cmp_refs(const reference& a, const reference& b) noexcept {
  if (int c = cmp_nodes(a.node, a.creation, b.node, b.creation)) return c;
  // erts: a longer reference whose extra high words are zero equals the shorter one; then
  // words compare from the highest down.
  std::size_t alen = a.size;
  std::size_t blen = b.size;
  while (alen > blen) {
    if (a.words[alen - 1] != 0) return 1;
    --alen;
  }
  while (blen > alen) {
    if (b.words[blen - 1] != 0) return -1;
    --blen;
  }
  for (std::size_t i = alen; i-- > 0;) {
    if (a.words[i] != b.words[i]) return a.words[i] < b.words[i] ? -1 : 1;
  }
  return 0;
}

// The first kRecursionDepth levels compare by recursion (cmp_rec), the fastest way for the
// shallow terms nearly all comparisons meet; containers below that go to cmp_deep.
constexpr unsigned kRecursionDepth = 48;

int cmp_deep(const term& a, const term& b, bool exact) noexcept;

// cmp_deep: comparison is lexicographic all the way down: the first pair of sub-terms (in order)
// that differ decides. So the walk keeps, on an explicit stack, the runs of pairs still to compare;
// a container compares its shallow parts (rank, size) at once and pushes its children, the
// first run on top. A term nested 100,000 deep therefore costs heap, not C++ stack.
struct cmp_frame {
  enum class kind : std::uint8_t { pairs, entries, result };
  kind k;
  bool exact;        // pairs, entries: exact comparison of values (keys are always exact)
  bool values;       // entries: comparing values (else keys)
  int result;        // result: the verdict once everything before it is equal
  std::size_t left;  // pairs, entries: pairs still to compare
  union {
    const term* a;
    const std::pair<term, term>* ea;
  };
  union {
    const term* b;
    const std::pair<term, term>* eb;
  };
};
using cmp_stack = detail::work_stack<cmp_frame>;

void push_pairs(cmp_stack& st, const term* a, const term* b, std::size_t n, bool exact) {
  if (n == 0) return;
  cmp_frame f{cmp_frame::kind::pairs, exact, false, 0, n, {}, {}};
  f.a = a;
  f.b = b;
  st.push(f);
}

void push_result(cmp_stack& st, int result) {
  st.push(cmp_frame{cmp_frame::kind::result, false, false, result, 0, {}, {}});
}

void push_entries(cmp_stack& st, std::span<const std::pair<term, term>> a,
                  std::span<const std::pair<term, term>> b, bool values, bool exact) {
  if (a.empty()) return;
  cmp_frame f{cmp_frame::kind::entries, exact, values, 0, a.size(), {}, {}};
  f.ea = a.data();
  f.eb = b.data();
  st.push(f);
}

// The verdict when a and b differ in rank (the type order) or are the same node; otherwise
// nothing, and their contents decide.
std::optional<int> rank_verdict(const term& a, const term& b) noexcept {
  tag at = builder::tag_of(a);
  tag bt = builder::tag_of(b);
  int ra = rank(at);
  int rb = rank(bt);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (at >= tag::big && at == bt && builder::node_of(a) == builder::node_of(b)) return 0;
  return std::nullopt;
}

// Terms of one rank without sub-terms: the same for the recursive and the explicit-stack
// comparisons.
int cmp_leaf(const term& a, const term& b, bool exact) noexcept {
  switch (builder::tag_of(a)) {
    case tag::small:
    case tag::big:
    case tag::flt:
      return cmp_numbers(a, b, exact);
    case tag::atom:
      return cmp_atoms(a, b);
    case tag::ref:
      return cmp_refs(a.as_reference(), b.as_reference());
    case tag::exp: {
      const export_fun& x = a.as_export();
      const export_fun& y = b.as_export();
      if (x.module != y.module) return ord(x.module <=> y.module);
      if (x.function != y.function) return ord(x.function <=> y.function);
      return sign(static_cast<int>(x.arity) - static_cast<int>(y.arity));
    }
    case tag::port: {
      const port& x = a.as_port();
      const port& y = b.as_port();
      if (int c = cmp_nodes(x.node, x.creation, y.node, y.creation)) return c;
      return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
    }
    case tag::pid: {
      const pid& x = a.as_pid();
      const pid& y = b.as_pid();
      // erts compares the pid data word (serial above number) before the node.
      if (x.serial != y.serial) return x.serial < y.serial ? -1 : 1;
      if (x.id != y.id) return x.id < y.id ? -1 : 1;
      return cmp_nodes(x.node, x.creation, y.node, y.creation);
    }
    case tag::bits:
      return cmp_bits(builder::as<detail::bits_node>(a), builder::as<detail::bits_node>(b));
    case tag::local: {
      auto x = a.as_local();
      auto y = b.as_local();
      return ord(std::lexicographical_compare_three_way(x.begin(), x.end(), y.begin(), y.end()));
    }
    default:  // nil, and the containers, which their callers handle
      return 0;
  }
}

// The shallow comparison of a and b: the verdict if it needs no children, else 0 with the
// children's comparisons pushed on `st` (to be done in order, top first).
int cmp_shallow(const term& a, const term& b, bool exact, cmp_stack& st) {
  tag at = builder::tag_of(a);
  if (auto verdict = rank_verdict(a, b)) return *verdict;
  switch (at) {
    case tag::fun: {
      const local_fun& x = a.as_local_fun();
      const local_fun& y = b.as_local_fun();
      if (x.module != y.module) return ord(x.module <=> y.module);
      // Then old_index, old_uniq, the number of free variables, the free variables.
      if (x.free_vars.size() != y.free_vars.size()) {
        push_result(st, x.free_vars.size() < y.free_vars.size() ? -1 : 1);
      } else {
        push_pairs(st, x.free_vars.data(), y.free_vars.data(), x.free_vars.size(), exact);
      }
      push_pairs(st, &x.old_uniq, &y.old_uniq, 1, exact);
      push_pairs(st, &x.old_index, &y.old_index, 1, exact);
      return 0;
    }
    case tag::tuple: {
      auto x = a.as_tuple();
      auto y = b.as_tuple();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      push_pairs(st, x.data(), y.data(), x.size(), exact);
      return 0;
    }
    case tag::map: {
      auto x = a.as_map();
      auto y = b.as_map();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      // Keys always compare exactly (#{1 => a} == #{1.0 => a} is false), then values.
      push_entries(st, x, y, true, exact);
      push_entries(st, x, y, false, true);
      return 0;
    }
    case tag::list: {
      list_view x = a.as_list();
      list_view y = b.as_list();
      std::size_t n = std::min(x.elements.size(), y.elements.size());
      if (x.elements.size() == y.elements.size()) {
        push_pairs(st, x.tail, y.tail, 1, exact);
      } else if (x.elements.size() < y.elements.size()) {
        // x has run out: its tail (never a non-empty list) meets y's remaining list.
        push_result(st, rank(builder::tag_of(*x.tail)) < 10 ? -1 : 1);
      } else {
        push_result(st, rank(builder::tag_of(*y.tail)) < 10 ? 1 : -1);
      }
      push_pairs(st, x.elements.data(), y.elements.data(), n, exact);
      return 0;
    }
    default:
      return cmp_leaf(a, b, exact);
  }
}

int cmp_deep(const term& a, const term& b, bool exact) noexcept {
  cmp_stack st;
  if (int c = cmp_shallow(a, b, exact, st)) return c;
  while (!st.empty()) {
    cmp_frame& f = st.top();
    const term* x = nullptr;
    const term* y = nullptr;
    bool ex = f.exact;
    switch (f.k) {
      case cmp_frame::kind::result: {
        int verdict = f.result;
        st.pop();
        if (verdict != 0) return verdict;
        continue;
      }
      case cmp_frame::kind::pairs:
        x = f.a++;
        y = f.b++;
        break;
      case cmp_frame::kind::entries:
        x = f.values ? &f.ea->second : &f.ea->first;
        y = f.values ? &f.eb->second : &f.eb->first;
        ++f.ea;
        ++f.eb;
        break;
    }
    if (--f.left == 0) st.pop();  // before cmp_shallow pushes: `f` is then invalid
    if (int c = cmp_shallow(*x, *y, ex, st)) return c;
  }
  return 0;
}

int cmp_rec(const term& a, const term& b, bool exact, unsigned depth) noexcept;

int cmp_arrays(std::span<const term> a, std::span<const term> b, bool exact,
               unsigned depth) noexcept {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (int c = cmp_rec(a[i], b[i], exact, depth + 1)) return c;
  }
  return 0;
}

int cmp_lists(const term& a, const term& b, bool exact, unsigned depth) noexcept {
  list_view x = a.as_list();
  list_view y = b.as_list();
  std::size_t n = std::min(x.elements.size(), y.elements.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (int c = cmp_rec(x.elements[i], y.elements[i], exact, depth + 1)) return c;
  }
  if (x.elements.size() == y.elements.size()) return cmp_rec(*x.tail, *y.tail, exact, depth + 1);
  // One side has run out: its tail (never a non-empty list) meets the other's remaining list.
  if (x.elements.size() < y.elements.size()) return rank(builder::tag_of(*x.tail)) < 10 ? -1 : 1;
  return rank(builder::tag_of(*y.tail)) < 10 ? 1 : -1;
}

int cmp_maps(const term& a, const term& b, bool exact, unsigned depth) noexcept {
  auto x = a.as_map();
  auto y = b.as_map();
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  // Keys always compare exactly (#{1 => a} == #{1.0 => a} is false), then values.
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (int c = cmp_rec(x[i].first, y[i].first, true, depth + 1)) return c;
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (int c = cmp_rec(x[i].second, y[i].second, exact, depth + 1)) return c;
  }
  return 0;
}

int cmp_funs(const local_fun& a, const local_fun& b, bool exact, unsigned depth) noexcept {
  if (a.module != b.module) return ord(a.module <=> b.module);
  if (int c = cmp_rec(a.old_index, b.old_index, exact, depth + 1)) return c;
  if (int c = cmp_rec(a.old_uniq, b.old_uniq, exact, depth + 1)) return c;
  if (a.free_vars.size() != b.free_vars.size()) {
    return a.free_vars.size() < b.free_vars.size() ? -1 : 1;
  }
  return cmp_arrays(a.free_vars, b.free_vars, exact, depth);
}

int cmp_rec(const term& a, const term& b, bool exact, unsigned depth) noexcept {
  tag at = builder::tag_of(a);
  if (auto verdict = rank_verdict(a, b)) return *verdict;
  switch (at) {
    case tag::fun:
      if (depth >= kRecursionDepth) return cmp_deep(a, b, exact);
      return cmp_funs(a.as_local_fun(), b.as_local_fun(), exact, depth);
    case tag::tuple: {
      if (depth >= kRecursionDepth) return cmp_deep(a, b, exact);
      auto x = a.as_tuple();
      auto y = b.as_tuple();
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      return cmp_arrays(x, y, exact, depth);
    }
    case tag::map:
      if (depth >= kRecursionDepth) return cmp_deep(a, b, exact);
      return cmp_maps(a, b, exact, depth);
    case tag::list:
      if (depth >= kRecursionDepth) return cmp_deep(a, b, exact);
      return cmp_lists(a, b, exact, depth);
    default:
      return cmp_leaf(a, b, exact);
  }
}

int cmp(const term& a, const term& b, bool exact) noexcept { return cmp_rec(a, b, exact, 0); }

}  // namespace

std::weak_ordering compare(const term& a, const term& b) noexcept {
  int c = cmp(a, b, false);
  return c < 0   ? std::weak_ordering::less
         : c > 0 ? std::weak_ordering::greater
                 : std::weak_ordering::equivalent;
}

std::strong_ordering exact_compare(const term& a, const term& b) noexcept {
  int c = cmp(a, b, true);
  return c < 0   ? std::strong_ordering::less
         : c > 0 ? std::strong_ordering::greater
                 : std::strong_ordering::equal;
}

bool exact_equal(const term& a, const term& b) noexcept { return cmp(a, b, true) == 0; }

bool operator==(const term& a, const term& b) noexcept {
  if (builder::tag_of(a) != builder::tag_of(b)) {
    // Only the number tags can hold equal values under different tags, and exactly they
    // never do (big integers are outside int64_t, and ints never equal floats exactly).
    return false;
  }
  return cmp(a, b, true) == 0;
}

std::strong_ordering operator<=>(const term& a, const term& b) noexcept {
  return exact_compare(a, b);
}

}  // namespace bitactor::term

namespace {

std::size_t mix(std::size_t h, std::size_t v) noexcept {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

using bitactor::term::term;

// Terms still to hash: runs of sibling terms, or of map entries (key, value, key, ...).
struct hash_frame {
  const term* terms;
  const std::pair<term, term>* entries;
  std::size_t left;  // terms to go (for entries: keys and values to go)
};

// The hash of one term without its children; containers push their children (and count
// them into the hash, so the pre-order walk identifies the shape).
std::size_t hash_shallow(std::size_t h, const term& t,
                         bitactor::term::detail::work_stack<hash_frame>& todo) {
  using namespace bitactor::term;
  h = mix(h, static_cast<std::size_t>(t.kind()) * 0x100000001b3ULL);
  switch (t.kind()) {
    case type::integer:
      if (t.is_small()) return mix(h, std::hash<std::int64_t>{}(t.as_int()));
      {
        std::size_t bh = t.as_big_integer().negative() ? 1 : 0;
        for (std::uint32_t limb : t.as_big_integer().limbs()) bh = mix(bh, limb);
        return mix(h, bh);
      }
    case type::floating: {
      double d = t.as_float();
      if (d == 0.0) d = 0.0;  // 0.0 =:= -0.0 in OTP 25
      return mix(h, std::hash<double>{}(d));
    }
    case type::atom:
      return mix(h, t.as_atom().index());
    case type::nil:
      return h;
    case type::tuple: {
      auto elems = t.as_tuple();
      if (!elems.empty()) todo.push({elems.data(), nullptr, elems.size()});
      return mix(h, elems.size());
    }
    case type::list: {
      auto v = t.as_list();
      todo.push({v.tail, nullptr, 1});
      todo.push({v.elements.data(), nullptr, v.elements.size()});
      return mix(h, v.elements.size());
    }
    case type::map: {
      auto entries = t.as_map();
      if (!entries.empty()) todo.push({nullptr, entries.data(), 2 * entries.size()});
      return mix(h, entries.size());
    }
    case type::bitstring: {
      auto b = t.as_bytes();
      std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
      return mix(mix(h, std::hash<std::string_view>{}(s)), t.bit_size());
    }
    case type::pid: {
      const auto& p = t.as_pid();
      return mix(mix(mix(h, p.node.index()), p.id), p.serial);
    }
    case type::port:
      return mix(mix(h, t.as_port().node.index()), t.as_port().id);
    case type::reference: {
      const auto& r = t.as_reference();
      h = mix(h, r.node.index());
      std::size_t n = r.size;
      while (n > 1 && r.words[n - 1] == 0) --n;  // equal refs may differ in trailing zeros
      for (std::size_t i = 0; i < n; ++i) h = mix(h, r.words[i]);
      return h;
    }
    case type::fun:
      if (detail::builder::tag_of(t) == detail::builder::tag::exp) {
        const auto& e = t.as_export();
        return mix(mix(h, e.module.index()), e.function.index());
      }
      return mix(h, t.as_local_fun().module.index());
    case type::local:
      return mix(h, t.as_local().size());
  }
  return h;
}

std::size_t hash_term(const term& t) {
  bitactor::term::detail::work_stack<hash_frame> todo;
  std::size_t h = hash_shallow(0, t, todo);
  while (!todo.empty()) {
    hash_frame& f = todo.top();
    const term* next = nullptr;
    if (f.terms != nullptr) {
      next = f.terms++;
    } else {
      next = f.left % 2 == 0 ? &f.entries->first : &(f.entries++)->second;
    }
    if (--f.left == 0) todo.pop();  // before hash_shallow pushes: `f` is then invalid
    h = hash_shallow(h, *next, todo);
  }
  return h;
}

}  // namespace

std::size_t std::hash<bitactor::term::term>::operator()(
    const bitactor::term::term& t) const noexcept {
  return hash_term(t);
}
