#include <gtest/gtest.h>

#include <bitactor/core/error.hpp>
#include <bitactor/core/node.hpp>

using namespace bitactor;

namespace {
std::string start_error(node_config c) {
  try {
    node n(c);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(node_config, zero_workers_fails_at_start_with_a_clear_message) {
  node_config c;
  c.workers = 0;
  EXPECT_NE(start_error(c).find("workers must be at least 1"), std::string::npos);
}

TEST(node_config, absurd_limits_fail_at_start) {
  node_config c;
  c.max_processes = std::size_t{1} << 40;
  EXPECT_NE(start_error(c).find("max_processes"), std::string::npos);
  c = {};
  c.max_processes = 0;
  EXPECT_NE(start_error(c).find("max_processes"), std::string::npos);
  c = {};
  c.workers = 100000;
  EXPECT_NE(start_error(c).find("workers must be at most"), std::string::npos);
  c = {};
  c.batch = 0;
  EXPECT_NE(start_error(c).find("batch"), std::string::npos);
}

TEST(node_config, node_name_must_be_name_at_host) {
  node_config c;
  c.name = "nohost";
  EXPECT_NE(start_error(c).find("name@host"), std::string::npos);
  c.name = "a@b@c";
  EXPECT_NE(start_error(c).find("name@host"), std::string::npos);
  c.name = "";
  EXPECT_NE(start_error(c).find("name@host"), std::string::npos);
}

TEST(node_config, default_configuration_uses_every_hardware_thread) {
  node n;
  EXPECT_EQ(n.counters().workers, node_config::default_workers());
}
