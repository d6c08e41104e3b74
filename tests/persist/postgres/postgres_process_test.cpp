// A persistent process on a PostgreSQL server that really stops (pg_ctl stop) and starts again:
// the process fails alone under its supervisor, its restarts wait out the outage, and
// afterwards it holds every deposit it acknowledged and nothing it did not.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "account.hpp"
#include "bitactor/otp/supervisor.hpp"
#include "bitactor/persist/postgres/postgres_storage.hpp"
#include "pg_test_server.hpp"
#include "process_test_support.hpp"

namespace bitactor::persist::testing {
namespace {

using namespace std::chrono_literals;

// The balance of the account registered as "acct" once a call reaches it, nullopt if no call
// does within `limit` (calls fail while the supervisor restarts it); `last_error` is then why
// the last call failed.
std::optional<std::int64_t> balance_within(node& n, std::chrono::milliseconds limit,
                                           std::string& last_error) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      return otp::call(n, "acct", balance{}, 2s);
    } catch (const otp::call_error& e) {
      last_error = e.what();
      std::this_thread::yield();  // restarting: a later call finds the new incarnation
    }
  }
  return std::nullopt;
}

TEST(persist_postgres_process,
     a_stopped_server_fails_the_process_alone_and_after_it_returns_every_ack_is_there) {
  pg_test_server server;
  postgres_options so;
  so.connection = server.conninfo();
  so.schema = fresh_schema();
  so.retry_budget = 300ms;  // a write fails 300 ms into the outage
  so.initial_backoff = 20ms;
  postgres_storage store(so);
  persistence_options po;
  po.read_attempts = 8;  // a restart's recovery waits up to ~1.3 s for the server
  po.read_backoff = 10ms;
  persistence p(store, po);
  node n(two_workers());

  persistent_options ao;
  ao.persistence_id = "acct-pg";
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 100, .period = 60s},
      .children = {
          otp::child_spec::worker<account>("acct", std::ref(p), ao).registered_as("acct")}};
  auto sup = otp::start_supervisor(n, spec);
  ASSERT_TRUE(sup.ok()) << sup.to_string();
  for (std::int64_t d = 1; d <= 5; ++d) otp::call(n, "acct", deposit{d}, 30s);
  const pid before = *n.whereis("acct");

  server.halt();
  try {
    otp::call(n, "acct", deposit{100}, 30s);  // fails within the 300 ms budget
    FAIL() << "a deposit was acknowledged while the server was stopped";
  } catch (const otp::call_error& e) {
    const std::string why = e.what();
    EXPECT_NE(why.find("persist_failed"), std::string::npos) << why;
    EXPECT_NE(why.find("acct-pg"), std::string::npos) << why;
  }
  EXPECT_TRUE(n.is_alive(sup.process)) << "the supervisor outlives its child's failure";

  server.resume();
  std::string last_error;
  const auto balance = balance_within(n, 60s, last_error);
  ASSERT_TRUE(balance) << "the account did not come back after the server did; the last call: "
                       << last_error << "; the supervisor is "
                       << (n.is_alive(sup.process) ? "alive" : "gone");
  EXPECT_EQ(*balance, 15) << "the five acknowledged deposits, and not the refused one";
  EXPECT_NE(*n.whereis("acct"), before) << "a new incarnation, recovered from the server";
  EXPECT_EQ(otp::call(n, "acct", deposit{1}, 30s), 16);
  EXPECT_EQ(store.highest_sequence("acct-pg"), 6u);
  n.stop();
}

}  // namespace
}  // namespace bitactor::persist::testing
