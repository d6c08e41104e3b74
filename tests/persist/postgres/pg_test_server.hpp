#pragma once
// Test support: throwaway PostgreSQL servers (the pg_server script beside this file) and raw
// SQL behind the storage's back.

#include <string>

#include "bitactor/persist/postgres/postgres_storage.hpp"

namespace bitactor::persist::testing {

/// A server of the test's own, started in the constructor and removed in the destructor.
class pg_test_server {
 public:
  pg_test_server();
  ~pg_test_server();
  pg_test_server(const pg_test_server&) = delete;
  pg_test_server& operator=(const pg_test_server&) = delete;

  const std::string& conninfo() const noexcept { return conninfo_; }
  /// pg_ctl stop -m fast: the server ends its sessions and stops; its data stays.
  void halt();
  /// Starts it again on the same socket.
  void resume();

 private:
  std::string state_;
  std::string conninfo_;
};

/// The connection string of the server every test of the run shares: the ctest fixture's
/// (BITACTOR_PG_STATE names its state file) or, outside ctest, one this process starts on
/// first use and removes at exit.
const std::string& shared_conninfo();

/// A schema name no other test (process) uses: the running test's name and a counter.
std::string fresh_schema();

/// Options for a storage in a fresh schema of the shared server.
postgres_options fresh_options();

/// Runs `sql` on a connection of its own; returns the first column of the first row, if any.
/// Fails the test (throws) on error.
std::string run_sql(const std::string& conninfo, const std::string& sql);

/// A TCP port on 127.0.0.1 nothing listens on (bound, then closed).
int unused_port();

}  // namespace bitactor::persist::testing
