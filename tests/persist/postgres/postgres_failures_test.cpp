// Servers that are not there: unreachable at open, stopped mid-run (pg_ctl stop) and started
// again. Each stopping test runs a server of its own, so the shared one stays up.

#include <gtest/gtest.h>

#include <chrono>

#include "bitactor/persist/postgres/postgres_storage.hpp"
#include "pg_test_server.hpp"

namespace bitactor::persist::testing {
namespace {

using namespace std::chrono_literals;

write_batch append(std::string id, std::uint64_t first, std::vector<std::string> events) {
  write_batch b;
  b.appends.push_back({std::move(id), first, std::move(events), std::nullopt});
  return b;
}

template <class F>
storage_error storage_error_from(F&& f) {
  try {
    f();
  } catch (const storage_error& e) {
    return e;
  }
  ADD_FAILURE() << "no storage_error thrown";
  throw std::logic_error("no storage_error thrown");
}

TEST(persist_postgres_failures,
     an_unreachable_server_at_open_is_a_retryable_error_naming_host_and_port) {
  const int port = unused_port();
  postgres_options o;
  o.connection = "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres";
  o.retry_budget = 300ms;
  o.initial_backoff = 20ms;
  const auto started = std::chrono::steady_clock::now();
  const auto e = storage_error_from([&] { postgres_storage s(o); });
  const auto spent = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(e.retryable());
  const std::string what = e.what();
  EXPECT_NE(what.find("host=127.0.0.1 port=" + std::to_string(port)), std::string::npos) << what;
  EXPECT_NE(what.find("attempt(s)"), std::string::npos) << "it retried: " << what;
  EXPECT_GE(spent, 300ms) << "it retried for the whole budget";
  EXPECT_LT(spent, 10s);
}

TEST(persist_postgres_failures, a_missing_socket_directory_at_open_is_a_retryable_error_naming_it) {
  postgres_options o;
  o.connection = "host=/nonexistent/bitactor-pg port=6543 dbname=postgres";
  o.retry_budget = 0ms;
  const auto e = storage_error_from([&] { postgres_storage s(o); });
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("host=/nonexistent/bitactor-pg port=6543"),
            std::string::npos)
      << e.what();
}

TEST(persist_postgres_failures,
     a_server_stopped_mid_run_fails_calls_retryably_and_after_restart_the_next_call_works) {
  pg_test_server server;
  postgres_options o;
  o.connection = server.conninfo();
  o.schema = fresh_schema();
  o.pool_size = 2;
  o.retry_budget = 300ms;
  postgres_storage s(o);
  s.write(append("acct", 1, {"e1", "e2"}), true);

  server.halt();
  auto e = storage_error_from([&] { s.write(append("acct", 3, {"e3"}), true); });
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(
      std::string(e.what()).find(server.conninfo().substr(0, server.conninfo().find(" user"))),
      std::string::npos)
      << "names host and port: " << e.what();
  e = storage_error_from([&] { s.highest_sequence("acct"); });
  EXPECT_TRUE(e.retryable());

  server.resume();
  s.write(append("acct", 3, {"e3"}), true);
  const auto events = s.read_events("acct", 1);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].bytes, "e3");
}

TEST(persist_postgres_failures,
     a_server_restarted_between_calls_is_reconnected_to_within_the_budget) {
  // The pooled connections died with the old server; the next call notices, reconnects and
  // runs without the caller seeing a failure.
  pg_test_server server;
  postgres_options o;
  o.connection = server.conninfo();
  o.schema = fresh_schema();
  o.retry_budget = 10s;
  postgres_storage s(o);
  s.write(append("acct", 1, {"e1"}), true);
  server.halt();
  server.resume();
  EXPECT_EQ(s.highest_sequence("acct"), 1u);
  s.write(append("acct", 2, {"e2"}), true);
  EXPECT_EQ(s.read_events("acct", 1).size(), 2u);
}

}  // namespace
}  // namespace bitactor::persist::testing
