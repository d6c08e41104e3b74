// The optional spdlog sink (bitactor::otp_spdlog): reports reach an spdlog logger as text.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <bitactor/otp/spdlog_sink.hpp>
#include <bitactor/term/parse.hpp>
#include <sstream>

using namespace bitactor::otp;
namespace term = bitactor::term;

namespace {
report supervisor_report() {
  report r;
  r.type = report::kind::supervisor;
  r.level = report_level::error;
  r.add("child", term::atom("kv")).add("action", term::atom("restarting"));
  return r;
}

report progress_report() {
  report r;
  r.type = report::kind::progress;
  r.level = report_level::info;
  r.add("child", term::atom("kv"));
  return r;
}

struct text_logger {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
  text_logger() { logger->set_pattern("[%l] %v"); }
};
}  // namespace

TEST(spdlog_sink, the_logger_receives_the_report_text_at_the_matching_level) {
  text_logger out;
  std::size_t id = add_spdlog_sink(out.logger);
  log_report(supervisor_report());
  remove_report_sink(id);
  EXPECT_EQ(out.text.str(), "[error] " + format_report(supervisor_report()) + "\n");
}

TEST(spdlog_sink, the_sink_minimum_level_keeps_reports_from_being_built) {
  set_default_sink_level(report_level::none);
  text_logger out;
  std::size_t id = add_spdlog_sink(out.logger, report_level::warning);
  EXPECT_FALSE(report_wanted(report_level::info));
  EXPECT_TRUE(report_wanted(report_level::error));
  log_report(progress_report());
  remove_report_sink(id);
  set_default_sink_level(report_level::info);
  EXPECT_EQ(out.text.str(), "");
}

TEST(spdlog_sink, the_logger_level_applies_too) {
  text_logger out;
  out.logger->set_level(spdlog::level::warn);
  std::size_t id = add_spdlog_sink(out.logger, report_level::debug);
  log_report(progress_report());
  remove_report_sink(id);
  EXPECT_EQ(out.text.str(), "");
}

TEST(spdlog_sink, levels_map_to_spdlog_levels) {
  EXPECT_EQ(to_spdlog_level(report_level::notice), spdlog::level::info);
  EXPECT_EQ(to_spdlog_level(report_level::warning), spdlog::level::warn);
  EXPECT_EQ(to_spdlog_level(report_level::emergency), spdlog::level::critical);
  EXPECT_EQ(to_spdlog_level(report_level::none), spdlog::level::off);
}
