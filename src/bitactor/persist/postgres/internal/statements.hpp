#pragma once
// The storage's SQL in one place: the schema it creates on open and the statements each
// connection prepares. Every table lives in one schema whose (quoted) name is spliced in.

#include <string>
#include <vector>

namespace bitactor::persist::postgres_internal {

/// The schema layout's version; a database holding another one fails open.
inline constexpr int schema_version = 1;

/// The prepared statements, by name.
namespace statement {
inline constexpr const char* advance_highest = "bitactor_advance_highest";
inline constexpr const char* insert_events = "bitactor_insert_events";
inline constexpr const char* put_keys = "bitactor_put_keys";
inline constexpr const char* put_snapshot = "bitactor_put_snapshot";
inline constexpr const char* delete_events = "bitactor_delete_events";
inline constexpr const char* read_events = "bitactor_read_events";
inline constexpr const char* highest = "bitactor_highest";
inline constexpr const char* latest_snapshot = "bitactor_latest_snapshot";
inline constexpr const char* find_key = "bitactor_find_key";
inline constexpr const char* expire_keys = "bitactor_expire_keys";
}  // namespace statement

/// The DDL that creates the schema if missing and records its version (run in one
/// transaction, under an advisory lock, by the first connection of a storage).
std::string create_schema_sql(const std::string& quoted_schema);
/// Reads the recorded version(s).
std::string read_version_sql(const std::string& quoted_schema);

struct prepared_sql {
  const char* name;
  std::string sql;
};
/// Every statement a connection prepares once, right after connecting.
std::vector<prepared_sql> statements_sql(const std::string& quoted_schema);

}  // namespace bitactor::persist::postgres_internal
