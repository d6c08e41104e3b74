// The event-sourced behaviour: state rebuilt from snapshot plus events, replies held until
// durable, snapshots, idempotency keys, and what a bad journal or storage does to a start.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "account.hpp"
#include "bitactor/otp/supervisor.hpp"
#include "bitactor/persist/fault_injecting_storage.hpp"
#include "bitactor/persist/memory_storage.hpp"
#include "bitactor/persist/rocksdb_storage.hpp"
#include "process_test_support.hpp"
#include "temp_directory.hpp"

namespace bitactor::persist::testing {
namespace {

using namespace std::chrono_literals;

template <class Pred>
bool within(std::chrono::milliseconds limit, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::yield();
  }
  return true;
}

// A node, a memory storage behind a fault injector, and a persistence with a clock the
// test moves.
class event_sourced_test : public ::testing::Test {
 protected:
  event_sourced_test() : faults(memory), p(faults, options()) {}
  ~event_sourced_test() override { n.stop(); }

  persistence_options options() {
    persistence_options o;
    o.clock = [this] { return clock_ms.load(); };
    o.read_backoff = 1ms;
    o.read_attempts = 3;
    return o;
  }

  otp::start_result start_account(persistent_options o) {
    return otp::start<account>(n, {}, std::ref(p), std::move(o));
  }
  pid started(persistent_options o) {
    auto r = start_account(std::move(o));
    if (!r.ok()) throw std::runtime_error("account did not start: " + r.to_string());
    return r.process;
  }
  void kill(const pid& who) { kill_and_wait(n, who); }
  template <class Req>
  otp::reply_t<Req> call(const pid& who, Req req) {
    return otp::call(n, who, std::move(req), 5s);
  }

  std::atomic<std::int64_t> clock_ms{1'000'000};
  node n{two_workers()};
  memory_storage memory;
  fault_injecting_storage faults;
  persistence p;
};

persistent_options id(std::string name) {
  persistent_options o;
  o.persistence_id = std::move(name);
  return o;
}

TEST_F(event_sourced_test, a_restarted_account_has_the_state_its_replies_acknowledged) {
  pid a = started(id("acct-1"));
  EXPECT_EQ(call(a, deposit{10}), 10);
  EXPECT_EQ(call(a, deposit{20}), 30);
  EXPECT_EQ(call(a, withdraw{5}), 25);
  EXPECT_EQ(call(a, withdraw{100}), -1);  // refused, nothing written
  kill(a);
  EXPECT_EQ(memory.highest_sequence("acct-1"), 3u);

  pid again = started(id("acct-1"));
  EXPECT_EQ(call(again, balance{}), 25);
  EXPECT_EQ(call(again, replayed{}), 3u);
  EXPECT_EQ(call(again, deposit{1}), 26);
  EXPECT_EQ(memory.highest_sequence("acct-1"), 4u);
}

TEST_F(event_sourced_test, under_a_supervisor_a_crash_and_restart_gives_back_the_same_state) {
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one, .intensity = 5, .period = 5s},
      .children = {otp::child_spec::worker<account>("acct", std::ref(p), id("acct-sup"))
                       .registered_as("acct")}};
  auto sup = otp::start_supervisor(n, spec);
  ASSERT_TRUE(sup.ok()) << sup.to_string();
  pid first = *n.whereis("acct");
  EXPECT_EQ(call(first, deposit{7}), 7);
  EXPECT_EQ(call(first, deposit{8}), 15);
  EXPECT_THROW(call(first, crash{}), otp::call_error);

  ASSERT_TRUE(within(5s, [&] {
    auto now = n.whereis("acct");
    return now && *now != first;
  }));
  EXPECT_EQ(otp::call(n, "acct", balance{}, 5s), 15);
  EXPECT_EQ(otp::call(n, "acct", replayed{}, 5s), 2u);
}

TEST_F(event_sourced_test, a_reply_waits_until_its_write_is_durable_while_later_commands_go_on) {
  pid a = started(id("acct-held"));
  faults.hold_writes();
  auto first = std::async(std::launch::async, [&] { return call(a, deposit{5}); });
  ASSERT_TRUE(faults.wait_for_held_writes(1, 5s));
  // The first write is stuck in its fsync: its caller has no answer yet ...
  EXPECT_EQ(first.wait_for(0s), std::future_status::timeout);
  // ... while the process takes the next command (it sees the first deposit) ...
  const std::uint64_t handled = n.info(a)->messages_handled;
  auto second = std::async(std::launch::async, [&] { return call(a, deposit{6}); });
  ASSERT_TRUE(within(5s, [&] { return n.info(a)->messages_handled > handled; }));
  // ... whose reply waits too, behind the first write; a read-only command as well, since it
  // shows both deposits.
  auto read = std::async(std::launch::async, [&] { return call(a, balance{}); });
  EXPECT_EQ(second.wait_for(0s), std::future_status::timeout);
  faults.release_writes();
  EXPECT_EQ(first.get(), 5);
  EXPECT_EQ(second.get(), 11);
  EXPECT_EQ(read.get(), 11);
  EXPECT_EQ(memory.highest_sequence("acct-held"), 2u);
}

TEST_F(event_sourced_test, a_failed_write_ends_the_process_and_loses_nothing_acknowledged) {
  pid a = started(id("acct-full"));
  EXPECT_EQ(call(a, deposit{10}), 10);
  faults.fill_disk(true);
  try {
    call(a, deposit{5});
    FAIL() << "a deposit on a full disk was acknowledged";
  } catch (const otp::call_error& e) {
    std::string why = e.what();
    EXPECT_NE(why.find("persist_failed"), std::string::npos) << why;
    EXPECT_NE(why.find("acct-full"), std::string::npos) << why;
    EXPECT_NE(why.find("no space left on device"), std::string::npos) << why;
  }
  faults.fill_disk(false);
  pid again = started(id("acct-full"));
  EXPECT_EQ(call(again, balance{}), 10);
}

TEST_F(event_sourced_test, a_snapshot_every_n_events_and_recovery_from_the_latest_one) {
  persistent_options o = id("acct-snap");
  o.snapshot_every = 4;
  pid a = started(o);
  for (int i = 1; i <= 10; ++i) call(a, deposit{i});
  kill(a);
  auto snap = memory.latest_snapshot("acct-snap");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->sequence, 8u);
  EXPECT_EQ(memory.read_events("acct-snap", 1).size(), 10u);  // kept: no deletion asked

  pid again = started(o);
  EXPECT_EQ(call(again, balance{}), 55);
  EXPECT_EQ(call(again, replayed{}), 2u);  // events 9 and 10 after the snapshot
}

TEST_F(event_sourced_test, a_snapshot_deletes_the_events_it_covers_when_asked) {
  persistent_options o = id("acct-del");
  o.snapshot_every = 3;
  o.delete_events_on_snapshot = true;
  pid a = started(o);
  for (int i = 0; i < 7; ++i) call(a, deposit{1});
  kill(a);
  auto left = memory.read_events("acct-del", 1);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].sequence, 7u);
  EXPECT_EQ(call(started(o), balance{}), 7);
}

TEST_F(event_sourced_test, snapshot_now_writes_one_on_demand) {
  pid a = started(id("acct-now"));
  call(a, deposit{3});
  call(a, deposit{4});
  call(a, take_snapshot{});
  auto snap = memory.latest_snapshot("acct-now");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->sequence, 2u);
}

TEST_F(event_sourced_test, a_keyed_command_is_applied_once_and_a_retry_gets_the_first_result) {
  pid a = started(id("acct-key"));
  EXPECT_EQ(call(a, keyed<deposit>{"pay-1", {10}}), 10);
  EXPECT_EQ(call(a, keyed<deposit>{"pay-1", {10}}), 10);
  EXPECT_EQ(call(a, keyed<deposit>{"pay-2", {1}}), 11);
  EXPECT_EQ(call(a, keyed<withdraw>{"refused", {500}}), -1);
  EXPECT_EQ(call(a, deposit{500}), 511);
  // The refusal is the result of that key, also once the balance would allow it.
  EXPECT_EQ(call(a, keyed<withdraw>{"refused", {500}}), -1);
  EXPECT_EQ(call(a, balance{}), 511);
  EXPECT_EQ(memory.highest_sequence("acct-key"), 3u);
}

TEST_F(event_sourced_test, after_a_restart_a_retry_gets_the_first_result_from_storage) {
  pid a = started(id("acct-key2"));
  EXPECT_EQ(call(a, keyed<deposit>{"pay-1", {10}}), 10);
  kill(a);
  pid again = started(id("acct-key2"));
  EXPECT_EQ(call(again, keyed<deposit>{"pay-1", {10}}), 10);
  EXPECT_EQ(call(again, balance{}), 10);
  EXPECT_EQ(call(again, keyed<deposit>{"pay-2", {5}}), 15);
}

TEST_F(event_sourced_test, the_key_is_stored_in_the_same_write_as_its_events) {
  pid a = started(id("acct-atomic"));
  call(a, deposit{1});
  faults.fill_disk(true);
  EXPECT_THROW(call(a, keyed<deposit>{"pay-1", {10}}), otp::call_error);
  EXPECT_FALSE(memory.find_key("acct-atomic", "pay-1"));
  EXPECT_EQ(memory.highest_sequence("acct-atomic"), 1u);
  faults.fill_disk(false);

  pid again = started(id("acct-atomic"));
  EXPECT_EQ(call(again, keyed<deposit>{"pay-1", {10}}), 11);  // applied now, once
  auto key = memory.find_key("acct-atomic", "pay-1");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->sequence, 2u);
  EXPECT_EQ(memory.highest_sequence("acct-atomic"), 2u);
}

TEST_F(event_sourced_test, a_key_is_forgotten_after_its_retention) {
  persistent_options o = id("acct-expiry");
  o.key_retention = 1000ms;
  pid a = started(o);
  EXPECT_EQ(call(a, keyed<deposit>{"pay-1", {10}}), 10);
  clock_ms += 500;
  EXPECT_EQ(call(a, keyed<deposit>{"pay-1", {10}}), 10);
  clock_ms += 1000;
  EXPECT_EQ(call(a, keyed<deposit>{"pay-1", {10}}), 20);  // a new command now
  memory.expire_keys(clock_ms + 2000);
  kill(a);
  EXPECT_EQ(call(started(o), keyed<deposit>{"pay-1", {10}}), 30);
}

TEST_F(event_sourced_test, a_corrupt_event_fails_the_start_naming_the_id_and_the_sequence) {
  pid a = started(id("acct-bad"));
  for (int i = 0; i < 3; ++i) call(a, deposit{1});
  kill(a);
  faults.corrupt_event("acct-bad", 2);
  auto r = start_account(id("acct-bad"));
  ASSERT_FALSE(r.ok());
  std::string why = r.to_string();
  EXPECT_NE(why.find("recovery_failed"), std::string::npos) << why;
  EXPECT_NE(why.find("acct-bad"), std::string::npos) << why;
  EXPECT_NE(why.find("event 2"), std::string::npos) << why;
}

// Writes deposits of 1 as events 1..count of `id`, straight into the storage.
void store_deposits(storage& s, const std::string& id, std::uint64_t count) {
  for (std::uint64_t first = 1; first <= count; first += 1000) {
    write_batch b;
    const auto n = std::min<std::uint64_t>(1000, count - first + 1);
    b.appends.push_back({id, first,
                         std::vector<std::string>(n, encode(account_event(deposited{1}))),
                         std::nullopt});
    s.write(b, false);
  }
}

TEST_F(event_sourced_test, a_journal_longer_than_a_read_is_recovered_whole_and_in_order) {
  // Recovery reads the journal in chunks (the next read while one is replayed): 40,000 events
  // take several, and every one is applied once.
  store_deposits(memory, "acct-long", 40'000);
  pid a = started(id("acct-long"));
  EXPECT_EQ(call(a, balance{}), 40'000);
  EXPECT_EQ(call(a, replayed{}), 40'000u);
  EXPECT_EQ(call(a, deposit{1}), 40'001);
  EXPECT_EQ(memory.highest_sequence("acct-long"), 40'001u);
}

TEST_F(event_sourced_test, a_corrupt_event_past_the_first_read_fails_the_start_naming_it) {
  store_deposits(memory, "acct-long-bad", 40'000);
  faults.corrupt_event("acct-long-bad", 30'000);
  auto r = start_account(id("acct-long-bad"));
  ASSERT_FALSE(r.ok());
  std::string why = r.to_string();
  EXPECT_NE(why.find("recovery_failed"), std::string::npos) << why;
  EXPECT_NE(why.find("30000"), std::string::npos) << why;
}

TEST_F(event_sourced_test, an_event_type_that_no_longer_decodes_fails_the_start_naming_it) {
  write_batch batch;
  batch.appends.push_back({"acct-old", 1, {encode(account_event(deposited{1}))}, std::nullopt});
  std::string renamed = "\x07renamed";
  renamed += encode(deposited{2});
  batch.appends.push_back({"acct-old", 2, {renamed}, std::nullopt});
  memory.write(batch, true);

  auto r = start_account(id("acct-old"));
  ASSERT_FALSE(r.ok());
  std::string why = r.to_string();
  EXPECT_NE(why.find("event 2"), std::string::npos) << why;
  EXPECT_NE(why.find("unknown type 'renamed'"), std::string::npos) << why;

  write_batch garbled;
  garbled.appends.push_back({"acct-garbled", 1, {"\x09withdrawn" + std::string("junk")}, {}});
  memory.write(garbled, true);
  auto g = start_account(id("acct-garbled"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.to_string().find("'withdrawn' does not decode"), std::string::npos) << g.to_string();
}

TEST_F(event_sourced_test, a_lost_connection_while_recovering_is_retried_then_fails_the_start) {
  pid a = started(id("acct-flaky"));
  call(a, deposit{4});
  kill(a);
  faults.fail_reads(2);  // within the three attempts
  EXPECT_EQ(call(started(id("acct-flaky")), balance{}), 4);

  faults.fail_reads(100);
  auto r = start_account(id("acct-flaky"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.to_string().find("connection lost"), std::string::npos) << r.to_string();
  faults.fail_reads(0);
}

TEST_F(event_sourced_test, two_processes_with_one_id_conflict_and_the_second_fails_alone) {
  pid a = started(id("acct-twice"));
  pid b = started(id("acct-twice"));
  EXPECT_EQ(call(a, deposit{1}), 1);
  try {
    call(b, deposit{2});
    FAIL() << "two writers of one persistence id both succeeded";
  } catch (const otp::call_error& e) {
    EXPECT_NE(std::string(e.what()).find("persist_failed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(call(a, deposit{1}), 2);
}

TEST_F(event_sourced_test, a_start_without_a_persistence_id_fails_clearly) {
  auto r = start_account(persistent_options{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.to_string().find("the persistence id is empty"), std::string::npos) << r.to_string();
}

TEST(event_sourced_rocksdb, an_account_survives_closing_and_reopening_its_database) {
  temp_directory dir;
  {
    node n(two_workers());
    rocksdb_storage store(dir.str());
    persistence p(store);
    auto r = otp::start<account>(n, {}, std::ref(p), id("acct-disk"));
    ASSERT_TRUE(r.ok()) << r.to_string();
    EXPECT_EQ(otp::call(n, r.process, deposit{40}, 5s), 40);
    EXPECT_EQ(otp::call(n, r.process, keyed<withdraw>{"w-1", {15}}, 5s), 25);
    n.stop();
  }
  node n(two_workers());
  rocksdb_storage store(dir.str());
  persistence p(store);
  auto r = otp::start<account>(n, {}, std::ref(p), id("acct-disk"));
  ASSERT_TRUE(r.ok()) << r.to_string();
  EXPECT_EQ(otp::call(n, r.process, balance{}, 5s), 25);
  EXPECT_EQ(otp::call(n, r.process, keyed<withdraw>{"w-1", {15}}, 5s), 25);
  EXPECT_EQ(otp::call(n, r.process, balance{}, 5s), 25);
  n.stop();
}

}  // namespace
}  // namespace bitactor::persist::testing
