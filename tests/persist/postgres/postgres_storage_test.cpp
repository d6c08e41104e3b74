// What is PostgreSQL's own in postgres_storage: the schema it creates, records corrupted
// behind its back (an UPDATE of a row's bytes) and its options.

#include "bitactor/persist/postgres/postgres_storage.hpp"

#include <gtest/gtest.h>

#include "pg_test_server.hpp"

namespace bitactor::persist::testing {
namespace {

write_batch append(std::string id, std::uint64_t first, std::vector<std::string> events) {
  write_batch b;
  b.appends.push_back({std::move(id), first, std::move(events), std::nullopt});
  return b;
}

// The error a call throws, for checks on its type and members.
template <class Error, class F>
Error thrown_by(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "nothing thrown";
  throw std::logic_error("nothing thrown");
}

TEST(persist_postgres_storage, opening_creates_the_schema_and_a_second_storage_sees_the_data) {
  const auto options = fresh_options();
  {
    postgres_storage first(options);
    first.write(append("acct", 1, {"opened", "deposited"}), true);
  }
  EXPECT_EQ(run_sql(options.connection, "SELECT count(*) FROM \"" + options.schema + "\".events"),
            "2");
  postgres_storage second(options);
  EXPECT_EQ(second.highest_sequence("acct"), 2u);
  EXPECT_EQ(second.read_events("acct", 1).size(), 2u);
}

TEST(persist_postgres_storage, storages_opening_one_new_schema_at_once_all_succeed) {
  const auto options = fresh_options();
  std::vector<std::thread> openers;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i) {
    openers.emplace_back([&] {
      postgres_storage s(options);
      ++opened;
    });
  }
  for (auto& t : openers) t.join();
  EXPECT_EQ(opened.load(), 4);
}

TEST(persist_postgres_storage,
     event_bytes_changed_behind_the_backend_fail_the_read_naming_id_and_sequence) {
  const auto options = fresh_options();
  postgres_storage s(options);
  s.write(append("acct-7", 1, {"e1", "e2", "e3"}), true);
  run_sql(options.connection, "UPDATE \"" + options.schema +
                                  "\".events SET bytes = 'tampered'::bytea WHERE persistence_id = "
                                  "'acct-7'::bytea AND sequence = 2");
  const auto e = thrown_by<corrupt_record>([&] { s.read_events("acct-7", 1); });
  EXPECT_EQ(e.persistence_id(), "acct-7");
  EXPECT_EQ(e.sequence(), 2u);
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("'acct-7'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("sequence 2"), std::string::npos) << e.what();
  // The events before the corrupt one still read.
  EXPECT_EQ(s.read_events("acct-7", 1, 1).size(), 1u);
}

TEST(persist_postgres_storage, a_snapshot_changed_behind_the_backend_fails_with_corrupt_record) {
  const auto options = fresh_options();
  postgres_storage s(options);
  write_batch b;
  b.snapshots.push_back({"acct", {4, "balance=10"}});
  s.write(b, true);
  run_sql(options.connection,
          "UPDATE \"" + options.schema + "\".snapshots SET bytes = 'balance=99'::bytea");
  const auto e = thrown_by<corrupt_record>([&] { s.latest_snapshot("acct"); });
  EXPECT_EQ(e.persistence_id(), "acct");
  EXPECT_EQ(e.sequence(), 4u);
}

TEST(persist_postgres_storage,
     an_idempotency_key_changed_behind_the_backend_fails_with_corrupt_record) {
  const auto options = fresh_options();
  postgres_storage s(options);
  auto b = append("acct", 1, {"e1"});
  b.appends[0].key = idempotency_record{"cmd", "ok", 1, 1000};
  s.write(b, true);
  run_sql(options.connection,
          "UPDATE \"" + options.schema + "\".idempotency_keys SET expires_at_ms = 999999");
  const auto e = thrown_by<corrupt_record>([&] { s.find_key("acct", "cmd"); });
  EXPECT_EQ(e.persistence_id(), "acct");
  EXPECT_EQ(e.sequence(), 1u);
}

TEST(persist_postgres_storage, a_schema_of_another_layout_version_fails_open_and_is_not_retryable) {
  const auto options = fresh_options();
  { postgres_storage s(options); }
  run_sql(options.connection, "UPDATE \"" + options.schema + "\".schema_version SET version = 99");
  const auto e = thrown_by<storage_error>([&] { postgres_storage s(options); });
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("layout version 99"), std::string::npos) << e.what();
}

TEST(persist_postgres_storage, invalid_options_fail_open_with_a_clear_error) {
  auto options = fresh_options();
  options.pool_size = 0;
  auto e = thrown_by<storage_error>([&] { postgres_storage s(options); });
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("pool_size"), std::string::npos) << e.what();

  options = fresh_options();
  options.connection = "host=/tmp port=";
  options.connection += "5432 sslmode";  // a keyword without a value
  e = thrown_by<storage_error>([&] { postgres_storage s(options); });
  EXPECT_FALSE(e.retryable());
  EXPECT_NE(std::string(e.what()).find("connection string"), std::string::npos) << e.what();
}

TEST(persist_postgres_storage, a_sequence_past_int64_max_is_refused_before_anything_is_stored) {
  postgres_storage s(fresh_options());
  const auto e = thrown_by<storage_error>(
      [&] { s.write(append("a", std::uint64_t{1} << 63 | 5, {"e"}), true); });
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(s.highest_sequence("a"), 0u);
}

TEST(persist_postgres_storage,
     a_sync_write_commits_with_synchronous_commit_on_and_others_with_it_off) {
  // The setting is per transaction (SET LOCAL): the session's own value is left alone, and a
  // read after either kind of write sees it (the commit is visible at once either way).
  const auto options = fresh_options();
  postgres_storage s(options);
  s.write(append("a", 1, {"sync"}), true);
  s.write(append("a", 2, {"async"}), false);
  EXPECT_EQ(s.read_events("a", 1).size(), 2u);
  EXPECT_EQ(run_sql(options.connection, "SHOW synchronous_commit"), "on");
}

}  // namespace
}  // namespace bitactor::persist::testing
