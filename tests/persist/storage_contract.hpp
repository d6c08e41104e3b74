#pragma once
// The contract of persist::storage (storage.hpp) as a typed gtest suite that every backend
// instantiates. A backend's fixture type B provides:
//
//   persist::storage& open();    // the storage under test, empty on the first call
//   persist::storage& reopen();  // closes it and opens the same data again (a restart)
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(memory, storage_contract, ::testing::Types<memory_backend>);
//
// Self-contained: it needs only gtest and storage.hpp.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist::testing {

inline write_batch append_batch(std::string id, std::uint64_t first,
                                std::vector<std::string> events) {
  write_batch b;
  b.appends.push_back({std::move(id), first, std::move(events), std::nullopt});
  return b;
}

inline std::vector<std::string> bytes_of(const std::vector<stored_event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.bytes);
  return out;
}

template <class Backend>
class storage_contract : public ::testing::Test {
 protected:
  Backend backend;
  storage& store() { return *store_; }
  storage& reopen() {
    store_ = &backend.reopen();
    return *store_;
  }

 private:
  storage* store_ = &backend.open();
};

TYPED_TEST_SUITE_P(storage_contract);

TYPED_TEST_P(storage_contract, fresh_storage_has_no_events_snapshot_or_keys) {
  storage& s = this->store();
  EXPECT_EQ(s.highest_sequence("acct"), 0u);
  EXPECT_TRUE(s.read_events("acct", 1).empty());
  EXPECT_FALSE(s.latest_snapshot("acct").has_value());
  EXPECT_FALSE(s.find_key("acct", "k1").has_value());
}

TYPED_TEST_P(storage_contract, appended_events_read_back_in_order_with_their_sequences) {
  storage& s = this->store();
  s.write(append_batch("acct", 1, {"a", "b"}), true);
  s.write(append_batch("acct", 3, {"c"}), true);
  auto events = s.read_events("acct", 1);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], (stored_event{1, "a"}));
  EXPECT_EQ(events[1], (stored_event{2, "b"}));
  EXPECT_EQ(events[2], (stored_event{3, "c"}));
  EXPECT_EQ(s.highest_sequence("acct"), 3u);
}

TYPED_TEST_P(storage_contract, read_events_honours_from_and_to) {
  storage& s = this->store();
  s.write(append_batch("acct", 1, {"1", "2", "3", "4", "5"}), false);
  EXPECT_EQ(bytes_of(s.read_events("acct", 2, 4)), (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_EQ(bytes_of(s.read_events("acct", 5)), (std::vector<std::string>{"5"}));
  EXPECT_TRUE(s.read_events("acct", 6).empty());
  EXPECT_TRUE(s.read_events("acct", 4, 3).empty());
}

TYPED_TEST_P(storage_contract, binary_event_bytes_round_trip) {
  storage& s = this->store();
  std::string bytes("\0\x01\xff\x83zero", 8);
  s.write(append_batch("acct", 1, {bytes, ""}), true);
  EXPECT_EQ(bytes_of(s.read_events("acct", 1)), (std::vector<std::string>{bytes, ""}));
}

TYPED_TEST_P(storage_contract, append_after_a_gap_is_a_sequence_conflict_and_stores_nothing) {
  storage& s = this->store();
  s.write(append_batch("acct", 1, {"a"}), true);
  EXPECT_THROW(s.write(append_batch("acct", 3, {"c"}), true), sequence_conflict);
  EXPECT_EQ(s.highest_sequence("acct"), 1u);
  EXPECT_EQ(s.read_events("acct", 1).size(), 1u);
}

TYPED_TEST_P(storage_contract, overlapping_append_is_a_sequence_conflict) {
  storage& s = this->store();
  s.write(append_batch("acct", 1, {"a", "b"}), true);
  EXPECT_THROW(s.write(append_batch("acct", 2, {"x"}), true), sequence_conflict);
  EXPECT_EQ(bytes_of(s.read_events("acct", 1)), (std::vector<std::string>{"a", "b"}));
}

TYPED_TEST_P(storage_contract, first_append_must_start_at_one) {
  storage& s = this->store();
  EXPECT_THROW(s.write(append_batch("acct", 2, {"a"}), true), sequence_conflict);
  EXPECT_EQ(s.highest_sequence("acct"), 0u);
}

TYPED_TEST_P(storage_contract, batch_with_one_conflicting_append_stores_nothing_at_all) {
  storage& s = this->store();
  write_batch b = append_batch("a", 1, {"a1"});
  b.appends.push_back({"b", 7, {"b7"}, idempotency_record{"k", "r", 7, 100}});
  b.snapshots.push_back({"a", {1, "state"}});
  EXPECT_THROW(s.write(b, true), sequence_conflict);
  EXPECT_EQ(s.highest_sequence("a"), 0u);
  EXPECT_TRUE(s.read_events("a", 1).empty());
  EXPECT_FALSE(s.latest_snapshot("a").has_value());
  EXPECT_FALSE(s.find_key("b", "k").has_value());
}

TYPED_TEST_P(storage_contract, one_batch_appends_to_several_ids_and_twice_to_one) {
  storage& s = this->store();
  write_batch b = append_batch("a", 1, {"a1"});
  b.appends.push_back({"b", 1, {"b1", "b2"}, std::nullopt});
  b.appends.push_back({"a", 2, {"a2"}, std::nullopt});
  s.write(b, true);
  EXPECT_EQ(bytes_of(s.read_events("a", 1)), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(bytes_of(s.read_events("b", 1)), (std::vector<std::string>{"b1", "b2"}));
}

TYPED_TEST_P(storage_contract, appends_to_one_id_in_one_batch_that_leave_a_gap_store_nothing) {
  storage& s = this->store();
  write_batch b = append_batch("a", 1, {"a1"});
  b.appends.push_back({"b", 1, {"b1"}, std::nullopt});
  b.appends.push_back({"a", 3, {"a3"}, std::nullopt});
  EXPECT_THROW(s.write(b, true), sequence_conflict);
  EXPECT_EQ(s.highest_sequence("a"), 0u);
  EXPECT_EQ(s.highest_sequence("b"), 0u);
}

TYPED_TEST_P(storage_contract, the_keys_of_many_ids_in_one_batch_are_all_stored) {
  storage& s = this->store();
  write_batch b;
  for (int i = 0; i < 50; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    b.appends.push_back({id,
                         1,
                         {"e" + std::to_string(i)},
                         idempotency_record{"k", "r" + std::to_string(i), 1, 1000}});
  }
  s.write(b, true);
  for (int i = 0; i < 50; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    EXPECT_EQ(s.find_key(id, "k"), (idempotency_record{"k", "r" + std::to_string(i), 1, 1000}));
    EXPECT_EQ(bytes_of(s.read_events(id, 1)), (std::vector<std::string>{"e" + std::to_string(i)}));
  }
}

TYPED_TEST_P(storage_contract, the_snapshots_and_deletions_of_many_ids_in_one_batch_are_stored) {
  storage& s = this->store();
  write_batch b;
  for (int i = 0; i < 20; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    b.appends.push_back({id, 1, {"1", "2", "3"}, std::nullopt});
    b.snapshots.push_back({id, {3, "state-" + std::to_string(i)}});
    b.deletions.push_back({id, 2});
  }
  s.write(b, true);
  for (int i = 0; i < 20; ++i) {
    const std::string id = "acct-" + std::to_string(i);
    EXPECT_EQ(s.latest_snapshot(id), (stored_snapshot{3, "state-" + std::to_string(i)}));
    EXPECT_EQ(bytes_of(s.read_events(id, 1)), (std::vector<std::string>{"3"}));
    EXPECT_EQ(s.highest_sequence(id), 3u);
  }
}

TYPED_TEST_P(storage_contract, ids_sharing_a_prefix_do_not_mix) {
  storage& s = this->store();
  s.write(append_batch("a", 1, {"a1"}), true);
  s.write(append_batch("ab", 1, {"ab1", "ab2"}), true);
  EXPECT_EQ(bytes_of(s.read_events("a", 1)), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(s.highest_sequence("a"), 1u);
  EXPECT_EQ(s.highest_sequence("ab"), 2u);
}

TYPED_TEST_P(storage_contract, latest_snapshot_is_the_one_with_the_highest_sequence) {
  storage& s = this->store();
  s.write(append_batch("acct", 1, {"1", "2", "3"}), true);
  write_batch b;
  b.snapshots.push_back({"acct", {2, "at2"}});
  s.write(b, true);
  EXPECT_EQ(s.latest_snapshot("acct"), (stored_snapshot{2, "at2"}));
  b.snapshots[0] = {"acct", {3, "at3"}};
  s.write(b, true);
  EXPECT_EQ(s.latest_snapshot("acct"), (stored_snapshot{3, "at3"}));
}

TYPED_TEST_P(storage_contract, snapshot_written_with_its_events_in_one_batch) {
  storage& s = this->store();
  write_batch b = append_batch("acct", 1, {"1", "2"});
  b.snapshots.push_back({"acct", {2, "state"}});
  s.write(b, true);
  EXPECT_EQ(s.latest_snapshot("acct"), (stored_snapshot{2, "state"}));
  EXPECT_EQ(s.highest_sequence("acct"), 2u);
}

TYPED_TEST_P(storage_contract, deleted_events_are_gone_but_highest_sequence_stays) {
  storage& s = this->store();
  s.write(append_batch("acct", 1, {"1", "2", "3", "4"}), true);
  write_batch d;
  d.deletions.push_back({"acct", 3});
  s.write(d, true);
  EXPECT_EQ(bytes_of(s.read_events("acct", 1)), (std::vector<std::string>{"4"}));
  EXPECT_EQ(s.highest_sequence("acct"), 4u);
  d.deletions[0].through = 4;
  s.write(d, true);
  EXPECT_TRUE(s.read_events("acct", 1).empty());
  EXPECT_EQ(s.highest_sequence("acct"), 4u);
  EXPECT_THROW(s.write(append_batch("acct", 1, {"again"}), true), sequence_conflict);
  s.write(append_batch("acct", 5, {"5"}), true);
  EXPECT_EQ(bytes_of(s.read_events("acct", 1)), (std::vector<std::string>{"5"}));
}

TYPED_TEST_P(storage_contract, idempotency_key_is_stored_with_its_events) {
  storage& s = this->store();
  write_batch b = append_batch("acct", 1, {"1", "2"});
  b.appends[0].key = idempotency_record{"pay-17", "ok:42", 2, 5000};
  s.write(b, true);
  EXPECT_EQ(s.find_key("acct", "pay-17"), (idempotency_record{"pay-17", "ok:42", 2, 5000}));
  EXPECT_FALSE(s.find_key("acct", "pay-18").has_value());
  EXPECT_FALSE(s.find_key("other", "pay-17").has_value());
}

TYPED_TEST_P(storage_contract, idempotency_key_without_events_is_stored) {
  // A command that was rejected (no events) still keeps its key, so a retry is answered the
  // same way.
  storage& s = this->store();
  write_batch b;
  b.appends.push_back({"acct", 1, {}, idempotency_record{"k", "rejected", 0, 10}});
  s.write(b, true);
  EXPECT_EQ(s.find_key("acct", "k"), (idempotency_record{"k", "rejected", 0, 10}));
  EXPECT_EQ(s.highest_sequence("acct"), 0u);
}

TYPED_TEST_P(storage_contract, expire_keys_forgets_only_keys_expired_before_now) {
  storage& s = this->store();
  write_batch b = append_batch("a", 1, {"1"});
  b.appends[0].key = idempotency_record{"old", "r1", 1, 100};
  b.appends.push_back({"b", 1, {"1"}, idempotency_record{"new", "r2", 1, 200}});
  s.write(b, true);
  EXPECT_EQ(s.expire_keys(100), 0u);  // expires_at 100 is not before 100
  EXPECT_EQ(s.expire_keys(150), 1u);
  EXPECT_FALSE(s.find_key("a", "old").has_value());
  EXPECT_TRUE(s.find_key("b", "new").has_value());
  EXPECT_EQ(s.read_events("a", 1).size(), 1u);  // the events stay
}

TYPED_TEST_P(storage_contract, everything_written_survives_a_reopen) {
  {
    storage& s = this->store();
    write_batch b = append_batch("acct", 1, {"1", "2", "3"});
    b.appends[0].key = idempotency_record{"k", "r", 3, 99};
    b.snapshots.push_back({"acct", {2, "snap"}});
    b.deletions.push_back({"acct", 1});
    s.write(b, true);
  }
  storage& s = this->reopen();
  EXPECT_EQ(bytes_of(s.read_events("acct", 1)), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(s.highest_sequence("acct"), 3u);
  EXPECT_EQ(s.latest_snapshot("acct"), (stored_snapshot{2, "snap"}));
  EXPECT_EQ(s.find_key("acct", "k"), (idempotency_record{"k", "r", 3, 99}));
}

TYPED_TEST_P(storage_contract, concurrent_writers_of_distinct_ids_all_succeed) {
  storage& s = this->store();
  constexpr int writers = 4;
  constexpr int per_writer = 50;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&s, w] {
      std::string id = "w" + std::to_string(w);
      for (int i = 1; i <= per_writer; ++i) {
        s.write(append_batch(id, static_cast<std::uint64_t>(i), {std::to_string(i)}), false);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int w = 0; w < writers; ++w) {
    std::string id = "w" + std::to_string(w);
    auto events = s.read_events(id, 1);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(per_writer));
    for (int i = 0; i < per_writer; ++i) EXPECT_EQ(events[i].bytes, std::to_string(i + 1));
  }
}

TYPED_TEST_P(storage_contract, concurrent_writers_of_one_id_never_both_take_a_sequence) {
  storage& s = this->store();
  constexpr int writers = 4;
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&s, &stored, w] {
      for (std::uint64_t seq = 1; seq <= 20; ++seq) {
        try {
          s.write(append_batch("shared", seq, {std::to_string(w)}), false);
          ++stored;
        } catch (const sequence_conflict&) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stored.load(), 20);
  EXPECT_EQ(s.read_events("shared", 1).size(), 20u);
}

REGISTER_TYPED_TEST_SUITE_P(
    storage_contract, fresh_storage_has_no_events_snapshot_or_keys,
    appended_events_read_back_in_order_with_their_sequences, read_events_honours_from_and_to,
    binary_event_bytes_round_trip, append_after_a_gap_is_a_sequence_conflict_and_stores_nothing,
    overlapping_append_is_a_sequence_conflict, first_append_must_start_at_one,
    batch_with_one_conflicting_append_stores_nothing_at_all,
    one_batch_appends_to_several_ids_and_twice_to_one,
    appends_to_one_id_in_one_batch_that_leave_a_gap_store_nothing,
    the_keys_of_many_ids_in_one_batch_are_all_stored,
    the_snapshots_and_deletions_of_many_ids_in_one_batch_are_stored,
    ids_sharing_a_prefix_do_not_mix, latest_snapshot_is_the_one_with_the_highest_sequence,
    snapshot_written_with_its_events_in_one_batch,
    deleted_events_are_gone_but_highest_sequence_stays, idempotency_key_is_stored_with_its_events,
    idempotency_key_without_events_is_stored, expire_keys_forgets_only_keys_expired_before_now,
    everything_written_survives_a_reopen, concurrent_writers_of_distinct_ids_all_succeed,
    concurrent_writers_of_one_id_never_both_take_a_sequence);

}  // namespace bitactor::persist::testing
