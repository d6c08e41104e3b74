// The state-snapshot behaviour: the whole state written after each change.
#include "bitactor/persist/durable_state.hpp"

#include <gtest/gtest.h>

#include "bitactor/persist/memory_storage.hpp"
#include "process_test_support.hpp"

namespace bitactor::persist::testing {
namespace {

using namespace std::chrono_literals;

struct increment {
  std::int64_t by = 1;
  using reply = std::int64_t;
};
struct read_counter {
  using reply = std::int64_t;
};

class counter : public durable_state<std::int64_t> {
 public:
  counter(persistence& p, std::string id) : durable_state(p, {.persistence_id = std::move(id)}) {}

 protected:
  void handle_command(command_context& c) override {
    c.match(
        [&](increment& i) {
          update([&](std::int64_t& v) { v += i.by; });
          return state();
        },
        [&](read_counter&) { return state(); });
  }
};

class durable_state_test : public ::testing::Test {
 protected:
  durable_state_test() : p(memory) {}
  ~durable_state_test() override { n.stop(); }

  pid started(const std::string& id) {
    auto r = otp::start<counter>(n, {}, std::ref(p), id);
    if (!r.ok()) throw std::runtime_error(r.to_string());
    return r.process;
  }
  void kill(const pid& who) { kill_and_wait(n, who); }

  node n{two_workers()};
  memory_storage memory;
  persistence p;
};

TEST_F(durable_state_test, the_state_written_last_is_the_state_after_a_restart) {
  pid c = started("counter");
  EXPECT_EQ(otp::call(n, c, increment{2}, 5s), 2);
  EXPECT_EQ(otp::call(n, c, increment{3}, 5s), 5);
  EXPECT_EQ(otp::call(n, c, read_counter{}, 5s), 5);
  auto snap = memory.latest_snapshot("counter");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->sequence, 2u);                      // one write per change, none for the read
  EXPECT_EQ(memory.highest_sequence("counter"), 0u);  // no events
  kill(c);
  pid again = started("counter");
  EXPECT_EQ(otp::call(n, again, read_counter{}, 5s), 5);
  EXPECT_EQ(otp::call(n, again, increment{1}, 5s), 6);
  EXPECT_EQ(memory.latest_snapshot("counter")->sequence, 3u);
}

TEST_F(durable_state_test, keyed_commands_are_applied_once_across_restarts) {
  pid c = started("counter-keys");
  EXPECT_EQ(otp::call(n, c, keyed<increment>{"k", {10}}, 5s), 10);
  EXPECT_EQ(otp::call(n, c, keyed<increment>{"k", {10}}, 5s), 10);
  kill(c);
  pid again = started("counter-keys");
  EXPECT_EQ(otp::call(n, again, keyed<increment>{"k", {10}}, 5s), 10);
  EXPECT_EQ(otp::call(n, again, read_counter{}, 5s), 10);
  auto key = memory.find_key("counter-keys", "k");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->sequence, 1u);  // the state revision it was written with
}

}  // namespace
}  // namespace bitactor::persist::testing
