// Distribution against real erl nodes (OTP 25): epmd, handshake both ways, ping, messages by
// pid and by name, the cookie check, links, and connection-level faults. Each suite runs its
// own epmd on a free port so nothing collides with other epmds or tests. erl is required:
// without it these tests fail.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/core/inbox.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/internal/control.hpp>
#include <bitactor/dist/internal/flags.hpp>
#include <bitactor/dist/internal/net_kernel.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/gen_statem.hpp>
#include <bitactor/term/print.hpp>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "dist_test_support.hpp"

using namespace bitactor;
using namespace bitactor::dist;
using namespace bitactor::dist::testing;
namespace t = bitactor::term;

namespace {

const std::string cookie = "dist_test_cookie";

class dist_interop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_program("erl") || !have_program("epmd")) return;
    epmd_ = std::make_unique<private_epmd>();
    erl_ = std::make_unique<erl_node>("peer@localhost", cookie, epmd_->port(), DIST_PEER_BEAM_DIR);
  }
  static void TearDownTestSuite() {
    erl_.reset();
    epmd_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(have_program("erl")) << "erl is required for the distribution tests";
    ASSERT_TRUE(epmd_ && erl_) << "the private epmd or the erl peer did not start";
  }

  dist_config config(const std::string& alive, const std::string& with_cookie = cookie) {
    dist_config c;
    c.name = alive + "@localhost";
    c.cookie = with_cookie;
    c.epmd_port = epmd_->port();
    return c;
  }
  static node_config small() {
    node_config n;
    n.workers = 2;
    return n;
  }

  // A raw peer writes `bytes` after its handshake: that connection must close, and the node's
  // connection to erl must carry messages as before.
  void bad_bytes_close_only_their_connection(const std::string& alive, const std::string& raw_name,
                                             const std::vector<std::uint8_t>& bytes) {
    distributed_node dn(config(alive), small());
    inbox box(dn.local());
    dn.local().register_name("box", box.self());
    ASSERT_TRUE(dn.ping(erl_->name()));

    raw_peer raw(dn.port(), raw_name, dn.name(), cookie, flags::advertised);
    raw.write(bytes);
    EXPECT_TRUE(raw.closed_within(10s));

    erl_->call(t::tuple(t::atom("send"), t::tuple(t::atom("box"), t::atom(dn.name())),
                        t::atom("still_up")));
    auto m = box.receive<t::term>(10s);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->is_atom("still_up"));
    EXPECT_EQ(dn.nodes(), std::vector<std::string>{erl_->name()});
  }

  static inline std::unique_ptr<private_epmd> epmd_;
  static inline std::unique_ptr<erl_node> erl_;
};

t::term atom(const char* a) { return t::atom(a); }

}  // namespace

TEST_F(dist_interop, erl_pings_bitactor_and_gets_pong) {
  distributed_node dn(config("ping_in"), small());
  EXPECT_TRUE(erl_->call(t::tuple(atom("ping"), t::atom(dn.name()))).is_atom("pong"));
  EXPECT_EQ(dn.nodes(), std::vector<std::string>{erl_->name()});
}

TEST_F(dist_interop, bitactor_pings_erl_and_gets_pong) {
  distributed_node dn(config("ping_out"), small());
  EXPECT_TRUE(dn.ping(erl_->name()));
  // A name no epmd knows is pang, and quickly.
  EXPECT_FALSE(dn.ping("nobody@localhost", 5s));
}

TEST_F(dist_interop, erl_sends_to_a_bitactor_pid_and_to_a_registered_name) {
  distributed_node dn(config("recv"), small());
  inbox box(dn.local());
  dn.local().register_name("box", box.self());
  erl_->call(t::tuple(atom("send"), t::term(to_term(box.self())), t::tuple(atom("by_pid"), 1)));
  auto m = box.receive<t::term>(10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, t::tuple(atom("by_pid"), 1));
  erl_->call(t::tuple(atom("send"), t::tuple(atom("box"), t::atom(dn.name())),
                      t::tuple(atom("by_name"), t::binary("two"))));
  m = box.receive<t::term>(10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, t::tuple(atom("by_name"), t::binary("two")));
}

TEST_F(dist_interop, bitactor_sends_to_an_erl_pid_and_to_a_registered_name) {
  distributed_node dn(config("send"), small());
  // From a process of this node: an ordinary send to a remote pid.
  pid erl_inbox = from_term(erl_->inbox().as_pid());
  pid sender = dn.local().spawn([erl_inbox](actor& self, message& m) {
    if (m.is<int>())
      self.send(erl_inbox,
                t::term(t::tuple(t::atom("from_process"), t::term(to_term(self.self())))));
  });
  dn.local().send(sender, 1);
  auto got = erl_->receive();
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->is_tuple());
  EXPECT_TRUE((*got)[0].is_atom("from_process"));
  // The pid erl sees names this node and carries epmd's creation.
  ASSERT_TRUE((*got)[1].is_pid());
  EXPECT_EQ((*got)[1].as_pid().node.name(), dn.name());
  EXPECT_EQ((*got)[1].as_pid().creation, dn.creation());
  EXPECT_EQ(from_term((*got)[1].as_pid()), sender);

  dn.send("inbox", erl_->name(), t::tuple(atom("by_name"), t::list(1, 2, 3)));
  got = erl_->receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, t::tuple(atom("by_name"), t::list(1, 2, 3)));
}

TEST_F(dist_interop, wrong_cookie_is_refused_both_ways_and_both_nodes_keep_running) {
  distributed_node dn(config("badcookie", "not_the_cookie"), small());
  // BitActor as initiator: erl refuses the challenge reply.
  EXPECT_FALSE(dn.connect(erl_->name(), 10s));
  EXPECT_FALSE(dn.ping(erl_->name(), 10s));
  // erl as initiator: BitActor refuses erl's challenge reply, erl gets pang.
  EXPECT_TRUE(erl_->call(t::tuple(atom("ping"), t::atom(dn.name()))).is_atom("pang"));
  EXPECT_TRUE(dn.nodes().empty());
  // Both still work.
  EXPECT_TRUE(erl_->alive());
  inbox box(dn.local());
  dn.local().send(box.self(), 7);
  EXPECT_EQ(box.receive<int>(), 7);
  distributed_node good(config("goodcookie"), small());
  EXPECT_TRUE(good.ping(erl_->name()));
}

TEST_F(dist_interop, a_taken_node_name_fails_start_with_a_clear_error) {
  distributed_node first(config("taken"), small());
  try {
    distributed_node second(config("taken"), small());
    FAIL() << "a second node under one name started";
  } catch (const dist_error& e) {
    EXPECT_NE(std::string(e.what()).find("already registered"), std::string::npos) << e.what();
  }
}

TEST_F(dist_interop, epmd_is_started_when_none_runs) {
  std::uint16_t port = free_port();
  dist_config c = config("autostart");
  c.epmd_port = port;
  {
    distributed_node dn(c, small());
    EXPECT_GT(dn.creation(), 0u);
    std::string cmd = "epmd -port " + std::to_string(port) + " -names | grep -q autostart";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  private_epmd::kill(port);
}

TEST_F(dist_interop, a_malformed_frame_closes_only_that_connection) {
  // A pass-through frame whose control term is truncated.
  bad_bytes_close_only_their_connection("malformed", "raw@localhost",
                                        {0, 0, 0, 4, 112, 131, 104, 3});
}

TEST_F(dist_interop, an_unknown_operation_closes_the_connection) {
  distributed_node dn(config("unknownop"), small());
  raw_peer raw(dn.port(), "raw2@localhost", dn.name(), cookie, flags::advertised);
  raw.write(encode_frame(t::tuple(99, atom("x"))));
  EXPECT_TRUE(raw.closed_within(10s));
}

// EXIT_PAYLOAD: to a peer that sets it, an exit over a link and a DOWN go as PAYLOAD_EXIT and
// PAYLOAD_MONITOR_P_EXIT with the reason as the frame's message; to one that does not, as EXIT
// and MONITOR_P_EXIT with the reason in the control tuple.
TEST_F(dist_interop, exits_and_downs_take_the_payload_forms_only_with_a_peer_that_sets_the_flag) {
  distributed_node dn(config("payload"), small());
  const std::uint64_t pass_through =
      flags::advertised & ~(flags::dist_hdr_atom_cache | flags::fragments);
  for (const bool with : {true, false}) {
    const std::string name = with ? "pay@localhost" : "nopay@localhost";
    raw_peer raw(dn.port(), name, dn.name(), cookie,
                 with ? pass_through : pass_through & ~flags::exit_payload);
    pid victim = dn.local().spawn([](actor& self, message& m) {
      if (m.is<int>()) self.exit(exit_reason::error("bye"));
    });
    const t::term remote = t::pid{t::atom(name), 1, 0, 0};
    t::reference mref{t::atom(name), 0, 3, {7, 8, 9, 0, 0}};
    raw.write(encode_frame(t::tuple(1, remote, t::term(to_term(victim)))));         // LINK
    raw.write(encode_frame(t::tuple(19, remote, t::term(to_term(victim)), mref)));  // MONITOR_P
    ASSERT_TRUE(eventually([&] {
      auto info = dn.local().info(victim);
      return info && !info->links.empty() && !info->monitored_by.empty();
    }));
    dn.local().send(victim, 1);
    std::set<int> ops;
    for (int i = 0; i < 2; ++i) {
      auto f = raw.next_frame(10s);
      ASSERT_TRUE(f) << "frame " << i;
      ops.insert(static_cast<int>(f->control[0].as_int()));
      if (with) {
        ASSERT_TRUE(f->message) << t::to_string(f->control);
        EXPECT_TRUE(f->message->is_atom("bye"));
      } else {
        EXPECT_FALSE(f->message);
        EXPECT_TRUE(f->control[f->control.size() - 1].is_atom("bye")) << t::to_string(f->control);
      }
    }
    EXPECT_EQ(ops, with ? (std::set<int>{24, 28}) : (std::set<int>{3, 21}));
  }
}

// The busy limit (BEAM's dist_buf_busy_limit): a process streaming to a peer that does not
// read is parked once the connection's queue passes the limit, so what is queued stays bounded
// instead of growing with every send, and it runs again once the peer reads.
TEST_F(dist_interop, a_process_sending_to_a_peer_that_does_not_read_is_parked) {
  dist_config c = config("busy");
  c.busy_limit_bytes = 256 * 1024;
  c.busy_park_limit = 10min;  // only the peer's reading releases it in this test
  distributed_node dn(c, small());
  const std::uint64_t pass_through =
      flags::advertised & ~(flags::dist_hdr_atom_cache | flags::fragments);
  raw_peer raw(dn.port(), "slow@localhost", dn.name(), cookie, pass_through);
  ASSERT_TRUE(eventually([&] { return dn.nodes() == std::vector<std::string>{"slow@localhost"}; }));
  const pid reader = from_term(t::pid{t::atom("slow@localhost"), 1, 0, 0});
  const t::term chunk = t::binary(std::string(64 * 1024, 'q'));
  std::atomic<std::uint64_t> sent{0};
  // One 64 KiB message per turn, then a message to itself to go on.
  pid sender = dn.local().spawn([&](actor& self, message& m) {
    if (!m.is<int>()) return;
    self.send(reader, chunk);
    sent.fetch_add(1, std::memory_order_relaxed);
    self.send(self.self(), 1);
  });
  dn.local().send(sender, 1);
  // Parked: suspended, as BEAM's process_info shows a process held by a busy port.
  auto parked = [&] {
    auto info = dn.local().info(sender);
    return info && info->status == process_status::suspended;
  };
  ASSERT_TRUE(eventually(parked, 30s)) << sent.load() << " sent, never parked";
  const std::uint64_t at_park = sent.load();
  // Bounded by the socket's buffers and the limit, not by the time the test took.
  EXPECT_LT(at_park * chunk.size(), std::uint64_t{64} << 20) << at_park << " messages queued";
  EXPECT_TRUE(parked());
  // The peer reads: the queue drains and the sender goes on.
  std::atomic<bool> reading{true};
  std::thread drain([&] { raw.drain_while(reading); });
  EXPECT_TRUE(eventually([&] { return sent.load() > at_park + 100; }, 30s))
      << "still " << sent.load() << " after " << at_park;
  reading = false;
  drain.join();
  // Parked again, it still dies of an exit signal at once: a kill is not held up by the peer.
  ASSERT_TRUE(eventually(parked, 30s));
  dn.local().exit(sender, exit_reason::kill());
  EXPECT_TRUE(eventually([&] { return !dn.local().is_alive(sender); }, 10s));
}

TEST_F(dist_interop, a_frame_over_max_frame_bytes_closes_the_connection) {
  dist_config c = config("oversize");
  c.max_frame_bytes = 4096;
  distributed_node dn(c, small());
  raw_peer raw(dn.port(), "raw3@localhost", dn.name(), cookie, flags::advertised);
  raw.write({0, 0, 0x20, 0});  // announces 8192 bytes
  EXPECT_TRUE(raw.closed_within(10s));
}

TEST_F(dist_interop, a_silent_peer_is_ticked_then_dropped_after_net_ticktime) {
  dist_config c = config("ticker");
  c.net_ticktime = 800ms;
  distributed_node dn(c, small());
  raw_peer raw(dn.port(), "raw4@localhost", dn.name(), cookie, flags::advertised);
  auto start = steady::now();
  EXPECT_TRUE(raw.closed_within(10s));
  EXPECT_GE(steady::now() - start, 700ms);
  EXPECT_GE(raw.ticks(), 1);  // ticks every net_ticktime/4 while it wrote nothing else
}

TEST_F(dist_interop, a_peer_without_the_mandatory_flags_is_refused) {
  distributed_node dn(config("flagcheck"), small());
  EXPECT_THROW(raw_peer(dn.port(), "raw5@localhost", dn.name(), cookie, flags::mandatory_25),
               std::runtime_error);  // no UNLINK_ID: status not_allowed
}

TEST_F(dist_interop, a_bitactor_crash_reaches_a_linked_erl_process_as_exit) {
  distributed_node dn(config("linkout"), small());
  inbox box(dn.local());
  pid victim = dn.local().spawn([](actor& self, message& m) {
    if (m.is<int>()) self.exit(exit_reason::error("boom"));
  });
  t::term linker = erl_->call(t::tuple(atom("spawn_linker"), t::term(to_term(victim))));
  ASSERT_TRUE(linker.is_pid());
  // The link arrived when the process shows it (erl linked first, then replied).
  ASSERT_TRUE(eventually([&] {
    auto info = dn.local().info(victim);
    return info && !info->links.empty();
  }));
  dn.local().send(victim, 1);
  auto got = erl_->receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, t::tuple(atom("EXIT"), t::term(to_term(victim)), atom("boom")));
}

TEST_F(dist_interop, an_erl_exit_reaches_a_linked_bitactor_process) {
  distributed_node dn(config("linkin"), small());
  inbox box(dn.local());
  t::term idle = erl_->call(atom("spawn_idle"));
  ASSERT_TRUE(idle.is_pid());
  box.link(from_term(idle.as_pid()));
  // Once erl has the link, killing the erl process sends EXIT back.
  ASSERT_TRUE(dn.ping(erl_->name()));
  erl_->call(t::tuple(atom("exit"), idle, atom("bye")));
  auto e = box.receive<exit_msg>(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->from, from_term(idle.as_pid()));
  EXPECT_EQ(e->reason, exit_reason::error("bye"));
}

TEST_F(dist_interop, losing_the_connection_breaks_links_with_noconnection) {
  distributed_node dn(config("noconn"), small());
  inbox box(dn.local());
  t::term idle = erl_->call(atom("spawn_idle"));
  box.link(from_term(idle.as_pid()));
  ref mon = box.monitor(from_term(idle.as_pid()));
  ASSERT_TRUE(dn.ping(erl_->name()));
  ASSERT_TRUE(erl_->call(t::tuple(atom("disconnect"), t::atom(dn.name()))).is_atom("true"));
  auto e = box.receive<exit_msg>(10s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason, exit_reason::noconnection());
  auto d = box.receive<down_msg>(10s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, mon);
  EXPECT_EQ(d->reason, exit_reason::noconnection());
}

namespace {
// A process answering erl's gen_server:call the way gen_server does: `{'$gen_call', From,
// Req}` gets gen:reply(From, {echo, Req}); a request `crash` ends it with reason boom.
void echo_server(actor& self, message& m) {
  auto* t = m.get_if<t::term>();
  if (t == nullptr || !t->is_tuple() || t->size() != 3 || !(*t)[0].is_atom("$gen_call")) return;
  if ((*t)[2].is_atom("crash")) self.exit(exit_reason::error("boom"));
  gen_reply(self, (*t)[1], t::tuple(t::atom("echo"), (*t)[2]));
}
}  // namespace

TEST_F(dist_interop, gen_server_call_from_erl_reaches_a_bitactor_process_by_name_and_pid) {
  distributed_node dn(config("callee"), small());
  pid server = dn.local().spawn(echo_server);
  dn.local().register_name("echo", server);
  auto by_name = erl_->call(
      t::tuple(atom("call"), t::tuple(atom("echo"), t::atom(dn.name())), atom("hi"), 5000));
  EXPECT_EQ(by_name, t::tuple(atom("reply"), t::tuple(atom("echo"), atom("hi"))));
  auto by_pid = erl_->call(t::tuple(atom("call"), t::term(to_term(server)), t::list(1, 2), 5000));
  EXPECT_EQ(by_pid, t::tuple(atom("reply"), t::tuple(atom("echo"), t::list(1, 2))));
}

TEST_F(dist_interop, gen_server_call_from_erl_to_a_crashing_process_exits_with_its_reason) {
  // gen.erl monitors the server by name (MONITOR_P); the crash comes back as MONITOR_P_EXIT
  // naming the name, and the caller exits with the server's reason, not a timeout.
  distributed_node dn(config("crasher"), small());
  dn.local().register_name("echo", dn.local().spawn(echo_server));
  auto r = erl_->call(
      t::tuple(atom("call"), t::tuple(atom("echo"), t::atom(dn.name())), atom("crash"), 20000));
  ASSERT_TRUE(r.is_tuple() && r.size() == 2 && r[0].is_atom("exit")) << t::to_string(r);
  ASSERT_TRUE(r[1].is_tuple());
  EXPECT_TRUE(r[1][0].is_atom("boom")) << t::to_string(r);
}

TEST_F(dist_interop, gen_server_call_from_erl_to_an_unregistered_name_is_noproc_at_once) {
  distributed_node dn(config("noname"), small());
  auto r = erl_->call(
      t::tuple(atom("call"), t::tuple(atom("nobody"), t::atom(dn.name())), atom("hi"), 20000));
  ASSERT_TRUE(r.is_tuple() && r.size() == 2 && r[0].is_atom("exit")) << t::to_string(r);
  EXPECT_TRUE(r[1][0].is_atom("noproc")) << t::to_string(r);
}

TEST_F(dist_interop, erl_monitor_of_a_bitactor_process_gets_down_with_the_reason) {
  distributed_node dn(config("watched"), small());
  pid victim = dn.local().spawn([](actor& self, message& m) {
    if (m.is<int>()) self.exit(exit_reason::error("gone"));
  });
  auto mon = erl_->call(t::tuple(atom("spawn_monitor_of"), t::term(to_term(victim))));
  ASSERT_TRUE(mon.is_tuple() && mon.size() == 2);
  // The monitor is in place once the process shows it.
  ASSERT_TRUE(eventually([&] {
    auto info = dn.local().info(victim);
    return info && !info->monitored_by.empty();
  }));
  dn.local().send(victim, 1);
  auto got = erl_->receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, t::tuple(atom("DOWN"), mon[1], atom("process"), t::term(to_term(victim)),
                           atom("gone")));
}

TEST_F(dist_interop, bitactor_monitor_of_an_erl_process_gets_down_with_the_reason) {
  distributed_node dn(config("watcher"), small());
  inbox box(dn.local());
  t::term idle = erl_->call(atom("spawn_idle"));
  ref mon = box.monitor(from_term(idle.as_pid()));
  ASSERT_TRUE(dn.ping(erl_->name()));  // the MONITOR_P went out before the ping
  erl_->call(t::tuple(atom("exit"), idle, atom("bye")));
  auto d = box.receive<down_msg>(10s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, mon);
  EXPECT_EQ(d->process, from_term(idle.as_pid()));
  EXPECT_EQ(d->reason, exit_reason::error("bye"));
}

TEST_F(dist_interop, bitactor_monitor_of_a_dead_erl_pid_gets_noproc) {
  distributed_node dn(config("deadwatch"), small());
  inbox box(dn.local());
  t::term idle = erl_->call(atom("spawn_idle"));
  erl_->call(t::tuple(atom("exit"), idle, atom("kill")));
  ASSERT_TRUE(erl_->call(t::tuple(atom("is_alive"), idle)).is_atom("false"));
  ref mon = box.monitor(from_term(idle.as_pid()));
  auto d = box.receive<down_msg>(10s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, mon);
  EXPECT_EQ(d->reason, exit_reason::noproc());
}

TEST_F(dist_interop, two_bitactor_nodes_connect_at_once_and_keep_one_connection) {
  // Both sides initiate together: the acceptor whose own attempt is pending lets the greater
  // name win (ok_simultaneous / nok, dist_util), and both end up on one connection.
  distributed_node a(config("sim_a"), small());
  distributed_node b(config("sim_b"), small());
  inbox box_a(a.local());
  inbox box_b(b.local());
  a.local().register_name("box", box_a.self());
  b.local().register_name("box", box_b.self());
  bool a_up = false;
  std::thread other([&] { a_up = a.connect(b.name()); });
  bool b_up = b.connect(a.name());
  other.join();
  EXPECT_TRUE(a_up);
  EXPECT_TRUE(b_up);
  a.send("box", b.name(), t::atom("to_b"));
  b.send("box", a.name(), t::atom("to_a"));
  auto at_b = box_b.receive<t::term>(10s);
  auto at_a = box_a.receive<t::term>(10s);
  ASSERT_TRUE(at_b && at_a);
  EXPECT_TRUE(at_b->is_atom("to_b"));
  EXPECT_TRUE(at_a->is_atom("to_a"));
  EXPECT_EQ(a.nodes(), std::vector<std::string>{b.name()});
  EXPECT_EQ(b.nodes(), std::vector<std::string>{a.name()});
  EXPECT_TRUE(a.ping(b.name()));
  EXPECT_TRUE(b.ping(a.name()));
}

TEST_F(dist_interop, messages_sent_just_before_the_node_stops_are_still_delivered) {
  {
    distributed_node dn(config("lastwords"), small());
    ASSERT_TRUE(dn.connect(erl_->name()));
    for (int i = 0; i < 100; ++i) dn.send("inbox", erl_->name(), t::term(i));
  }  // the destructor writes out what is queued before closing
  for (int i = 0; i < 100; ++i) {
    auto got = erl_->receive();
    ASSERT_TRUE(got) << "message " << i;
    EXPECT_EQ(*got, t::term(i));
  }
}

TEST_F(dist_interop, a_second_connection_under_a_live_name_is_answered_alive) {
  distributed_node dn(config("dupcheck"), small());
  raw_peer first(dn.port(), "dup@localhost", dn.name(), cookie, flags::advertised);
  ASSERT_TRUE(eventually([&] { return dn.nodes() == std::vector<std::string>{"dup@localhost"}; }));
  // The status is `alive`, not ok: the raw peer gives up, and the first connection stays.
  EXPECT_THROW(raw_peer(dn.port(), "dup@localhost", dn.name(), cookie, flags::advertised),
               std::runtime_error);
  EXPECT_EQ(dn.nodes(), std::vector<std::string>{"dup@localhost"});
}

TEST_F(dist_interop, bitactor_calls_an_erl_gen_server) {
  distributed_node dn(config("caller"), small());
  EXPECT_EQ(dn.call("echo", erl_->name(), t::tuple(atom("hello"), 1)),
            t::tuple(atom("echo"), t::tuple(atom("hello"), 1)));
  // The same call protocol locally, to this node's own gen_server-style process.
  dn.local().register_name("echo", dn.local().spawn(echo_server));
  EXPECT_EQ(dn.call("echo", dn.name(), atom("x")), t::tuple(atom("echo"), atom("x")));
}

// The exit reason a call ends with (gen_server:call's exit), or "replied".
std::string call_outcome(distributed_node& dn, std::string_view name, std::string_view peer,
                         t::term request, std::chrono::milliseconds timeout) {
  try {
    dn.call(name, peer, std::move(request), timeout);
    return "replied";
  } catch (const bitactor::dist::remote_call_error& e) {
    return e.reason().to_string();
  }
}

// A -name cluster: long names on both sides (alive@127.0.0.1), ping and calls both ways.
TEST_F(dist_interop, a_long_name_node_joins_an_erl_started_with_name) {
  erl_node long_erl("lpeer@127.0.0.1", cookie, epmd_->port(), DIST_PEER_BEAM_DIR);
  EXPECT_EQ(long_erl.name(), "lpeer@127.0.0.1");
  dist_config c = config("lba");
  c.name = "lba@127.0.0.1";
  c.mode = bitactor::dist::name_mode::long_names;
  distributed_node dn(c, small());
  EXPECT_EQ(dn.name(), "lba@127.0.0.1");
  dn.local().register_name("echo", dn.local().spawn(echo_server));
  EXPECT_TRUE(dn.ping(long_erl.name()));
  EXPECT_EQ(long_erl.call(t::tuple(atom("ping"), t::atom(dn.name()))), atom("pong"));
  EXPECT_EQ(dn.call("echo", long_erl.name(), atom("up")), t::tuple(atom("echo"), atom("up")));
  EXPECT_EQ(long_erl.call(t::tuple(atom("call"), t::tuple(atom("echo"), t::atom(dn.name())),
                                   atom("down"), 5000)),
            t::tuple(atom("reply"), t::tuple(atom("echo"), atom("down"))));
}

TEST_F(dist_interop, a_call_to_a_name_nobody_holds_fails_with_noproc_at_once) {
  distributed_node dn(config("noproc"), small());
  // With a minute to wait, a timeout would say `timeout`: noproc comes from the name monitor.
  EXPECT_EQ(call_outcome(dn, "nobody", erl_->name(), atom("x"), 60s), "noproc");
  EXPECT_EQ(call_outcome(dn, "nobody", dn.name(), atom("x"), 60s), "noproc");
  EXPECT_EQ(dn.call("echo", erl_->name(), atom("after")), t::tuple(atom("echo"), atom("after")));
}

TEST_F(dist_interop, a_server_that_ends_mid_call_gives_the_caller_its_reason_at_once) {
  distributed_node dn(config("midcall"), small());
  ASSERT_TRUE(erl_->call(t::tuple(atom("start_server"), atom("doomed"))).is_pid());
  EXPECT_EQ(
      call_outcome(dn, "doomed", erl_->name(), t::tuple(atom("stop_with"), atom("boom")), 60s),
      "boom");
  EXPECT_EQ(call_outcome(dn, "doomed", erl_->name(), atom("x"), 60s), "noproc");
}

TEST_F(dist_interop, a_call_without_a_reply_times_out_and_the_server_lives_on) {
  distributed_node dn(config("noreply"), small());
  ASSERT_TRUE(erl_->call(t::tuple(atom("start_server"), atom("silent"))).is_pid());
  EXPECT_EQ(call_outcome(dn, "silent", erl_->name(), atom("no_reply"), 200ms), "timeout");
  EXPECT_EQ(dn.call("silent", erl_->name(), atom("still")), t::tuple(atom("echo"), atom("still")));
  // Each call's monitor of the name ended with it (DEMONITOR_P by name).
  EXPECT_TRUE(eventually(
      [&] { return erl_->call(t::tuple(atom("monitored_by"), atom("silent"))).is_nil(); }));
}

TEST_F(dist_interop, a_call_fails_with_noconnection_when_the_node_is_unreachable_or_lost) {
  distributed_node dn(config("lostcall"), small());
  EXPECT_EQ(call_outcome(dn, "echo", "nosuchnode@localhost", atom("x"), 5s), "noconnection");
  ASSERT_TRUE(erl_->call(t::tuple(atom("start_server"), atom("hold"))).is_pid());
  auto pending = std::async(std::launch::async, [&] {
    return call_outcome(dn, "hold", erl_->name(), atom("no_reply"), 60s);
  });
  // The call is under way once erl holds a monitor of its server for this node's caller.
  ASSERT_TRUE(eventually([&] {
    auto info = erl_->call(t::tuple(atom("monitored_by"), atom("hold")));
    return info.is_list() && !info.is_nil();
  }));
  erl_->call(t::tuple(atom("disconnect"), t::atom(dn.name())));
  EXPECT_EQ(pending.get(), "noconnection");
}

namespace {
// An otp::gen_server that an Erlang node calls and casts with gen_server:call/cast: requests
// arrive as terms in handle_call and handle_cast.
class tally : public bitactor::otp::gen_server {
 protected:
  void handle_call(bitactor::otp::call_context& c) override {
    c.match([&](t::term& req) -> t::term {
      if (req.is_atom("total")) return t::term(total_);
      if (req.is_tuple() && req.size() == 2 && req[0].is_atom("add")) {
        total_ += req[1].as_int();
        return atom("ok");
      }
      if (req.is_atom("crash")) throw std::runtime_error("tally crashed");
      return t::tuple(atom("error"), req);
    });
  }
  void handle_cast(message& m) override {
    if (auto* req = m.get_if<t::term>(); req != nullptr && req->is_atom("reset")) total_ = 0;
  }

 private:
  std::int64_t total_ = 0;
};

// The same protocol on a gen_statem: a call in any state answers the state's name.
class light : public bitactor::otp::gen_statem {
 protected:
  void init() override {
    on_state("off", [this](bitactor::otp::event& e) { answer(e, "on"); });
    on_state("on", [this](bitactor::otp::event& e) { answer(e, "off"); });
    start_in("off");
  }

 private:
  void answer(bitactor::otp::event& e, const char* next) {
    if (e.type() == bitactor::otp::event_type::call) {
      e.reply(t::atom(state()));
    } else if (e.type() == bitactor::otp::event_type::cast) {
      next_state(next);
    }
  }
};

t::term erl_call(erl_node& erl, const std::string& name, const distributed_node& dn, t::term req,
                 int ms = 5000) {
  return erl.call(
      t::tuple(atom("call"), t::tuple(t::atom(name), t::atom(dn.name())), std::move(req), ms));
}
}  // namespace

TEST_F(dist_interop, erl_calls_and_casts_an_otp_gen_server) {
  distributed_node dn(config("otp_server"), small());
  auto r = bitactor::otp::start<tally>(dn.local(), {.name = "tally"});
  ASSERT_TRUE(r.ok());
  auto reply = [](t::term v) { return t::tuple(atom("reply"), std::move(v)); };
  EXPECT_EQ(erl_call(*erl_, "tally", dn, t::tuple(atom("add"), 5)), reply(atom("ok")));
  EXPECT_EQ(erl_call(*erl_, "tally", dn, t::tuple(atom("add"), 37)), reply(atom("ok")));
  EXPECT_EQ(erl_call(*erl_, "tally", dn, atom("total")), reply(t::term(42)));
  // By pid, as a From that gen_server:call/3 builds from a pid target.
  EXPECT_EQ(erl_->call(t::tuple(atom("call"), t::term(to_term(r.process)), atom("total"), 5000)),
            reply(t::term(42)));
  // A cast, then a call: one sender's messages arrive in order.
  EXPECT_EQ(erl_->call(
                t::tuple(atom("cast"), t::tuple(atom("tally"), t::atom(dn.name())), atom("reset"))),
            atom("ok"));
  EXPECT_EQ(erl_call(*erl_, "tally", dn, atom("total")), reply(t::term(0)));
}

TEST_F(dist_interop, erl_calling_an_otp_gen_server_that_crashes_exits_with_its_reason) {
  distributed_node dn(config("otp_crash"), small());
  auto r = bitactor::otp::start<tally>(dn.local(), {.name = "tally"});
  ASSERT_TRUE(r.ok());
  auto crashed = erl_call(*erl_, "tally", dn, atom("crash"), 20000);
  ASSERT_TRUE(crashed.is_tuple() && crashed.size() == 2 && crashed[0].is_atom("exit"))
      << t::to_string(crashed);
  // {{exception, <<"std::runtime_error">>, <<"tally crashed">>}, {gen_server, call, ...}}
  EXPECT_NE(t::to_string(crashed[1]).find("tally crashed"), std::string::npos)
      << t::to_string(crashed);
}

TEST_F(dist_interop, erl_calls_and_casts_an_otp_gen_statem) {
  distributed_node dn(config("otp_statem"), small());
  auto r = bitactor::otp::start<light>(dn.local(), {.name = "light"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(erl_call(*erl_, "light", dn, atom("state")), t::tuple(atom("reply"), atom("off")));
  EXPECT_EQ(
      erl_->call(t::tuple(atom("cast"), t::tuple(atom("light"), t::atom(dn.name())), atom("flip"))),
      atom("ok"));
  EXPECT_EQ(erl_call(*erl_, "light", dn, atom("state")), t::tuple(atom("reply"), atom("on")));
}

namespace {
struct ask_echo {
  pid server;
  t::term request;
  using reply = t::term;
};
// Calls an Erlang gen_server from inside a behaviour with a term request.
class echo_client : public bitactor::otp::gen_server {
 protected:
  void handle_call(bitactor::otp::call_context& c) override {
    c.match([&](ask_echo& a) { return ask(a); });
  }

 private:
  bitactor::otp::async_reply<t::term> ask(ask_echo a) {
    t::term answer = co_await call(a.server, std::move(a.request));
    co_return answer;
  }
};
}  // namespace

TEST_F(dist_interop, bitactor_calls_an_erl_gen_server_by_pid_from_a_thread_and_a_behaviour) {
  distributed_node dn(config("term_caller"), small());
  t::term echo = erl_->call(atom("echo_pid"));
  ASSERT_TRUE(echo.is_pid()) << t::to_string(echo);
  const pid server = from_term(echo.as_pid());
  EXPECT_EQ(bitactor::otp::call(dn.local(), server, t::tuple(atom("hello"), 1)),
            t::tuple(atom("echo"), t::tuple(atom("hello"), 1)));
  auto client = bitactor::otp::start<echo_client>(dn.local(), {});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(bitactor::otp::call(dn.local(), client.process, ask_echo{server, atom("inside")}),
            t::tuple(atom("echo"), atom("inside")));
}

namespace {
struct ask_by_name {
  std::string name;
  std::string node;
  t::term request;
  using reply = std::string;  // the reply printed, or the call's exit reason
};
// Calls {Name, Node} from inside a behaviour, as gen_server:call({Name, Node}, Req) does.
class named_client : public bitactor::otp::gen_server {
 protected:
  void handle_call(bitactor::otp::call_context& c) override {
    c.match([&](ask_by_name& a) { return ask(a); });
  }

 private:
  bitactor::otp::async_reply<std::string> ask(ask_by_name a) {
    try {
      t::term answer = co_await call(a.name, a.node, std::move(a.request), 10s);
      co_return t::to_string(answer);
    } catch (const bitactor::otp::call_error& e) {
      co_return "exit " + e.reason().to_string();
    }
  }
};
}  // namespace

TEST_F(dist_interop, a_behaviour_calls_an_erl_gen_server_by_name_and_node) {
  distributed_node dn(config("named_caller"), small());
  auto client = bitactor::otp::start<named_client>(dn.local(), {});
  ASSERT_TRUE(client.ok());
  auto ask = [&](std::string name, std::string node, t::term request) {
    return bitactor::otp::call(dn.local(), client.process,
                               ask_by_name{std::move(name), std::move(node), std::move(request)},
                               30s);
  };
  EXPECT_EQ(ask("echo", erl_->name(), atom("by_name")), "{echo,by_name}");
  // Nobody has the name there: noproc at once (the name monitor's DOWN), not the timeout.
  auto start = steady::now();
  EXPECT_EQ(ask("nobody", erl_->name(), atom("x")), "exit noproc");
  EXPECT_LT(steady::now() - start, 5s);
  // The server ends mid-call: its reason at once.
  ASSERT_TRUE(erl_->call(t::tuple(atom("start_server"), atom("doomed"))).is_pid());
  EXPECT_EQ(ask("doomed", erl_->name(), t::tuple(atom("stop_with"), atom("went_away"))),
            "exit went_away");
  // A node that does not exist: noconnection.
  EXPECT_EQ(ask("echo", "nowhere@localhost", atom("x")), "exit noconnection");
  // This node's own name: the local registered process.
  dn.local().register_name("echo", dn.local().spawn(echo_server));
  EXPECT_EQ(ask("echo", dn.name(), atom("here")), "{echo,here}");
}

TEST_F(dist_interop, a_call_to_an_erl_process_that_dies_mid_call_fails_at_once) {
  // gen.erl's rule both ways: the caller monitors the server, so its death ends the call with
  // its reason instead of the timeout.
  distributed_node dn(config("mid_call"), small());
  t::term idle = erl_->call(atom("spawn_idle"));  // never answers a call
  ASSERT_TRUE(idle.is_pid());
  const pid server = from_term(idle.as_pid());
  auto pending = std::async(std::launch::async, [&] {
    return bitactor::otp::call(dn.local(), server, atom("never_answered"), std::chrono::minutes(5));
  });
  erl_->call(t::tuple(atom("exit"), idle, atom("bye")));
  ASSERT_EQ(pending.wait_for(20s), std::future_status::ready) << "the call waited for its timeout";
  try {
    pending.get();
    FAIL() << "the call should fail";
  } catch (const bitactor::otp::call_error& e) {
    // bye when the monitor was in place before the exit, noproc when the exit came first.
    EXPECT_TRUE(e.reason() == exit_reason::error("bye") || e.reason() == exit_reason::noproc())
        << e.reason();
  }
}

TEST_F(dist_interop, stopping_the_node_does_not_wait_for_a_stalled_handshake) {
  dist_config c = config("stalled");
  c.setup_timeout = 5s;
  auto dn = std::make_unique<distributed_node>(c, small());
  int fd = connect_local(dn->port());  // connects, then says nothing
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(eventually([&] {  // the acceptor has it once a second client is served
    return dn->ping(erl_->name());
  }));
  auto start = steady::now();
  dn.reset();
  EXPECT_LT(steady::now() - start, 3s);
  ::close(fd);
}

// DFLAG_FRAGMENTS both ways (erl_ext_dist.html, "Distribution Header for Fragmented Messages"):
// BEAM and BitActor each send a message over 64 KiB as fragments, and other processes' small
// messages go out between them.
namespace {
constexpr std::size_t big_size = std::size_t{1} << 20;

// What dist_peer's pattern/1 builds: byte i is i rem 251.
t::term pattern(std::size_t n) {
  std::vector<std::uint8_t> b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i % 251);
  return t::binary(b);
}
}  // namespace

TEST_F(dist_interop, erl_sends_a_1_mb_binary_as_fragments_with_small_messages_between) {
  distributed_node dn(config("bigin"), small());
  inbox box(dn.local());
  dn.local().register_name("box", box.self());
  // Connected first: BEAM encodes what it sends while a connection is pending without the
  // peer's flags, so as one frame.
  ASSERT_TRUE(dn.ping(erl_->name()));
  constexpr int smalls = 20;
  auto crc = erl_->call(t::tuple(atom("send_big"), t::tuple(atom("box"), t::atom(dn.name())),
                                 static_cast<std::int64_t>(big_size), smalls));
  ASSERT_TRUE(crc.is_integer()) << t::to_string(crc);
  int next_small = 1;
  bool big = false;
  bool after_big = false;
  for (int i = 0; i < smalls + 2; ++i) {
    auto m = box.receive<t::term>(10s);
    ASSERT_TRUE(m) << "message " << i << " missing";
    ASSERT_TRUE(m->is_tuple()) << t::to_string(*m);
    if ((*m)[0].is_atom("small")) {
      EXPECT_EQ((*m)[1], t::term(next_small));
      ++next_small;
    } else if ((*m)[0].is_atom("big")) {
      EXPECT_TRUE((*m)[1] == pattern(big_size)) << "the 1 MB binary arrived changed";
      big = true;
    } else {
      ASSERT_TRUE((*m)[0].is_atom("after_big")) << t::to_string(*m);
      EXPECT_TRUE(big) << "after_big overtook big (one sender's order)";
      EXPECT_EQ((*m)[1], t::term(static_cast<std::int64_t>(big_size)));
      EXPECT_EQ((*m)[2], crc);
      after_big = true;
    }
  }
  EXPECT_EQ(next_small, smalls + 1);
  EXPECT_TRUE(big && after_big);
  // The connection is still good for ordinary traffic.
  EXPECT_TRUE(erl_->call(t::tuple(atom("ping"), t::atom(dn.name()))).is_atom("pong"));
}

TEST_F(dist_interop, bitactor_sends_a_1_mb_binary_as_fragments_with_small_messages_between) {
  distributed_node dn(config("bigout"), small());
  pid erl_inbox = from_term(erl_->inbox().as_pid());
  const t::term blob = pattern(big_size);
  pid large = dn.local().spawn([erl_inbox, blob](actor& self, message& m) {
    if (!m.is<int>()) return;
    self.send(erl_inbox, t::term(t::tuple(atom("seq"), 1)));
    self.send(erl_inbox, t::term(t::tuple(atom("big"), blob)));
    self.send(erl_inbox, t::term(t::tuple(atom("seq"), 2)));
  });
  constexpr int smalls = 20;
  pid small_sender = dn.local().spawn([erl_inbox](actor& self, message& m) {
    if (!m.is<int>()) return;
    for (int i = 1; i <= smalls; ++i) self.send(erl_inbox, t::term(t::tuple(atom("small"), i)));
  });
  ASSERT_TRUE(dn.ping(erl_->name()));
  dn.local().send(large, 1);
  dn.local().send(small_sender, 1);
  int next_small = 1;
  std::vector<std::string> large_order;
  for (int i = 0; i < smalls + 3; ++i) {
    auto m = erl_->receive(20s);
    ASSERT_TRUE(m) << "message " << i << " missing";
    ASSERT_TRUE(m->is_tuple());
    if ((*m)[0].is_atom("small")) {
      EXPECT_EQ((*m)[1], t::term(next_small));
      ++next_small;
    } else if ((*m)[0].is_atom("big")) {
      EXPECT_TRUE((*m)[1] == blob) << "the 1 MB binary arrived changed";
      large_order.emplace_back("big");
    } else {
      ASSERT_TRUE((*m)[0].is_atom("seq")) << t::to_string(*m);
      large_order.push_back("seq" + std::to_string((*m)[1].as_int()));
    }
  }
  EXPECT_EQ(next_small, smalls + 1);
  EXPECT_EQ(large_order, (std::vector<std::string>{"seq1", "big", "seq2"}));
}

TEST_F(dist_interop, a_fragment_of_an_unknown_sequence_closes_only_that_connection) {
  // 131 70 Seq:8 Frag:8 and one byte: a continuation of a sequence never started.
  std::vector<std::uint8_t> frame = {0, 0, 0, 19, 131, 70};
  frame.insert(frame.end(), {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 106});
  bad_bytes_close_only_their_connection("badfrag", "raw5@localhost", frame);
}

// net_kernel:monitor_nodes/2: erl's connection is hidden (erl runs -hidden, and so does this
// node), so a plain subscription hears nothing of it and {node_type, all} hears both ends.
TEST_F(dist_interop, monitor_nodes_reports_erl_coming_and_going) {
  distributed_node dn(config("nodewatch"), small());
  inbox plain(dn.local());
  inbox all(dn.local());
  dn.monitor_nodes(plain.self());
  dn.monitor_nodes(all.self(), {.type = node_type::all, .nodedown_reason = true});
  ASSERT_TRUE(dn.ping(erl_->name()));
  auto up = all.receive<t::term>(10s);
  ASSERT_TRUE(up);
  EXPECT_EQ(*up, t::tuple(atom("nodeup"), t::atom(erl_->name()),
                          t::list(t::tuple(atom("node_type"), atom("hidden")))));
  ASSERT_TRUE(erl_->call(t::tuple(atom("disconnect"), t::atom(dn.name()))).is_atom("true"));
  auto down = all.receive<t::term>(10s);
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, t::tuple(atom("nodedown"), t::atom(erl_->name()),
                            t::list(t::tuple(atom("node_type"), atom("hidden")),
                                    t::tuple(atom("nodedown_reason"), atom("connection_closed")))));
  // The plain subscription was told first of anything it concerned: it has nothing.
  EXPECT_FALSE(plain.receive<t::term>(0ms));
  EXPECT_TRUE(dn.demonitor_nodes(all.self(), {.type = node_type::all, .nodedown_reason = true}));
  EXPECT_FALSE(dn.demonitor_nodes(all.self(), {}));
  ASSERT_TRUE(dn.ping(erl_->name()));
  EXPECT_FALSE(all.receive<t::term>(0ms));
}

// EXIT_PAYLOAD is set both ways: exit and DOWN reasons travel as the frame's message
// (PAYLOAD_EXIT, PAYLOAD_MONITOR_P_EXIT), so a reason of 300 KB goes as fragments and arrives
// whole, both ways.
TEST_F(dist_interop, large_exit_reasons_cross_both_ways) {
  distributed_node dn(config("bigexit"), small());
  const t::term reason = t::tuple(atom("big"), t::binary(std::string(300'000, 'r')));
  // Out: a BitActor process linked to and monitored by erl processes exits with it.
  pid victim = dn.local().spawn([reason](actor& self, message& m) {
    if (m.is<int>()) self.exit(exit_reason::from_term(reason));
  });
  t::term linker = erl_->call(t::tuple(atom("spawn_linker"), t::term(to_term(victim))));
  auto mon = erl_->call(t::tuple(atom("spawn_monitor_of"), t::term(to_term(victim))));
  ASSERT_TRUE(linker.is_pid() && mon.is_tuple());
  ASSERT_TRUE(eventually([&] {
    auto info = dn.local().info(victim);
    return info && !info->links.empty() && !info->monitored_by.empty();
  }));
  dn.local().send(victim, 1);
  std::vector<t::term> got;
  for (int i = 0; i < 2; ++i) {
    auto m = erl_->receive(20s);
    ASSERT_TRUE(m) << "message " << i;
    got.push_back(*m);
  }
  const t::term exit = t::tuple(atom("EXIT"), t::term(to_term(victim)), reason);
  const t::term down =
      t::tuple(atom("DOWN"), mon[1], atom("process"), t::term(to_term(victim)), reason);
  EXPECT_TRUE((got[0] == exit && got[1] == down) || (got[0] == down && got[1] == exit));

  // In: an erl process linked to and monitored by an inbox here is killed with it.
  inbox box(dn.local());
  t::term idle = erl_->call(atom("spawn_idle"));
  box.link(from_term(idle.as_pid()));
  const ref mref = box.monitor(from_term(idle.as_pid()));
  ASSERT_TRUE(dn.ping(erl_->name()));
  erl_->call(t::tuple(atom("exit"), idle, reason));
  auto e = box.receive<exit_msg>(20s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->reason.as_term(), reason);
  auto d = box.receive<down_msg>(20s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, mref);
  EXPECT_EQ(d->reason.as_term(), reason);
}
