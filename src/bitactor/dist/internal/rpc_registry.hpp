#pragma once
// Internal: the C++ functions a node serves to rpc (distributed_node::register_rpc), by
// Module:Function/Arity. Registered and looked up from any thread.

#include <cstddef>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "bitactor/dist/rpc.hpp"

namespace bitactor::dist::detail {

class rpc_registry {
 public:
  struct entry {
    rpc_function function;
    rpc_options options;
  };

  /// Registers `e` as module:function/arity, replacing what was there (as loading a new
  /// version of a module does).
  void add(std::string_view module, std::string_view function, std::size_t arity, entry e);
  /// False if nothing was registered under that name.
  bool remove(std::string_view module, std::string_view function, std::size_t arity);
  /// The function, or nullptr. The entry stays valid while held, even if it is replaced.
  std::shared_ptr<const entry> find(std::string_view module, std::string_view function,
                                    std::size_t arity) const;

 private:
  static std::string key(std::string_view module, std::string_view function, std::size_t arity);

  mutable std::shared_mutex lock_;
  std::map<std::string, std::shared_ptr<const entry>, std::less<>> functions_;
};

}  // namespace bitactor::dist::detail
