#include "bitactor/core/node_config.hpp"

#include <string>

#include "bitactor/core/error.hpp"

namespace bitactor {

namespace {

bool alive_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Erlang's rule for node names (erl -name / -sname, net_kernel): Alive@Host, where Alive is
// one or more of [A-Za-z0-9_-] and Host is not empty.
std::string name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > 255) return "is longer than 255 bytes";
  auto at = name.find('@');
  if (at == std::string::npos) return "has no '@'";
  if (name.find('@', at + 1) != std::string::npos) return "has more than one '@'";
  if (at == 0) return "has an empty alive part before '@'";
  if (at + 1 == name.size()) return "has an empty host after '@'";
  for (std::size_t i = 0; i < at; ++i) {
    if (!alive_char(name[i])) return "has a character other than [A-Za-z0-9_-] before '@'";
  }
  for (std::size_t i = at + 1; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c <= ' ' || c == 0x7f) return "has a space or control character in the host";
  }
  return {};
}

}  // namespace

void node_config::validate() const {
  auto fail = [](const std::string& what) { throw config_error("invalid node_config: " + what); };
  if (workers == 0) fail("workers must be at least 1 (got 0)");
  if (workers > max_workers) {
    fail("workers must be at most " + std::to_string(max_workers) + " (got " +
         std::to_string(workers) + ")");
  }
  if (policy == scheduling_policy::work_stealing && blocking_threads == 0) {
    fail("blocking_threads must be at least 1 (got 0): spawn_blocking processes would never run");
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
  if (stop_timeout.count() <= 0) {
    fail("stop_timeout must be positive (got " + std::to_string(stop_timeout.count()) + " ms)");
  }
  if (batch > 1'000'000) fail("batch must be at most 1000000 (got " + std::to_string(batch) + ")");
  if (policy != scheduling_policy::work_stealing && policy != scheduling_policy::deterministic) {
    fail("policy must be work_stealing or deterministic (got " +
         std::to_string(static_cast<int>(policy)) + ")");
  }
  if (auto problem = name_problem(name); !problem.empty()) {
    fail("name must be alive@host (alive of [A-Za-z0-9_-], at most 255 bytes): \"" + name + "\" " +
         problem);
  }
}

}  // namespace bitactor
