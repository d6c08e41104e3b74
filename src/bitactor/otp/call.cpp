#include "bitactor/otp/call.hpp"

namespace bitactor::otp::detail {

std::string describe_call(const pid& server, std::string_view request_type) {
  return "call to " + server.to_string() + " with " + std::string(request_type);
}

void throw_bad_reply(const pid& server, std::string_view expected, std::string_view got) {
  throw call_error(exit_reason::error(term::tuple(term::atom("bad_reply_type"), term::binary(got),
                                                  term::binary(expected))),
                   "call to " + server.to_string());
}

exit_reason timeout_reason() { return exit_reason::error(term::atom("timeout")); }

exit_reason unexpected_message_reason(std::string_view type_name) {
  return exit_reason::error(term::tuple(term::atom("unexpected_message"), term::binary(type_name)));
}

}  // namespace bitactor::otp::detail
