#include "bitactor/persist/postgres/internal/statements.hpp"

namespace bitactor::persist::postgres_internal {

// Identifiers and keys are bytea, not text: a persistence id is bytes to the storage, and text
// would refuse those that are not valid UTF-8. Sequences are bigint (the storage rejects
// sequences past INT64_MAX); a CRC-32 fits a bigint without sign games.
std::string create_schema_sql(const std::string& s) {
  return "CREATE SCHEMA IF NOT EXISTS " + s + ";\n" + "CREATE TABLE IF NOT EXISTS " + s +
         ".events (persistence_id bytea NOT NULL, sequence bigint NOT NULL,"
         " bytes bytea NOT NULL, crc bigint NOT NULL, PRIMARY KEY (persistence_id, sequence));\n" +
         "CREATE TABLE IF NOT EXISTS " + s +
         ".highest (persistence_id bytea PRIMARY KEY, sequence bigint NOT NULL);\n" +
         "CREATE TABLE IF NOT EXISTS " + s +
         ".snapshots (persistence_id bytea PRIMARY KEY, sequence bigint NOT NULL,"
         " bytes bytea NOT NULL, crc bigint NOT NULL);\n" +
         "CREATE TABLE IF NOT EXISTS " + s +
         ".idempotency_keys (persistence_id bytea NOT NULL, key bytea NOT NULL,"
         " result bytea NOT NULL, sequence bigint NOT NULL, expires_at_ms bigint NOT NULL,"
         " crc bigint NOT NULL, PRIMARY KEY (persistence_id, key));\n" +
         "CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON " + s +
         ".idempotency_keys (expires_at_ms);\n" + "CREATE TABLE IF NOT EXISTS " + s +
         ".schema_version (version integer NOT NULL);\n" + "INSERT INTO " + s +
         ".schema_version SELECT " + std::to_string(schema_version) +
         " WHERE NOT EXISTS (SELECT 1 FROM " + s + ".schema_version);\n";
}

std::string read_version_sql(const std::string& s) {
  return "SELECT version FROM " + s + ".schema_version";
}

std::vector<prepared_sql> statements_sql(const std::string& s) {
  return {
      // Moves the highest sequence of each id in $1 from the matching $2 (what the writer saw:
      // first_sequence - 1) to $3, or creates it when $2 is 0 and the id is new; returns how
      // many moved: fewer than the ids when another write got to one first (a gap or an
      // overlap). Under READ COMMITTED a concurrent writer of the same id waits on the row lock
      // and then sees the moved sequence, so exactly one of two racing writers succeeds. The
      // ids are distinct (the storage joins the appends of an id into one move).
      {statement::advance_highest,
       "WITH v AS (SELECT * FROM unnest($1::bytea[], $2::int8[], $3::int8[]) AS v(id, before, "
       "last)), moved AS (UPDATE " +
           s +
           ".highest h SET sequence = v.last FROM v WHERE h.persistence_id = v.id AND h.sequence "
           "= v.before RETURNING h.persistence_id), created AS (INSERT INTO " +
           s +
           ".highest (persistence_id, sequence) SELECT v.id, v.last FROM v WHERE v.before = 0 "
           "AND NOT EXISTS (SELECT 1 FROM moved WHERE moved.persistence_id = v.id) ON CONFLICT "
           "DO NOTHING RETURNING 1) SELECT (SELECT count(*) FROM moved) + (SELECT count(*) FROM "
           "created)"},
      // Every event of a write in one statement: ids, sequences, bytes and CRCs as arrays.
      {statement::insert_events,
       "INSERT INTO " + s +
           ".events (persistence_id, sequence, bytes, crc) SELECT * FROM unnest($1::bytea[], "
           "$2::int8[], $3::bytea[], $4::int8[])"},
      // Every idempotency key of a write in one statement (a write holds a key once).
      {statement::put_keys, "INSERT INTO " + s +
                                ".idempotency_keys (persistence_id, key, result, sequence, "
                                "expires_at_ms, crc) SELECT * FROM unnest($1::bytea[], "
                                "$2::bytea[], $3::bytea[], $4::int8[], $5::int8[], $6::int8[]) "
                                "ON CONFLICT (persistence_id, key) DO UPDATE SET result = "
                                "EXCLUDED.result, sequence = EXCLUDED.sequence, expires_at_ms = "
                                "EXCLUDED.expires_at_ms, crc = EXCLUDED.crc"},
      {statement::put_snapshot,
       "INSERT INTO " + s +
           ".snapshots (persistence_id, sequence, bytes, crc) VALUES ($1::bytea, $2::int8, "
           "$3::bytea, $4::int8) ON CONFLICT (persistence_id) DO UPDATE SET sequence = "
           "EXCLUDED.sequence, bytes = EXCLUDED.bytes, crc = EXCLUDED.crc"},
      {statement::delete_events, "DELETE FROM " + s +
                                     ".events WHERE persistence_id = $1::bytea AND sequence <= "
                                     "$2::int8"},
      {statement::read_events, "SELECT sequence, bytes, crc FROM " + s +
                                   ".events WHERE persistence_id = $1::bytea AND sequence "
                                   "BETWEEN $2::int8 AND $3::int8 ORDER BY sequence"},
      {statement::highest,
       "SELECT sequence FROM " + s + ".highest WHERE persistence_id = $1::bytea"},
      {statement::latest_snapshot,
       "SELECT sequence, bytes, crc FROM " + s + ".snapshots WHERE persistence_id = $1::bytea"},
      {statement::find_key, "SELECT result, sequence, expires_at_ms, crc FROM " + s +
                                ".idempotency_keys WHERE persistence_id = $1::bytea AND key = "
                                "$2::bytea"},
      {statement::expire_keys,
       "DELETE FROM " + s + ".idempotency_keys WHERE expires_at_ms < $1::int8"},
  };
}

}  // namespace bitactor::persist::postgres_internal
