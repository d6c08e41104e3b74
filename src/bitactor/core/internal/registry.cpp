#include "bitactor/core/internal/registry.hpp"

#include <algorithm>

namespace bitactor::detail {

bool registry::bind(std::string_view name, const pid& p) {
  std::lock_guard guard(lock_);
  return bind_locked(name, p);
}

bool registry::bind_locked(std::string_view name, const pid& p) {
  return names_.emplace(std::string(name), p).second;
}

std::optional<pid> registry::erase(std::string_view name) {
  std::lock_guard guard(lock_);
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  pid p = it->second;
  names_.erase(it);
  return p;
}

void registry::erase_if_owner(std::string_view name, const pid& p) {
  std::lock_guard guard(lock_);
  auto it = names_.find(name);
  if (it != names_.end() && it->second == p) names_.erase(it);
}

std::optional<pid> registry::find(std::string_view name) const {
  std::lock_guard guard(lock_);
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> registry::names() const {
  std::vector<std::string> out;
  {
    std::lock_guard guard(lock_);
    out.reserve(names_.size());
    for (const auto& [name, p] : names_) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bitactor::detail
