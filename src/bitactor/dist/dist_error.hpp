#pragma once
// Errors of the distribution layer.

#include "bitactor/core/error.hpp"
#include "bitactor/core/exit_reason.hpp"

namespace bitactor::dist {

/// Distribution could not start or an operation failed: the message names what and why
/// (bad configuration, epmd unreachable, the node name taken, the listen port in use, ...).
class dist_error : public bitactor::error {
 public:
  using bitactor::error::error;
};

/// A call to a server on another node (distributed_node::call) failed; `reason()` is what
/// gen_server:call would exit with: `timeout`, `noproc` (no process has the name there),
/// `noconnection` (the node cannot be reached or went down mid-call), or the server's own exit
/// reason when it ended before replying.
class remote_call_error : public dist_error {
 public:
  remote_call_error(exit_reason reason, const std::string& call)
      : dist_error(call + " failed: " + reason.to_string()), reason_(std::move(reason)) {}
  const exit_reason& reason() const noexcept { return reason_; }

 private:
  exit_reason reason_;
};

}  // namespace bitactor::dist
