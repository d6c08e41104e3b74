#include "bitactor/core/pid.hpp"

#include <atomic>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/term.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bitactor {
namespace {

// Node names are atoms; this table gives each a small index so pids stay four words. Reads
// (index -> atom, on every print and every conversion to a term) are one acquire load; only
// adding a name takes the lock. The bound keeps names learnt from peers from growing it
// without limit.
constexpr std::size_t max_node_names = std::size_t{1} << 16;

struct node_name_table {
  std::mutex lock;
  std::unique_ptr<std::atomic<std::uint32_t>[]> atoms {
    new std::atomic<std::uint32_t>[max_node_names] {}
  };
  std::atomic<std::uint32_t> size{0};
  std::unordered_map<std::uint32_t, std::uint32_t> index_of_atom;

  node_name_table() { add(term::atom("nonode@nohost")); }

  std::uint32_t add(term::atom a) {  // under lock (or from the constructor)
    std::uint32_t idx = size.load(std::memory_order_relaxed);
    if (idx >= max_node_names) {
      throw term::term_error("node_names: more than " + std::to_string(max_node_names) +
                             " node names");
    }
    atoms[idx].store(a.index(), std::memory_order_relaxed);
    index_of_atom.emplace(a.index(), idx);
    size.store(idx + 1, std::memory_order_release);
    return idx;
  }
};

node_name_table& table() {
  static node_name_table t;
  return t;
}

}  // namespace

std::uint32_t node_names::intern(term::atom name) {
  auto& t = table();
  std::lock_guard guard(t.lock);
  if (auto it = t.index_of_atom.find(name.index()); it != t.index_of_atom.end()) return it->second;
  return t.add(name);
}

std::uint32_t node_names::intern(std::string_view name) { return intern(term::atom(name)); }

term::atom node_names::atom(std::uint32_t index) noexcept {
  auto& t = table();
  if (index >= t.size.load(std::memory_order_acquire)) return term::atom();
  return term::atom::from_index(t.atoms[index].load(std::memory_order_relaxed));
}

std::string_view node_names::name(std::uint32_t index) {
  auto& t = table();
  if (index >= t.size.load(std::memory_order_acquire)) return "?";
  return atom(index).name();
}

std::string pid::to_string() const {
  return "<" + std::to_string(node) + "." + std::to_string(id) + "." + std::to_string(serial) + ">";
}

std::string ref::to_string() const {
  std::string out = "#Ref<" + std::to_string(node);
  for (std::size_t i = size; i-- > 0;) out += "." + std::to_string(words[i]);
  return out + ">";
}

std::ostream& operator<<(std::ostream& os, const pid& p) { return os << p.to_string(); }
std::ostream& operator<<(std::ostream& os, const ref& r) { return os << r.to_string(); }

term::pid to_term_pid(const pid& p) {
  return term::pid{node_names::atom(p.node), p.id, p.serial, p.creation};
}

pid from_term_pid(const term::pid& p) {
  return pid{node_names::intern(p.node), p.id, p.serial, p.creation};
}

term::reference to_term_ref(const ref& r) {
  term::reference out;
  out.node = node_names::atom(r.node);
  out.creation = r.creation;
  out.size = r.size;
  for (std::size_t i = 0; i < r.size && i < out.words.size(); ++i) out.words[i] = r.words[i];
  return out;
}

ref from_term_ref(const term::reference& r) {
  if (r.size > 5) throw term::term_error("reference of more than 5 words");
  ref out;
  out.node = node_names::intern(r.node);
  out.creation = r.creation;
  out.size = r.size;
  for (std::size_t i = 0; i < r.size; ++i) out.words[i] = r.words[i];
  return out;
}

}  // namespace bitactor
