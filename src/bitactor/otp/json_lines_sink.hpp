#pragma once
// A report sink writing one JSON object per line to a file ("JSON Lines"): each report as
// report_to_json renders it. No other library is needed to use it.
//
//   otp::add_report_sink(std::make_shared<otp::json_lines_sink>("reports.jsonl"));

#include <cstdio>
#include <mutex>
#include <string>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {

class json_lines_sink final : public report_sink {
 public:
  /// Opens `path` for appending (for writing from empty when `truncate`). Throws
  /// std::system_error if it cannot be opened.
  explicit json_lines_sink(const std::string& path, bool truncate = false);
  ~json_lines_sink() override;
  json_lines_sink(const json_lines_sink&) = delete;
  json_lines_sink& operator=(const json_lines_sink&) = delete;

  /// Writes the line and flushes it: a report is in the file when write returns, so a
  /// program that crashes next does not lose it. Any thread.
  void write(const report& r) override;

 private:
  std::mutex lock_;
  std::FILE* file_;
};

}  // namespace bitactor::otp
