// Structured reports (OTP kernel "Logging": crash, supervisor, progress reports): one text
// rendering, one JSON rendering, routed to spdlog sinks and to capturing handlers.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <bitactor/otp/report.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace bitactor::otp;

namespace {
report sample() {
  report r;
  r.type = report::kind::supervisor;
  r.level = spdlog::level::err;
  r.add("supervisor", "<0.3.1>").add("child", "kv").add("action", "restarting");
  return r;
}

struct logger_swap {
  std::shared_ptr<spdlog::logger> saved = report_logger();
  explicit logger_swap(std::shared_ptr<spdlog::logger> l) { set_report_logger(std::move(l)); }
  ~logger_swap() { set_report_logger(saved); }
};
}  // namespace

TEST(report, text_rendering_lists_fields_in_order_under_a_title) {
  EXPECT_EQ(format_report(sample()),
            "SUPERVISOR REPORT\n    supervisor: <0.3.1>\n    child: kv\n    action: restarting");
}

TEST(report, json_rendering_carries_kind_level_and_fields) {
  auto j = nlohmann::json::parse(report_to_json(sample()));
  EXPECT_EQ(j["kind"], "supervisor");
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["child"], "kv");
}

TEST(report, capture_sees_every_logged_report_as_data) {
  report_capture capture;
  log_report(sample());
  ASSERT_EQ(capture.of_kind(report::kind::supervisor).size(), 1u);
  EXPECT_EQ(capture.reports()[0].get("action"), "restarting");
  EXPECT_TRUE(capture.of_kind(report::kind::crash).empty());
}

TEST(report, reports_reach_the_spdlog_sinks_of_the_report_logger) {
  std::ostringstream text;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
  logger_swap swap(std::make_shared<spdlog::logger>("test", sink));
  log_report(sample());
  EXPECT_NE(text.str().find("SUPERVISOR REPORT"), std::string::npos);
}

TEST(report, json_lines_sink_writes_one_object_per_report) {
  std::string path = ::testing::TempDir() + "otp_reports.jsonl";
  {
    auto sink = std::make_shared<json_lines_sink>(path, true);
    logger_swap swap(std::make_shared<spdlog::logger>("test", sink));
    log_report(sample());
    report progress;
    progress.type = report::kind::progress;
    progress.level = spdlog::level::info;
    progress.add("child", "kv");
    log_report(progress);
    report_logger()->flush();
  }
  std::ifstream in(path);
  std::string line1, line2;
  ASSERT_TRUE(std::getline(in, line1) && std::getline(in, line2));
  EXPECT_EQ(nlohmann::json::parse(line1)["action"], "restarting");
  EXPECT_EQ(nlohmann::json::parse(line2)["kind"], "progress");
  std::remove(path.c_str());
}

TEST(report, level_filters_apply_per_logger) {
  std::ostringstream text;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::warn);
  logger_swap swap(logger);
  report progress;
  progress.type = report::kind::progress;
  progress.level = spdlog::level::info;
  log_report(progress);
  EXPECT_TRUE(text.str().empty());
}
