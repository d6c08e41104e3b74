#include "bitactor/otp/call.hpp"

namespace bitactor::otp::detail {

std::string describe_call(const pid& server, std::string_view request_type) {
  return "call to " + server.to_string() + " with " + std::string(request_type);
}

void throw_bad_reply(const pid& server, std::string_view expected, std::string_view got) {
  throw call_error(exit_reason::error("bad reply type " + std::string(got) + ", expected " +
                                      std::string(expected)),
                   "call to " + server.to_string());
}

exit_reason timeout_reason() { return exit_reason::error("timeout"); }

}  // namespace bitactor::otp::detail
