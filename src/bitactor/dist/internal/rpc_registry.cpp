#include "bitactor/dist/internal/rpc_registry.hpp"

#include <mutex>

namespace bitactor::dist::detail {

std::string rpc_registry::key(std::string_view module, std::string_view function,
                              std::size_t arity) {
  // Atoms may hold ':' and '/', so the lengths keep two names apart.
  return std::to_string(module.size()) + ":" + std::string(module) + ":" + std::string(function) +
         "/" + std::to_string(arity);
}

void rpc_registry::add(std::string_view module, std::string_view function, std::size_t arity,
                       entry e) {
  auto shared = std::make_shared<const entry>(std::move(e));
  std::unique_lock guard(lock_);
  functions_[key(module, function, arity)] = std::move(shared);
}

bool rpc_registry::remove(std::string_view module, std::string_view function, std::size_t arity) {
  std::unique_lock guard(lock_);
  return functions_.erase(key(module, function, arity)) > 0;
}

std::shared_ptr<const rpc_registry::entry> rpc_registry::find(std::string_view module,
                                                              std::string_view function,
                                                              std::size_t arity) const {
  const std::string k = key(module, function, arity);
  std::shared_lock guard(lock_);
  auto it = functions_.find(k);
  return it == functions_.end() ? nullptr : it->second;
}

}  // namespace bitactor::dist::detail
