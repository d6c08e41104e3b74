#include "bitactor/core/actor.hpp"

#include <string>

#include "bitactor/core/error.hpp"

namespace bitactor {

pid actor::resolve(std::string_view name) const {
  auto to = rt_->whereis(name);
  if (!to) throw badarg("send: no process registered as '" + std::string(name) + "'");
  return *to;
}

const char* to_string(process_status s) noexcept {
  switch (s) {
    case process_status::waiting:
      return "waiting";
    case process_status::runnable:
      return "runnable";
    case process_status::running:
      return "running";
    case process_status::exiting:
      return "exiting";
  }
  return "?";
}

}  // namespace bitactor
