#include <algorithm>
#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/detail/utf8.hpp>
#include <bitactor/term/detail/work_stack.hpp>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/term.hpp>
#include <cmath>
#include <cstring>

namespace bitactor::term {
namespace detail {

tuple_node* builder::new_tuple(std::size_t n) {
  if (n > UINT32_MAX) throw term_error("tuple too large");
  void* mem = ::operator new(sizeof(tuple_node) + n * sizeof(term));
  auto* node = new (mem) tuple_node;
  node->size = static_cast<std::uint32_t>(n);
  for (std::size_t i = 0; i < n; ++i) new (node->elements() + i) term();
  return node;
}

tuple_node* builder::new_tuple_uninit(std::size_t n) {
  if (n > UINT32_MAX) throw term_error("tuple too large");
  void* mem = ::operator new(sizeof(tuple_node) + n * sizeof(term));
  return new (mem) tuple_node;
}

bits_node* builder::new_bits(std::size_t bytes, std::uint8_t tail_bits) {
  void* mem = ::operator new(sizeof(bits_node) + bytes);
  auto* node = new (mem) bits_node;
  node->byte_size = bytes;
  node->tail_bits = tail_bits;
  node->bytes = reinterpret_cast<std::uint8_t*>(node + 1);
  return node;
}

term builder::make_shared_binary(const std::uint8_t* data, std::size_t size,
                                 std::shared_ptr<const void> owner) {
  auto* node = new shared_bits_node;
  node->shared = true;
  node->byte_size = size;
  // Never written through: shared binaries are whole bytes, so nothing is masked.
  node->bytes = const_cast<std::uint8_t*>(data);
  node->owner = std::move(owner);
  return adopt(tag::bits, node);
}

list_node* builder::new_list(std::size_t n) {
  if (n > (SIZE_MAX - sizeof(list_node)) / sizeof(term)) throw std::bad_alloc();
  void* mem = ::operator new(sizeof(list_node) + n * sizeof(term));
  return new (mem) list_node;
}

term builder::make_list(std::vector<term>&& elements, term&& tail) {
  std::span<const term> rest;
  if (tail.tag_ == tag::list) {
    // [a, b | [c, d | T]] is [a, b, c, d | T]: keep one canonical representation.
    rest = as<list_node>(tail).items();
  }
  if (elements.empty()) return std::move(tail);
  list_node* node = new_list(elements.size() + rest.size());
  term* out = node->elements();
  bool boxed = false;
  bool numbers = true;
  for (term& e : elements) {
    boxed = boxed || e.boxed();
    numbers = numbers && is_number_or_nil(e);
    new (out++) term(std::move(e));
  }
  for (const term& e : rest) {
    boxed = boxed || e.boxed();
    numbers = numbers && is_number_or_nil(e);
    new (out++) term(e);
  }
  node->size = elements.size() + rest.size();
  node->boxed = boxed;
  node->numbers = numbers;
  node->tail = rest.empty() ? std::move(tail) : term(as<list_node>(tail).tail);
  return adopt(tag::list, node);
}

term builder::make_sorted_map(std::vector<std::pair<term, term>>&& entries) {
  auto* node = new map_node;
  node->entries = std::move(entries);
  return adopt(tag::map, node);
}

namespace {

struct dead_node {
  builder::tag tag;
  node* n;
};
using dead_stack = work_stack<dead_node>;

void destroy_one(builder::tag t, node* n, dead_stack& pending, unsigned depth);

// Nodes this many levels below the one being destroyed wait on `pending` instead of being
// destroyed by recursion: shallow terms (nearly all) are freed depth-first as before, and
// a chain 100,000 deep costs a bounded stack.
constexpr unsigned kRecursionDepth = 32;

// Releases `t`; when that drops the last reference, destroys the node now or, deep down,
// leaves it on `pending`.
inline void detach(term& t, dead_stack& pending, unsigned depth) {
  if (!builder::is_boxed(t)) return;
  builder::tag tg{};
  node* n = builder::detach(t, tg);
  if (n == nullptr) return;
  if (depth < kRecursionDepth) {
    destroy_one(tg, n, pending, depth + 1);
  } else {
    pending.push({tg, n});
  }
}

// Destroys one node, its children through detach().
void destroy_one(builder::tag t, node* n, dead_stack& pending, unsigned depth) {
  using tag = builder::tag;
  switch (t) {
    case tag::big:
      delete static_cast<big_node*>(n);
      break;
    case tag::tuple: {
      auto* tn = static_cast<tuple_node*>(n);
      for (std::uint32_t i = 0; i < tn->size; ++i) detach(tn->elements()[i], pending, depth);
      tn->~tuple_node();
      ::operator delete(tn);
      break;
    }
    case tag::list: {
      auto* ln = static_cast<list_node*>(n);
      if (ln->boxed) {
        for (std::size_t i = 0; i < ln->size; ++i) detach(ln->elements()[i], pending, depth);
      }
      detach(ln->tail, pending, depth);
      ln->~list_node();
      ::operator delete(ln);
      break;
    }
    case tag::map: {
      auto* mn = static_cast<map_node*>(n);
      for (auto& [k, v] : mn->entries) {
        detach(k, pending, depth);
        detach(v, pending, depth);
      }
      delete mn;
      break;
    }
    case tag::bits: {
      auto* bn = static_cast<bits_node*>(n);
      if (bn->shared) {
        delete static_cast<shared_bits_node*>(bn);
      } else {
        bn->~bits_node();
        ::operator delete(bn);
      }
      break;
    }
    case tag::pid:
      delete static_cast<pid_node*>(n);
      break;
    case tag::port:
      delete static_cast<port_node*>(n);
      break;
    case tag::ref:
      delete static_cast<ref_node*>(n);
      break;
    case tag::fun: {
      auto* fn = static_cast<fun_node*>(n);
      detach(fn->value.old_index, pending, depth);
      detach(fn->value.old_uniq, pending, depth);
      detach(fn->value.creator, pending, depth);
      for (term& v : fn->value.free_vars) detach(v, pending, depth);
      delete fn;
      break;
    }
    case tag::exp:
      delete static_cast<export_node*>(n);
      break;
    case tag::local:
      delete static_cast<local_node*>(n);
      break;
    default:
      break;
  }
}

void destroy(builder::tag t, node* n) noexcept {
  dead_stack pending;
  // Growing the stack can throw bad_alloc, and a destructor cannot report it: terminate, as
  // any allocation failure inside noexcept code does.
  destroy_one(t, n, pending, 0);
  while (!pending.empty()) {
    dead_node d = pending.take();
    destroy_one(d.tag, d.n, pending, 0);
  }
}

}  // namespace
}  // namespace detail

using detail::builder;

void term::retain_node() const noexcept { node_->refs.fetch_add(1, std::memory_order_relaxed); }

void term::release_node() noexcept {
  // A count of 1 means no other owner exists that could race with us, so skip the RMW.
  if (node_->refs.load(std::memory_order_acquire) != 1 &&
      node_->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) {
    return;
  }
  detail::destroy(tag_, node_);
}

void term::init_big(big_integer v) {
  if (auto small = v.to_int64()) {
    tag_ = tag::small;
    small_ = *small;
    return;
  }
  auto* n = new detail::big_node;
  n->value = std::move(v);
  tag_ = tag::big;
  node_ = n;
}

term::term(bool b) : tag_(tag::atom), atom_(atom(b ? "true" : "false").index()) {}

term::term(double d) : tag_(tag::flt), float_(d) {
  if (!std::isfinite(d)) throw term_error("Erlang floats cannot be NaN or infinite");
}

term::term(const big_integer& v) : tag_(tag::nil), small_(0) { init_big(v); }

term::term(const pid& p) : tag_(tag::pid) {
  auto* n = new detail::pid_node;
  n->value = p;
  node_ = n;
}

term::term(const port& p) : tag_(tag::port) {
  auto* n = new detail::port_node;
  n->value = p;
  node_ = n;
}

term::term(const reference& r) : tag_(tag::ref) {
  if (r.size < 1 || r.size > 5) throw term_error("a reference has 1 to 5 words");
  auto* n = new detail::ref_node;
  n->value = r;
  // Unused words are zero so the defaulted comparisons of `reference` stay meaningful.
  for (std::size_t i = r.size; i < 5; ++i) n->value.words[i] = 0;
  node_ = n;
}

term::term(const export_fun& f) : tag_(tag::exp) {
  auto* n = new detail::export_node;
  n->value = f;
  node_ = n;
}

term::term(const local_fun& f) : tag_(tag::fun) {
  auto* n = new detail::fun_node;
  n->value = f;
  node_ = n;
}

type term::kind() const noexcept {
  switch (tag_) {
    case tag::small:
    case tag::big:
      return type::integer;
    case tag::flt:
      return type::floating;
    case tag::atom:
      return type::atom;
    case tag::nil:
      return type::nil;
    case tag::tuple:
      return type::tuple;
    case tag::list:
      return type::list;
    case tag::map:
      return type::map;
    case tag::bits:
      return type::bitstring;
    case tag::pid:
      return type::pid;
    case tag::port:
      return type::port;
    case tag::ref:
      return type::reference;
    case tag::fun:
    case tag::exp:
      return type::fun;
    case tag::local:
      return type::local;
  }
  return type::local;
}

bool term::is_atom(std::string_view name) const noexcept {
  return tag_ == tag::atom && as_atom().name() == name;
}

bool term::is_binary() const noexcept {
  return tag_ == tag::bits && builder::as<detail::bits_node>(*this).tail_bits == 0;
}

void term::expect(tag t, const char* what) const {
  if (tag_ != t) throw bad_term_access(std::string("term is not ") + what);
}

std::int64_t term::as_int() const {
  if (tag_ == tag::big) throw bad_term_access("integer does not fit in int64");
  expect(tag::small, "an integer");
  return small_;
}

big_integer term::as_big_integer() const {
  if (tag_ == tag::small) return big_integer(small_);
  expect(tag::big, "an integer");
  return builder::as<detail::big_node>(*this).value;
}

double term::as_float() const {
  expect(tag::flt, "a float");
  return float_;
}

double term::as_number() const {
  if (tag_ == tag::flt) return float_;
  if (tag_ == tag::small) return static_cast<double>(small_);
  expect(tag::big, "a number");
  return builder::as<detail::big_node>(*this).value.to_double();
}

atom term::as_atom() const {
  expect(tag::atom, "an atom");
  return atom::from_index(atom_);
}

std::span<const term> term::as_tuple() const {
  expect(tag::tuple, "a tuple");
  auto* n = static_cast<detail::tuple_node*>(node_);
  return {n->elements(), n->size};
}

list_view term::as_list() const {
  if (tag_ == tag::nil) return {{}, this};
  expect(tag::list, "a list");
  const auto& n = builder::as<detail::list_node>(*this);
  return {n.items(), &n.tail};
}

std::span<const std::pair<term, term>> term::as_map() const {
  expect(tag::map, "a map");
  return builder::as<detail::map_node>(*this).entries;
}

std::span<const std::uint8_t> term::as_bytes() const {
  expect(tag::bits, "a bitstring");
  auto* n = static_cast<detail::bits_node*>(node_);
  return {n->data(), n->byte_size};
}

std::string_view term::as_binary_view() const {
  if (!is_binary()) throw bad_term_access("term is not a binary");
  auto* n = static_cast<detail::bits_node*>(node_);
  return {reinterpret_cast<const char*>(n->data()), n->byte_size};
}

std::size_t term::bit_size() const {
  expect(tag::bits, "a bitstring");
  const auto& n = builder::as<detail::bits_node>(*this);
  if (n.tail_bits == 0) return n.byte_size * 8;
  return (n.byte_size - 1) * 8 + n.tail_bits;
}

const pid& term::as_pid() const {
  expect(tag::pid, "a pid");
  return builder::as<detail::pid_node>(*this).value;
}

const port& term::as_port() const {
  expect(tag::port, "a port");
  return builder::as<detail::port_node>(*this).value;
}

const reference& term::as_reference() const {
  expect(tag::ref, "a reference");
  return builder::as<detail::ref_node>(*this).value;
}

const export_fun& term::as_export() const {
  expect(tag::exp, "an export fun");
  return builder::as<detail::export_node>(*this).value;
}

const local_fun& term::as_local_fun() const {
  expect(tag::fun, "a local fun");
  return builder::as<detail::fun_node>(*this).value;
}

std::span<const std::uint8_t> term::as_local() const {
  expect(tag::local, "a LOCAL_EXT term");
  return builder::as<detail::local_node>(*this).bytes;
}

std::size_t term::size() const {
  switch (tag_) {
    case tag::tuple:
      return builder::as<detail::tuple_node>(*this).size;
    case tag::nil:
      return 0;
    case tag::list:
      return builder::as<detail::list_node>(*this).size;
    case tag::map:
      return builder::as<detail::map_node>(*this).entries.size();
    case tag::bits:
      return builder::as<detail::bits_node>(*this).byte_size;
    default:
      throw bad_term_access("size() of a term that is not a tuple, list, map or bitstring");
  }
}

const term& term::operator[](std::size_t i) const {
  if (tag_ == tag::tuple) {
    auto elems = as_tuple();
    if (i < elems.size()) return elems[i];
  } else if (tag_ == tag::list) {
    auto elems = builder::as<detail::list_node>(*this).items();
    if (i < elems.size()) return elems[i];
  } else if (tag_ != tag::nil) {
    throw bad_term_access("operator[] on a term that is not a tuple or list");
  }
  throw bad_term_access("index " + std::to_string(i) + " out of range");
}

const term* term::find(const term& key) const {
  auto entries = as_map();
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const auto& e, const term& k) { return e.first < k; });
  if (it != entries.end() && it->first == key) return &it->second;
  return nullptr;
}

// ---- Construction ----

term tuple_from(std::vector<term> elements) {
  auto* n = builder::new_tuple(elements.size());
  for (std::size_t i = 0; i < elements.size(); ++i) n->elements()[i] = std::move(elements[i]);
  return builder::adopt(builder::tag::tuple, n);
}

term list_from(std::vector<term> elements, term tail) {
  return builder::make_list(std::move(elements), std::move(tail));
}

term map_from(std::vector<std::pair<term, term>> entries) {
  // Stable sort then keep the last of equal keys: maps:from_list/1 semantics.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<term, term>> unique;
  unique.reserve(entries.size());
  for (auto& e : entries) {
    if (!unique.empty() && unique.back().first == e.first) {
      unique.back().second = std::move(e.second);
    } else {
      unique.push_back(std::move(e));
    }
  }
  return builder::make_sorted_map(std::move(unique));
}

term map(std::initializer_list<std::pair<term, term>> entries) {
  return map_from(std::vector<std::pair<term, term>>(entries));
}

term binary(std::span<const std::uint8_t> bytes) {
  auto* n = builder::new_bits(bytes.size(), 0);
  if (!bytes.empty()) std::memcpy(n->data(), bytes.data(), bytes.size());
  return builder::adopt(builder::tag::bits, n);
}

term binary(std::string_view bytes) {
  return binary(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

term bitstring(std::span<const std::uint8_t> bytes, std::size_t bit_size) {
  std::size_t nbytes = (bit_size + 7) / 8;
  if (nbytes > bytes.size()) throw term_error("bitstring: not enough bytes for the bit size");
  auto tail_bits = static_cast<std::uint8_t>(bit_size % 8);
  auto* n = builder::new_bits(nbytes, tail_bits);
  if (nbytes != 0) std::memcpy(n->data(), bytes.data(), nbytes);
  // Unused low bits of the last byte are zero so equal bitstrings have equal bytes.
  if (tail_bits != 0) n->data()[nbytes - 1] &= static_cast<std::uint8_t>(0xFF << (8 - tail_bits));
  return builder::adopt(builder::tag::bits, n);
}

term local_term(std::vector<std::uint8_t> bytes) {
  auto* n = new detail::local_node;
  n->bytes = std::move(bytes);
  return builder::adopt(builder::tag::local, n);
}

term string(std::string_view utf8) {
  std::vector<term> chars;
  chars.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    std::int64_t cp = detail::next_code_point(utf8, i);
    if (cp < 0) throw term_error("string(): invalid UTF-8");
    chars.emplace_back(cp);
  }
  return list_from(std::move(chars));
}

std::optional<std::string> string_value(const term& t) {
  if (t.is_nil()) return std::string();
  if (!t.is_list()) return std::nullopt;
  auto view = t.as_list();
  if (!view.proper()) return std::nullopt;
  std::string out;
  out.reserve(view.elements.size());
  for (const term& e : view.elements) {
    if (!e.is_small()) return std::nullopt;
    std::int64_t cp = e.as_int();
    if (!detail::valid_code_point(cp)) return std::nullopt;
    detail::append_utf8(out, static_cast<std::uint32_t>(cp));
  }
  return out;
}

}  // namespace bitactor::term
