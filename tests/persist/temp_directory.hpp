#pragma once
// A directory of the test's own under the system's temporary directory, removed with the
// object.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace bitactor::persist::testing {

class temp_directory {
 public:
  temp_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bitactor-persist-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_directory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_directory(const temp_directory&) = delete;
  temp_directory& operator=(const temp_directory&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace bitactor::persist::testing
