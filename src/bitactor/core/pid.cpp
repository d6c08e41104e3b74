#include "bitactor/core/pid.hpp"

#include <deque>
#include <mutex>
#include <unordered_map>

namespace bitactor {
namespace {

struct node_name_table {
  std::mutex lock;
  std::deque<std::string> names{"nonode@nohost"};  // deque: stable string addresses
  std::unordered_map<std::string_view, std::uint32_t> index{{names.front(), 0}};
};

node_name_table& table() {
  static node_name_table t;
  return t;
}

}  // namespace

std::uint32_t node_names::intern(std::string_view name) {
  auto& t = table();
  std::lock_guard guard(t.lock);
  if (auto it = t.index.find(name); it != t.index.end()) return it->second;
  t.names.emplace_back(name);
  auto idx = static_cast<std::uint32_t>(t.names.size() - 1);
  t.index.emplace(t.names.back(), idx);
  return idx;
}

std::string_view node_names::name(std::uint32_t index) {
  auto& t = table();
  std::lock_guard guard(t.lock);
  return index < t.names.size() ? std::string_view(t.names[index]) : std::string_view("?");
}

std::string pid::to_string() const {
  return "<" + std::to_string(node) + "." + std::to_string(id) + "." + std::to_string(serial) + ">";
}

std::string ref::to_string() const {
  return "#Ref<" + std::to_string(node) + "." + std::to_string(words[2]) + "." +
         std::to_string(words[1]) + "." + std::to_string(words[0]) + ">";
}

std::ostream& operator<<(std::ostream& os, const pid& p) { return os << p.to_string(); }
std::ostream& operator<<(std::ostream& os, const ref& r) { return os << r.to_string(); }

}  // namespace bitactor
