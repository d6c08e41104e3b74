// The signal rules on their own: what a signal does to a process control block, and what
// answers a signal to a process that does not exist (the runtime and dist carry these out).
#include <gtest/gtest.h>

#include <bitactor/core/internal/signal_rules.hpp>
#include <bitactor/core/system_messages.hpp>
#include <memory>

using namespace bitactor;
using core_signal = detail::signal;  // not ::signal from <csignal>
using detail::signal_kind;

namespace {
const pid self{0, 1, 1, 0};
const pid peer{0, 2, 1, 0};

std::unique_ptr<core_signal> exit_from(const pid& from, exit_reason reason, bool via_link) {
  auto s = std::make_unique<core_signal>(signal_kind::exit, from);
  s->reason = std::move(reason);
  s->via_link = via_link;
  return s;
}

// A control block with relations of its own, freed at the end of the test.
struct block {
  std::unique_ptr<detail::process> p = std::make_unique<detail::process>();
  ~block() { delete p->rel; }
};
}  // namespace

TEST(signal_rules, a_link_to_a_process_that_does_not_exist_is_answered_by_an_exit_signal) {
  core_signal link(signal_kind::link, peer);
  std::unique_ptr<core_signal> answer(
      detail::answer_undeliverable(link, self, exit_reason::noconnection()));
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->kind, signal_kind::exit);
  EXPECT_TRUE(answer->via_link);
  EXPECT_EQ(answer->from, self);
  EXPECT_EQ(answer->reason, exit_reason::noconnection());
}

TEST(signal_rules, a_monitor_is_answered_by_its_down_and_an_unlink_by_its_ack) {
  core_signal monitor(signal_kind::monitor, peer);
  monitor.monitor_ref = ref{0, 0, {7, 0, 0}};
  std::unique_ptr<core_signal> down(
      detail::answer_undeliverable(monitor, self, exit_reason::noproc()));
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->kind, signal_kind::down);
  EXPECT_EQ(down->monitor_ref, monitor.monitor_ref);
  EXPECT_EQ(down->reason, exit_reason::noproc());

  core_signal unlink(signal_kind::unlink, peer);
  unlink.unlink_id = 3;
  std::unique_ptr<core_signal> ack(
      detail::answer_undeliverable(unlink, self, exit_reason::noproc()));
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->kind, signal_kind::unlink_ack);
  EXPECT_EQ(ack->unlink_id, 3u);
}

TEST(signal_rules, exits_and_signals_without_a_sender_get_no_answer) {
  auto exit = exit_from(peer, exit_reason::shutdown(), false);
  EXPECT_EQ(detail::answer_undeliverable(*exit, self, exit_reason::noproc()), nullptr);
  core_signal anonymous(signal_kind::link, pid{});
  EXPECT_EQ(detail::answer_undeliverable(anonymous, self, exit_reason::noproc()), nullptr);
}

TEST(signal_rules, a_trapping_process_gets_an_exit_signal_as_a_message) {
  block b;
  b.p->trap_exit.store(true);
  auto exit = exit_from(peer, exit_reason::shutdown(), false);
  detail::signal_outcome o = detail::apply_signal(*b.p, self, *exit);
  EXPECT_FALSE(o.exit);
  EXPECT_EQ(o.reply, nullptr);
  std::unique_ptr<message> m(o.for_receiver);
  ASSERT_NE(m, nullptr);
  auto* e = m->get_if<exit_msg>();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->from, peer);
  EXPECT_EQ(e->reason, exit_reason::shutdown());
}

TEST(signal_rules, kill_is_untrappable_and_an_exit_through_a_missing_link_is_ignored) {
  block b;
  b.p->trap_exit.store(true);
  auto kill = exit_from(peer, exit_reason::kill(), false);
  detail::signal_outcome killed = detail::apply_signal(*b.p, self, *kill);
  ASSERT_TRUE(killed.exit);
  EXPECT_EQ(*killed.exit, exit_reason::killed());

  auto through_link = exit_from(peer, exit_reason::shutdown(), true);
  detail::signal_outcome ignored = detail::apply_signal(*b.p, self, *through_link);
  EXPECT_FALSE(ignored.exit);
  EXPECT_EQ(ignored.for_receiver, nullptr);
}

TEST(signal_rules, an_unlink_removes_the_link_and_is_acknowledged) {
  block b;
  core_signal link(signal_kind::link, peer);
  detail::apply_signal(*b.p, self, link);
  ASSERT_NE(b.p->rel, nullptr);
  EXPECT_EQ(b.p->rel->links.count(peer), 1u);

  core_signal unlink(signal_kind::unlink, peer);
  unlink.unlink_id = 5;
  detail::signal_outcome o = detail::apply_signal(*b.p, self, unlink);
  std::unique_ptr<core_signal> ack(o.reply);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->kind, signal_kind::unlink_ack);
  EXPECT_EQ(ack->from, self);
  EXPECT_EQ(ack->unlink_id, 5u);
  EXPECT_EQ(b.p->rel->links.count(peer), 0u);
}
