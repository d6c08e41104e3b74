#include "bitactor/otp/json_lines_sink.hpp"

#include <cerrno>
#include <system_error>

namespace bitactor::otp {

json_lines_sink::json_lines_sink(const std::string& path, bool truncate)
    : file_(std::fopen(path.c_str(), truncate ? "w" : "a")) {
  if (file_ == nullptr) {
    throw std::system_error(errno, std::generic_category(), "json_lines_sink: cannot open " + path);
  }
}

json_lines_sink::~json_lines_sink() { std::fclose(file_); }

void json_lines_sink::write(const report& r) {
  std::string line = report_to_json(r);
  line += '\n';
  std::lock_guard guard(lock_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace bitactor::otp
