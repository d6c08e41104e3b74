#include "bitactor/otp/spdlog_sink.hpp"

namespace bitactor::otp {

spdlog::level::level_enum to_spdlog_level(report_level l) noexcept {
  switch (l) {
    case report_level::debug:
      return spdlog::level::debug;
    case report_level::info:
    case report_level::notice:
      return spdlog::level::info;
    case report_level::warning:
      return spdlog::level::warn;
    case report_level::error:
      return spdlog::level::err;
    case report_level::critical:
    case report_level::alert:
    case report_level::emergency:
      return spdlog::level::critical;
    case report_level::none:
      break;
  }
  return spdlog::level::off;
}

void spdlog_sink::write(const report& r) {
  const auto level = to_spdlog_level(r.level);
  if (logger_->should_log(level)) logger_->log(level, "{}", format_report(r));
}

std::size_t add_spdlog_sink(std::shared_ptr<spdlog::logger> logger, report_level min_level) {
  return add_report_sink(std::make_shared<spdlog_sink>(std::move(logger)), min_level);
}

}  // namespace bitactor::otp
