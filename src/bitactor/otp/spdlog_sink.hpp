#pragma once
// Reports to an spdlog logger: one optional sink, in its own target. A program that wants it
// links bitactor::otp_spdlog (find_package(BitActor COMPONENTS otp_spdlog) when installed),
// which brings spdlog; no other BitActor header or target needs spdlog.
//
//   auto logger = spdlog::basic_logger_mt("bitactor.otp", "reports.log");
//   otp::add_spdlog_sink(logger, otp::report_level::warning);

#include <spdlog/logger.h>

#include <cstddef>
#include <memory>
#include <utility>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {

/// spdlog's level for a report level: notice is info; critical, alert and emergency are
/// critical; none is off.
spdlog::level::level_enum to_spdlog_level(report_level l) noexcept;

/// Logs each report to `logger` as format_report(r) text at to_spdlog_level(r.level); the
/// logger's own level and sinks apply after the sink's minimum level.
class spdlog_sink final : public report_sink {
 public:
  explicit spdlog_sink(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}
  void write(const report& r) override;
  const std::shared_ptr<spdlog::logger>& logger() const noexcept { return logger_; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

/// add_report_sink(std::make_shared<spdlog_sink>(logger), min_level). Reports below
/// `min_level` are neither built nor passed to spdlog (report_wanted).
std::size_t add_spdlog_sink(std::shared_ptr<spdlog::logger> logger,
                            report_level min_level = report_level::info);

}  // namespace bitactor::otp
