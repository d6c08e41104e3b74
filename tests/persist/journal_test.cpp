// The journal merges what waits behind a running write into one write (group, async), writes
// sync batches alone, fails a conflicting batch alone, and completes everything in order.
#include "bitactor/persist/journal.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitactor/persist/fault_injecting_storage.hpp"
#include "bitactor/persist/memory_storage.hpp"
#include "storage_contract.hpp"  // append_batch, bytes_of

namespace bitactor::persist::testing {
namespace {

using namespace std::chrono_literals;

// The completions' outcomes, in the order they ran: "ok" or the exception's kind.
class outcomes {
 public:
  journal::completion record() {
    return [this](std::optional<storage_failure> failed) {
      std::string what = "ok";
      if (failed) {
        what = failed->what_kind == storage_failure::kind::conflict ? "conflict" : "storage_error";
      }
      std::lock_guard lock(mutex_);
      seen_.push_back(what);
      changed_.notify_all();
    };
  }
  // The outcomes once `n` completions ran (fewer if 5 s pass first).
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return seen_.size() >= n; });
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> seen_;
};

struct held_journal {
  memory_storage inner;
  fault_injecting_storage store{inner};
  journal j{store};
  outcomes done;

  // Holds the storage with one write of "first" inside it, so that what is queued next waits.
  void hold_a_first_write(durability mode) {
    store.hold_writes();
    j.write(append_batch("first", 1, {"f"}), mode, done.record());
    ASSERT_TRUE(store.wait_for_held_writes(1, 5s));
  }
};

TEST(journal, group_mode_merges_the_writes_waiting_behind_a_running_one_into_one_fsync) {
  held_journal h;
  h.hold_a_first_write(durability::group);
  for (int i = 1; i <= 10; ++i) {
    h.j.write(append_batch("acct-" + std::to_string(i), 1, {"e"}), durability::group,
              h.done.record());
  }
  h.store.release_writes();
  EXPECT_EQ(h.done.wait_for(11), std::vector<std::string>(11, "ok"));
  EXPECT_EQ(h.store.writes(), 2u);
  EXPECT_EQ(h.store.synced_writes(), 2u);
  for (int i = 1; i <= 10; ++i)
    EXPECT_EQ(h.inner.highest_sequence("acct-" + std::to_string(i)), 1u);
}

TEST(journal, sync_mode_writes_each_batch_alone_with_its_own_fsync) {
  held_journal h;
  h.hold_a_first_write(durability::sync);
  for (int i = 1; i <= 10; ++i) {
    h.j.write(append_batch("acct-" + std::to_string(i), 1, {"e"}), durability::sync,
              h.done.record());
  }
  h.store.release_writes();
  EXPECT_EQ(h.done.wait_for(11), std::vector<std::string>(11, "ok"));
  EXPECT_EQ(h.store.writes(), 11u);
  EXPECT_EQ(h.store.synced_writes(), 11u);
}

TEST(journal, async_mode_merges_without_the_fsync) {
  held_journal h;
  h.hold_a_first_write(durability::async);
  for (int i = 1; i <= 5; ++i) {
    h.j.write(append_batch("acct", static_cast<std::uint64_t>(i), {"e"}), durability::async,
              h.done.record());
  }
  h.store.release_writes();
  EXPECT_EQ(h.done.wait_for(6), std::vector<std::string>(6, "ok"));
  EXPECT_EQ(h.store.writes(), 2u);
  EXPECT_EQ(h.store.synced_writes(), 0u);
  EXPECT_EQ(bytes_of(h.inner.read_events("acct", 1)),
            (std::vector<std::string>{"e", "e", "e", "e", "e"}));
}

TEST(journal, a_conflicting_batch_in_a_merged_write_fails_alone) {
  held_journal h;
  h.hold_a_first_write(durability::group);
  h.j.write(append_batch("a", 1, {"a1"}), durability::group, h.done.record());
  h.j.write(append_batch("b", 2, {"gap"}), durability::group, h.done.record());  // b has none
  h.j.write(append_batch("a", 2, {"a2"}), durability::group, h.done.record());
  h.store.release_writes();
  EXPECT_EQ(h.done.wait_for(4), (std::vector<std::string>{"ok", "ok", "conflict", "ok"}));
  EXPECT_EQ(bytes_of(h.inner.read_events("a", 1)), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(h.inner.highest_sequence("b"), 0u);
}

TEST(journal, a_failed_write_fails_every_batch_merged_into_it_and_the_next_write_succeeds) {
  held_journal h;
  h.hold_a_first_write(durability::group);
  h.j.write(append_batch("a", 1, {"a1"}), durability::group, h.done.record());
  h.j.write(append_batch("b", 1, {"b1"}), durability::group, h.done.record());
  // Two writes fail: the held one and the next. Had a and b been written apart, b would pass.
  h.store.fail_writes(2);
  h.store.release_writes();
  EXPECT_EQ(h.done.wait_for(3),
            (std::vector<std::string>{"storage_error", "storage_error", "storage_error"}));
  EXPECT_EQ(h.inner.highest_sequence("a"), 0u);
  EXPECT_EQ(h.inner.highest_sequence("b"), 0u);
  h.j.write(append_batch("a", 1, {"a1"}), durability::group, h.done.record());
  EXPECT_EQ(h.done.wait_for(4).back(), "ok");
  EXPECT_EQ(h.inner.highest_sequence("a"), 1u);
}

TEST(journal, destruction_writes_what_is_queued_and_runs_its_completions) {
  memory_storage inner;
  fault_injecting_storage store(inner);
  outcomes done;
  {
    journal j(store);
    store.hold_writes();
    j.write(append_batch("acct", 1, {"e1"}), durability::group, done.record());
    ASSERT_TRUE(store.wait_for_held_writes(1, 5s));
    j.write(append_batch("acct", 2, {"e2"}), durability::sync, done.record());
    j.write(append_batch("acct", 3, {"e3"}), durability::async, done.record());
    store.release_writes();
  }
  EXPECT_EQ(done.wait_for(3), (std::vector<std::string>{"ok", "ok", "ok"}));
  EXPECT_EQ(inner.highest_sequence("acct"), 3u);
}

// A failure reaches a completion as a value that names its kind, message and retryability.
storage_failure failure_of(const std::function<void()>& thrower) {
  try {
    thrower();
  } catch (...) {
    return storage_failure::of_current_exception();
  }
  ADD_FAILURE() << "nothing was thrown";
  return {};
}

TEST(storage_failure, keeps_the_kind_message_and_retryability_of_what_was_thrown) {
  using k = storage_failure::kind;
  auto conflict = failure_of([] { throw sequence_conflict("gap at 7", false); });
  EXPECT_EQ(conflict.what_kind, k::conflict);
  EXPECT_EQ(conflict.what, "gap at 7");
  EXPECT_FALSE(conflict.retryable);
  auto corrupt = failure_of([] { throw corrupt_record("bad crc", "acct", 3); });
  EXPECT_EQ(corrupt.what_kind, k::corrupt);
  auto lost = failure_of([] { throw storage_error("connection lost", true); });
  EXPECT_EQ(lost.what_kind, k::storage);
  EXPECT_EQ(lost.what, "connection lost");
  EXPECT_TRUE(lost.retryable);
  auto other = failure_of([] { throw std::logic_error("a bug"); });
  EXPECT_EQ(other.what_kind, k::other);
  EXPECT_EQ(other.what, "a bug");
  EXPECT_FALSE(other.retryable);
  EXPECT_EQ(failure_of([] { throw 42; }).what_kind, k::other);
}

}  // namespace
}  // namespace bitactor::persist::testing
