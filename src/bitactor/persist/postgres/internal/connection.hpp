#pragma once
// One libpq connection (PGconn) and the few calls the storage makes on it: prepared statements
// with binary parameters and binary results, a simple query for transaction control, and the
// classification of failures into what the storage reports (a lost connection, a unique
// violation, any other server error).
//
// A connection serves one thread at a time (libpq's rule); the pool hands each to one caller.

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist::postgres_internal {

/// The connection broke (server stopped, network lost): the call may be retried on a fresh one.
class connection_lost : public storage_error {
 public:
  explicit connection_lost(std::string what) : storage_error(std::move(what), true) {}
};

/// A statement failed on the server with `sqlstate` (e.g. 23505, unique_violation).
class server_error : public storage_error {
 public:
  server_error(std::string what, std::string sqlstate, bool retryable)
      : storage_error(std::move(what), retryable), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  bool unique_violation() const noexcept { return sqlstate_ == "23505"; }

 private:
  std::string sqlstate_;
};

/// A statement's parameters, all sent in binary: bytes as they are, integers in network order.
class parameters {
 public:
  parameters& bytes(std::string_view value);
  parameters& int8(std::int64_t value);
  /// A one-dimensional bytea[] or int8[] array in PostgreSQL's binary array format.
  parameters& bytea_array(const std::vector<std::string>& values);
  parameters& bytea_array(const std::vector<std::string_view>& values);
  parameters& int8_array(const std::vector<std::int64_t>& values);

  int count() const noexcept { return static_cast<int>(values_.size()); }
  /// Pointers to the values, taken now: a parameters object may have been copied or moved
  /// since they were added (a moved short string lives in its new object).
  const char* const* values() const;
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  void add(std::string value);
  std::deque<std::string> values_;
  mutable std::vector<const char*> pointers_;  // filled by values()
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

/// A statement's result, in binary format: PQgetvalue is the column's binary representation.
class result {
 public:
  explicit result(PGresult* r) noexcept : r_(r) {}
  int rows() const noexcept { return PQntuples(r_.get()); }
  std::string_view bytes(int row, int column) const noexcept;
  std::int64_t int8(int row, int column) const;
  /// Rows a DELETE/UPDATE/INSERT touched.
  std::uint64_t affected() const;

 private:
  struct clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, clear> r_;
};

class connection {
 public:
  /// Connects once (no retry); throws connection_lost naming the host and port on failure.
  connection(const std::string& conninfo, int connect_timeout_s);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Prepares `sql` as `name`; the parameter types are given by casts in the SQL.
  void prepare(const char* name, const std::string& sql);
  /// Runs a prepared statement; throws connection_lost or server_error.
  result run(const char* name, const parameters& params);
  /// Runs text SQL (transaction control, DDL); throws connection_lost or server_error.
  result exec(const std::string& sql);

  /// False once libpq saw the connection break.
  bool healthy() const noexcept { return PQstatus(conn_) == CONNECTION_OK; }
  /// "host=H port=P", for messages.
  const std::string& where() const noexcept { return where_; }

 private:
  result check(PGresult* r, std::string_view what);
  PGconn* conn_ = nullptr;
  std::string where_;
};

/// "host=H port=P" of a connection string, with libpq's defaults for what it leaves out.
std::string describe_server(const std::string& conninfo);

}  // namespace bitactor::persist::postgres_internal
