#pragma once
// Errors of the distribution layer.

#include "bitactor/core/error.hpp"

namespace bitactor::dist {

/// Distribution could not start or an operation failed: the message names what and why
/// (bad configuration, epmd unreachable, the node name taken, the listen port in use, ...).
class dist_error : public bitactor::error {
 public:
  using bitactor::error::error;
};

}  // namespace bitactor::dist
