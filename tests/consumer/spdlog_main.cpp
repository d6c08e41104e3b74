// A consumer of the optional spdlog report sink (bitactor::otp_spdlog): a report logged
// through it reaches an spdlog logger as format_report's text.
#include <spdlog/sinks/ostream_sink.h>

#include <bitactor/otp/spdlog_sink.hpp>
#include <cstdio>
#include <sstream>

namespace otp = bitactor::otp;

int main() {
  std::ostringstream text;
  auto logger = std::make_shared<spdlog::logger>(
      "bitactor.otp", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
  logger->set_pattern("%v");
  otp::set_default_sink_level(otp::report_level::none);
  otp::add_spdlog_sink(logger);
  otp::report r;
  r.type = otp::report::kind::progress;
  r.level = otp::report_level::info;
  r.add("child", bitactor::term::atom("doubler"));
  otp::log_report(r);
  if (text.str() != "PROGRESS REPORT\n    child: doubler\n") {
    std::printf("consumer_spdlog: FAILED: got \"%s\"\n", text.str().c_str());
    return 1;
  }
  std::printf("consumer_spdlog: the spdlog report sink works\n");
  return 0;
}
