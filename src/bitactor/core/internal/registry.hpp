#pragma once
// Internal: the node's name registry (Erlang's register/2, whereis/1, registered/0).

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bitactor/core/pid.hpp"

namespace bitactor::detail {

class registry {
 public:
  /// Binds name to p; false if the name is taken.
  bool bind(std::string_view name, const pid& p);
  /// Removes name; returns the pid it named, if any.
  std::optional<pid> erase(std::string_view name);
  /// Removes name only while it still names p (a process exiting frees its own name).
  void erase_if_owner(std::string_view name, const pid& p);
  std::optional<pid> find(std::string_view name) const;
  std::vector<std::string> names() const;
  std::mutex& lock() const { return lock_; }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  mutable std::mutex lock_;
  std::unordered_map<std::string, pid, string_hash, std::equal_to<>> names_;

 public:
  // Callers that must check other state atomically with the registry hold lock() and use:
  bool bind_locked(std::string_view name, const pid& p);
  bool taken_locked(std::string_view name) const { return names_.find(name) != names_.end(); }
};

}  // namespace bitactor::detail
