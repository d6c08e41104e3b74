#include "bitactor/core/exit_reason.hpp"

#include <cxxabi.h>

#include <typeinfo>

#include "bitactor/core/type_id.hpp"

namespace bitactor {

exit_reason exit_reason::from_exception(const std::exception& e) {
  return exception(demangle(typeid(e).name()) + ": " + e.what());
}

exit_reason exit_reason::from_unknown_exception() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return exception(type != nullptr ? demangle(type->name()) : std::string("unknown exception"));
}

std::string exit_reason::to_string() const {
  switch (kind_) {
    case kind::normal:
      return "normal";
    case kind::shutdown:
      return detail_.empty() ? "shutdown" : "{shutdown," + detail_ + "}";
    case kind::kill:
      return "kill";
    case kind::killed:
      return "killed";
    case kind::noproc:
      return "noproc";
    case kind::noconnection:
      return "noconnection";
    case kind::exception:
      return "{exception," + detail_ + "}";
    case kind::other:
      return detail_;
  }
  return detail_;
}

std::ostream& operator<<(std::ostream& os, const exit_reason& r) { return os << r.to_string(); }

}  // namespace bitactor
