// fault_injecting_storage fails the way real storage fails, on demand.
#include "bitactor/persist/fault_injecting_storage.hpp"

#include <thread>

#include "bitactor/persist/memory_storage.hpp"
#include "storage_contract.hpp"

namespace bitactor::persist::testing {
namespace {

// With no fault armed it is the storage it wraps.
struct fault_free_backend {
  memory_storage inner;
  fault_injecting_storage store{inner};
  storage& open() { return store; }
  storage& reopen() { return store; }
};
INSTANTIATE_TYPED_TEST_SUITE_P(fault_free, storage_contract, ::testing::Types<fault_free_backend>);

TEST(fault_injecting_storage, full_disk_fails_every_write_and_stores_nothing) {
  memory_storage inner;
  fault_injecting_storage s(inner);
  s.fill_disk(true);
  try {
    s.write(append_batch("acct", 1, {"a"}), true);
    FAIL();
  } catch (const storage_error& e) {
    EXPECT_TRUE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("no space left"), std::string::npos);
  }
  EXPECT_EQ(inner.highest_sequence("acct"), 0u);
  s.fill_disk(false);
  s.write(append_batch("acct", 1, {"a"}), true);
  EXPECT_EQ(inner.highest_sequence("acct"), 1u);
}

TEST(fault_injecting_storage, failed_writes_count_down) {
  memory_storage inner;
  fault_injecting_storage s(inner);
  s.fail_writes(2);
  EXPECT_THROW(s.write(append_batch("acct", 1, {"a"}), true), storage_error);
  EXPECT_THROW(s.write(append_batch("acct", 1, {"a"}), true), storage_error);
  s.write(append_batch("acct", 1, {"a"}), true);
  EXPECT_EQ(s.writes(), 1u);
}

TEST(fault_injecting_storage, failed_fsync_throws_though_the_data_may_be_there) {
  memory_storage inner;
  fault_injecting_storage s(inner);
  s.fail_syncs(1);
  EXPECT_THROW(s.write(append_batch("acct", 1, {"a"}), true), storage_error);
  EXPECT_EQ(inner.highest_sequence("acct"), 1u);
  s.write(append_batch("acct", 2, {"b"}), false);  // a write without sync is not affected
}

TEST(fault_injecting_storage, corrupt_event_fails_reads_that_reach_it) {
  memory_storage inner;
  fault_injecting_storage s(inner);
  s.write(append_batch("acct", 1, {"a", "b", "c"}), true);
  s.corrupt_event("acct", 2);
  EXPECT_EQ(s.read_events("acct", 3).size(), 1u);
  try {
    s.read_events("acct", 1);
    FAIL();
  } catch (const corrupt_record& e) {
    EXPECT_EQ(e.persistence_id(), "acct");
    EXPECT_EQ(e.sequence(), 2u);
  }
}

TEST(fault_injecting_storage, held_writes_wait_until_released) {
  memory_storage inner;
  fault_injecting_storage s(inner);
  s.hold_writes();
  std::thread writer([&] { s.write(append_batch("acct", 1, {"a"}), true); });
  ASSERT_TRUE(s.wait_for_held_writes(1, std::chrono::seconds(10)));
  EXPECT_EQ(inner.highest_sequence("acct"), 0u);
  s.release_writes();
  writer.join();
  EXPECT_EQ(inner.highest_sequence("acct"), 1u);
  EXPECT_EQ(s.synced_writes(), 1u);
}

}  // namespace
}  // namespace bitactor::persist::testing
