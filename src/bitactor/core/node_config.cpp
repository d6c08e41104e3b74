#include "bitactor/core/node_config.hpp"

#include <string>

#include "bitactor/core/error.hpp"

namespace bitactor {

void node_config::validate() const {
  auto fail = [](const std::string& what) { throw config_error("invalid node_config: " + what); };
  if (workers == 0) fail("workers must be at least 1 (got 0)");
  if (workers > max_workers) {
    fail("workers must be at most " + std::to_string(max_workers) + " (got " +
         std::to_string(workers) + ")");
  }
  if (blocking_threads > max_workers) {
    fail("blocking_threads must be at most " + std::to_string(max_workers) + " (got " +
         std::to_string(blocking_threads) + ")");
  }
  if (max_processes == 0) fail("max_processes must be at least 1 (got 0)");
  if (max_processes > max_process_limit) {
    fail("max_processes must be at most " + std::to_string(max_process_limit) + " (got " +
         std::to_string(max_processes) + ")");
  }
  if (batch == 0) fail("batch must be at least 1 (got 0)");
  if (batch > 1'000'000) fail("batch must be at most 1000000 (got " + std::to_string(batch) + ")");
  auto at = name.find('@');
  if (name.empty() || name.size() > 255 || at == std::string::npos || at == 0 ||
      at + 1 == name.size() || name.find('@', at + 1) != std::string::npos) {
    fail("name must look like name@host, at most 255 bytes (got \"" + name + "\")");
  }
}

}  // namespace bitactor
