#include "bitactor/persist/postgres/internal/connection.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <limits>
#include <stdexcept>

namespace bitactor::persist::postgres_internal {

namespace {

// PostgreSQL's type oids for the arrays' element types (pg_type.h; stable since 7.x).
constexpr std::uint32_t bytea_oid = 17;
constexpr std::uint32_t int8_oid = 20;

void put_u32(std::string& out, std::uint32_t v) {
  const std::uint32_t n = htonl(v);
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
}

void put_u64(std::string& out, std::uint64_t v) {
  put_u32(out, static_cast<std::uint32_t>(v >> 32));
  put_u32(out, static_cast<std::uint32_t>(v));
}

std::uint64_t get_u64(const char* p) {
  std::uint32_t hi = 0;
  std::uint32_t lo = 0;
  std::memcpy(&hi, p, 4);
  std::memcpy(&lo, p + 4, 4);
  return (std::uint64_t{ntohl(hi)} << 32) | ntohl(lo);
}

// The binary array format (src/backend/utils/adt/arrayfuncs.c, array_recv): dimensions, a
// has-nulls flag, the element type, then per dimension its length and lower bound, then each
// element as a 4-byte length and its bytes.
std::string array_header(std::size_t n, std::uint32_t element_oid) {
  std::string out;
  put_u32(out, 1);  // dimensions
  put_u32(out, 0);  // no nulls
  put_u32(out, element_oid);
  put_u32(out, static_cast<std::uint32_t>(n));
  put_u32(out, 1);  // lower bound
  return out;
}

std::string first_line(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string option_value(const PQconninfoOption* options, const char* keyword) {
  if (options == nullptr) return {};
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, keyword) == 0 && o->val != nullptr) return o->val;
  }
  return {};
}

}  // namespace

parameters& parameters::bytes(std::string_view value) {
  add(std::string(value));
  return *this;
}

parameters& parameters::int8(std::int64_t value) {
  std::string out;
  put_u64(out, static_cast<std::uint64_t>(value));
  add(std::move(out));
  return *this;
}

parameters& parameters::bytea_array(const std::vector<std::string>& values) {
  return bytea_array(std::vector<std::string_view>(values.begin(), values.end()));
}

parameters& parameters::bytea_array(const std::vector<std::string_view>& values) {
  std::size_t size = 0;
  for (auto v : values) size += 4 + v.size();
  std::string out = array_header(values.size(), bytea_oid);
  out.reserve(out.size() + size);
  for (auto v : values) {
    put_u32(out, static_cast<std::uint32_t>(v.size()));
    out += v;
  }
  add(std::move(out));
  return *this;
}

parameters& parameters::int8_array(const std::vector<std::int64_t>& values) {
  std::string out = array_header(values.size(), int8_oid);
  for (auto v : values) {
    put_u32(out, 8);
    put_u64(out, static_cast<std::uint64_t>(v));
  }
  add(std::move(out));
  return *this;
}

void parameters::add(std::string value) {
  if (value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw storage_error("postgres_storage: a value of " + std::to_string(value.size()) +
                            " bytes exceeds what one statement parameter can hold",
                        false);
  }
  values_.push_back(std::move(value));
  lengths_.push_back(static_cast<int>(values_.back().size()));
  formats_.push_back(1);
}

const char* const* parameters::values() const {
  pointers_.clear();
  for (const auto& v : values_) pointers_.push_back(v.data());
  return pointers_.data();
}

std::string_view result::bytes(int row, int column) const noexcept {
  return {PQgetvalue(r_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(r_.get(), row, column))};
}

std::int64_t result::int8(int row, int column) const {
  if (PQgetlength(r_.get(), row, column) != 8) {
    throw storage_error("postgres_storage: expected an int8 column in the server's reply", false);
  }
  return static_cast<std::int64_t>(get_u64(PQgetvalue(r_.get(), row, column)));
}

std::uint64_t result::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n != nullptr && *n != '\0' ? std::stoull(n) : 0;
}

std::string describe_server(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  PQconninfoOption* defaults = PQconndefaults();
  auto pick = [&](const char* keyword, const char* fallback) {
    std::string v = option_value(parsed, keyword);
    if (v.empty()) v = option_value(defaults, keyword);
    return v.empty() ? std::string(fallback) : v;
  };
  std::string host = pick("host", "");
  if (host.empty()) host = pick("hostaddr", "/var/run/postgresql");
  std::string where = "host=" + host + " port=" + pick("port", "5432");
  if (parsed != nullptr) PQconninfoFree(parsed);
  if (defaults != nullptr) PQconninfoFree(defaults);
  return where;
}

connection::connection(const std::string& conninfo, int connect_timeout_s)
    : where_(describe_server(conninfo)) {
  // connect_timeout comes first so that one set in the connection string (expanded from
  // dbname) overrides it.
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "bitactor", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (conn_ == nullptr) throw std::bad_alloc();
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = "postgres_storage: cannot connect to PostgreSQL at " + where_ + ": " +
                          first_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw connection_lost(std::move(message));
  }
}

connection::~connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void connection::prepare(const char* name, const std::string& sql) {
  check(PQprepare(conn_, name, sql.c_str(), 0, nullptr), name);
}

result connection::run(const char* name, const parameters& params) {
  return check(PQexecPrepared(conn_, name, params.count(), params.values(), params.lengths(),
                              params.formats(), 1),
               name);
}

result connection::exec(const std::string& sql) { return check(PQexec(conn_, sql.c_str()), sql); }

result connection::check(PGresult* r, std::string_view what) {
  result res(r);
  const ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return res;
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  const std::string message = first_line(r != nullptr ? PQresultErrorMessage(r) : nullptr);
  const std::string detail = message.empty() ? first_line(PQerrorMessage(conn_)) : message;
  // Class 08 is connection_exception; 57P01-57P03 are the server shutting down or starting
  // (admin_shutdown, crash_shutdown, cannot_connect_now): all mean a fresh connection may work.
  if (!healthy() || sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
    throw connection_lost("postgres_storage: lost the connection to PostgreSQL at " + where_ +
                          " (" + std::string(what.substr(0, 60)) + "): " + detail);
  }
  // Class 40 (serialization failure, deadlock) and 53 (insufficient resources: disk full, out
  // of memory, too many connections) may succeed when tried again.
  const bool retryable = sqlstate.starts_with("40") || sqlstate.starts_with("53");
  throw server_error("postgres_storage: PostgreSQL at " + where_ + " failed " +
                         std::string(what.substr(0, 60)) + ": " + detail +
                         (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"),
                     sqlstate, retryable);
}

}  // namespace bitactor::persist::postgres_internal
