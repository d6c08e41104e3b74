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
  EXPECT_NE(start_error(c).find("alive@host"), std::string::npos);
  c.name = "a@b@c";
  EXPECT_NE(start_error(c).find("alive@host"), std::string::npos);
  c.name = "";
  EXPECT_NE(start_error(c).find("alive@host"), std::string::npos);
}

TEST(node_config, zero_blocking_threads_fails_at_start_naming_the_field) {
  // With no blocking thread a spawn_blocking process would never run, and stop() would wait
  // for it forever.
  node_config c;
  c.blocking_threads = 0;
  auto e = start_error(c);
  EXPECT_NE(e.find("blocking_threads must be at least 1 (got 0)"), std::string::npos) << e;
  c.blocking_threads = 5000;
  EXPECT_NE(start_error(c).find("blocking_threads must be at most 1024 (got 5000)"),
            std::string::npos);
}

TEST(node_config, deterministic_policy_needs_no_blocking_threads) {
  node_config c = node_config::deterministic(1);
  c.blocking_threads = 0;
  EXPECT_EQ(start_error(c), "");
}

TEST(node_config, limits_are_refused_with_the_field_and_the_value) {
  node_config c;
  c.workers = 1025;
  EXPECT_NE(start_error(c).find("workers must be at most 1024 (got 1025)"), std::string::npos);
  c = {};
  c.max_processes = node_config::max_process_limit + 1;
  EXPECT_NE(start_error(c).find("max_processes must be at most 134217728 (got 134217729)"),
            std::string::npos);
  c = {};
  c.max_processes = 0;
  EXPECT_NE(start_error(c).find("max_processes must be at least 1 (got 0)"), std::string::npos);
  c = {};
  c.batch = 2'000'000;
  EXPECT_NE(start_error(c).find("batch must be at most 1000000 (got 2000000)"), std::string::npos);
  c = {};
  c.policy = static_cast<scheduling_policy>(7);
  EXPECT_NE(start_error(c).find("policy must be work_stealing or deterministic (got 7)"),
            std::string::npos);
}

// Erlang's node names: Alive@Host, Alive one or more of [A-Za-z0-9_-], Host not empty
// (erl(1) -name / -sname).
TEST(node_config, node_name_follows_erlangs_alive_at_host_rule) {
  for (const char* good : {"nonode@nohost", "a@b", "my_node-2@host.example.com", "N1@127.0.0.1",
                           "x@host_with-odd.chars"}) {
    node_config c = node_config::deterministic(1);
    c.name = good;
    EXPECT_EQ(start_error(c), "") << good;
  }
  struct bad {
    const char* name;
    const char* why;
  };
  for (bad b : {bad{"", "is empty"}, bad{"nohost", "has no '@'"},
                bad{"a@b@c", "has more than one '@'"}, bad{"@host", "empty alive part"},
                bad{"alive@", "empty host"}, bad{"has space@host", "other than [A-Za-z0-9_-]"},
                bad{"dot.ted@host", "other than [A-Za-z0-9_-]"},
                bad{"caf\xc3\xa9@host", "other than [A-Za-z0-9_-]"},
                bad{"a@host name", "space or control character"},
                bad{"a@host\n", "space or control character"}}) {
    node_config c = node_config::deterministic(1);
    c.name = b.name;
    auto e = start_error(c);
    EXPECT_NE(e.find("name must be alive@host"), std::string::npos) << b.name << ": " << e;
    EXPECT_NE(e.find(b.why), std::string::npos) << b.name << ": " << e;
    EXPECT_NE(e.find(std::string("\"") + b.name + "\""), std::string::npos) << e;
  }
  node_config c = node_config::deterministic(1);
  c.name = std::string(251, 'a') + "@host";
  EXPECT_NE(start_error(c).find("longer than 255 bytes"), std::string::npos);
}

TEST(node_config, default_configuration_uses_every_hardware_thread) {
  node n;
  EXPECT_EQ(n.counters().workers, node_config::default_workers());
}
