// gen_server as OTP 25's gen_server(3) defines it: start/init results, call/cast/info,
// deferred replies, continue, timeouts, stop/terminate, and calls that fail. Every case runs
// under both scheduler policies (gen_server_both); timers use short real delays, and a case
// waits on the event they cause, never on elapsed time.
#include <gtest/gtest.h>

#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/term/match.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

// --- a key-value server and its requests --------------------------------------------------

struct get {
  std::string key;
  using reply = std::optional<int>;
};
struct put {
  std::string key;
  int value;
  using reply = ok_t;
};
struct slow_get {  // answered later, after a delay (deferred reply)
  std::string key;
  std::chrono::milliseconds after;
  using reply = std::optional<int>;
};
struct stop_please {
  exit_reason reason;
  using reply = ok_t;
};
struct crash_please {
  using reply = ok_t;
};
struct answer_later {
  from to;
  std::string key;
};
struct remember {
  std::string key;
  int value;
};

enum class init_mode { ok, ignore, stop, throws };

class kv : public gen_server {
 public:
  explicit kv(pid observer = {}, init_mode mode = init_mode::ok, bool trap = false)
      : observer_(observer), mode_(mode), trap_(trap) {}

 protected:
  void init() override {
    trap_exit(trap_);
    switch (mode_) {
      case init_mode::ok:
        break;
      case init_mode::ignore:
        ignore();
        break;
      case init_mode::stop:
        stop(exit_reason::error("bad_config"));
        break;
      case init_mode::throws:
        throw std::runtime_error("cannot open store");
    }
  }
  void handle_call(call_context& c) override {
    c.match([&](get& g) -> std::optional<int> { return lookup(g.key); },
            [&](put& p) {
              data_[p.key] = p.value;
              return ok;
            },
            [&](slow_get& s) {
              send_after(self(), s.after, answer_later{c.defer(), s.key});
            },
            [&](stop_please& s) {
              c.reply(ok);
              stop(s.reason);
            },
            [&](crash_please&) -> ok_t { throw std::logic_error("asked to crash"); });
  }
  void handle_cast(message& m) override {
    if (auto* r = m.get_if<remember>()) data_[r->key] = r->value;
  }
  void handle_info(message& m) override {
    if (auto* a = m.get_if<answer_later>()) {
      reply(a->to, lookup(a->key));
    } else if (observer_) {
      send(observer_, note{"info " + m.type_name()});
    }
  }
  void terminate(const exit_reason& r) override {
    if (observer_) send(observer_, note{"terminate " + r.to_string()});
  }

 private:
  std::optional<int> lookup(const std::string& k) const {
    auto it = data_.find(k);
    return it == data_.end() ? std::nullopt : std::optional<int>(it->second);
  }
  pid observer_;
  init_mode mode_;
  bool trap_;
  std::map<std::string, int> data_;
};

struct fixture {
  node n;
  inbox box{n};

  explicit fixture(node_config cfg = deterministic()) : n(std::move(cfg)) {}

  pid start_kv(init_mode mode = init_mode::ok, std::string name = {}) {
    auto r = start<kv>(n, {.name = std::move(name)}, box.self(), mode);
    EXPECT_TRUE(r.ok()) << r.to_string();
    return r.process;
  }
  std::string next_note(std::chrono::milliseconds wait = 1s) {
    auto m = box.receive<note>(wait);
    return m ? m->text : "<none>";
  }
  /// True if no note has reached the box by now (after flushing what was sent before).
  bool no_note_yet() { return flush(n, box) && !box.receive<note>(0ms); }
};

class gen_server_both : public policy_test {};
INSTANTIATE_TEST_SUITE_P(policies, gen_server_both, both_policies, policy_name);

}  // namespace

// --- start and init (gen_server:start/3, Module:init/1) -------------------------------------

TEST_P(gen_server_both, start_returns_ok_with_pid_after_init) {
  fixture f{config()};
  pid p = f.start_kv();
  EXPECT_TRUE(f.n.is_alive(p));
  EXPECT_EQ(call(f.n, p, put{"a", 1}), ok);
  EXPECT_EQ(call(f.n, p, get{"a"}), 1);
}

TEST_P(gen_server_both, init_returning_ignore_makes_start_return_ignore_and_exit_normally) {
  fixture f{config()};
  report_capture reports;
  auto before = f.n.counters().processes;
  auto r = start<kv>(f.n, {}, f.box.self(), init_mode::ignore);
  EXPECT_TRUE(r.ignored());
  // It exits normally after answering; its reports would come before its exit is counted.
  EXPECT_TRUE(holds_within(f.n, 2s, [&] { return f.n.counters().processes == before; }));
  EXPECT_TRUE(reports.reports().empty());
}

TEST_P(gen_server_both, init_stop_makes_start_return_the_error_without_terminate) {
  fixture f{config()};
  auto before = f.n.counters().processes;
  auto r = start<kv>(f.n, {}, f.box.self(), init_mode::stop);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason.to_string(), "bad_config");
  // terminate is not called when init fails: its note would have gone out before the exit.
  EXPECT_TRUE(holds_within(f.n, 2s, [&] { return f.n.counters().processes == before; }));
  EXPECT_TRUE(f.no_note_yet());
}

TEST_P(gen_server_both, init_exception_makes_start_return_the_exception_as_error) {
  fixture f{config()};
  auto r = start<kv>(f.n, {}, f.box.self(), init_mode::throws);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.reason.code(), exit_reason::kind::exception);
  EXPECT_NE(r.reason.to_string().find("cannot open store"), std::string::npos);
}

TEST_P(gen_server_both, start_registers_the_name_before_returning) {
  fixture f{config()};
  pid p = f.start_kv(init_mode::ok, "kv");
  EXPECT_EQ(f.n.whereis("kv"), p);
  EXPECT_EQ(call(f.n, "kv", put{"x", 7}), ok);
  EXPECT_EQ(call(f.n, "kv", get{"x"}), 7);
}

TEST_P(gen_server_both, start_with_a_taken_name_fails_with_already_started) {
  fixture f{config()};
  pid p = f.start_kv(init_mode::ok, "kv");
  auto r = start<kv>(f.n, {.name = "kv"}, f.box.self());
  EXPECT_FALSE(r.ok());
  term::pid holder;
  EXPECT_TRUE(term::match(r.reason.as_term(),
                          term::tuple(term::atom("already_started"), term::bind(holder))))
      << r.reason;
  EXPECT_EQ(from_term_pid(holder), p);
}

// --- call, cast, info ----------------------------------------------------------------------

TEST_P(gen_server_both, cast_is_handled_in_order_with_calls_from_the_same_sender) {
  fixture f{config()};
  pid p = f.start_kv();
  cast(f.n, p, remember{"k", 3});
  EXPECT_EQ(call(f.n, p, get{"k"}), 3);
}

TEST_P(gen_server_both, plain_messages_go_to_handle_info) {
  fixture f{config()};
  pid p = f.start_kv();
  f.n.send(p, std::string("hello"));
  EXPECT_NE(f.next_note().find("info std::"), std::string::npos);
}

TEST_P(gen_server_both, deferred_reply_reaches_the_caller_later) {
  fixture f{config()};
  pid p = f.start_kv();
  call(f.n, p, put{"a", 5});
  auto t0 = f.n.now();
  EXPECT_EQ(call(f.n, p, slow_get{"a", 50ms}), 5);
  if (deterministic_policy()) {
    EXPECT_GE(f.n.now() - t0, 50ms);  // virtual time only: no assertion on the wall clock
  }
}

TEST_P(gen_server_both, call_times_out_with_timeout_error) {
  fixture f{config()};
  pid p = f.start_kv();
  try {
    call(f.n, p, slow_get{"a", 10s}, 100ms);
    FAIL() << "expected a timeout";
  } catch (const call_error& e) {
    EXPECT_TRUE(e.timed_out()) << e.what();
  }
  EXPECT_TRUE(f.n.is_alive(p));  // the server is unaffected by the caller giving up
}

TEST_P(gen_server_both, call_to_dead_server_fails_with_noproc) {
  fixture f{config()};
  pid p = f.start_kv();
  f.box.monitor(p);
  f.n.exit(p, exit_reason::kill());
  ASSERT_TRUE(f.box.receive<down_msg>());
  try {
    call(f.n, p, get{"a"});
    FAIL();
  } catch (const call_error& e) {
    EXPECT_EQ(e.reason(), exit_reason::noproc());
  }
}

TEST_P(gen_server_both, call_to_unregistered_name_fails_with_noproc) {
  fixture f{config()};
  EXPECT_THROW(call(f.n, "nobody", get{"a"}), call_error);
}

TEST_P(gen_server_both, call_to_server_that_dies_while_handling_fails_with_its_exit_reason) {
  fixture f{config()};
  pid p = f.start_kv();
  try {
    call(f.n, p, crash_please{});
    FAIL();
  } catch (const call_error& e) {
    EXPECT_EQ(e.reason().code(), exit_reason::kind::exception);
    EXPECT_NE(e.reason().to_string().find("asked to crash"), std::string::npos);
  }
}

TEST_P(gen_server_both, a_crash_inside_the_server_counts_in_the_node_crash_counter) {
  fixture f{config()};
  pid p = f.start_kv();
  std::uint64_t before = f.n.counters().crashed;
  f.box.monitor(p);
  EXPECT_THROW(call(f.n, p, crash_please{}), call_error);
  ASSERT_TRUE(f.box.receive<down_msg>());
  EXPECT_EQ(f.n.counters().crashed, before + 1);
}

TEST_P(gen_server_both, call_to_server_without_handle_call_crashes_it) {
  struct unknown {
    using reply = int;
  };
  struct bare : gen_server {};
  fixture f{config()};
  auto r = start<bare>(f.n, {});
  try {
    call(f.n, r.process, unknown{});
    FAIL();
  } catch (const call_error& e) {
    EXPECT_TRUE(
        term::match(e.reason().as_term(), term::tuple(term::atom("unexpected_call"), term::any())))
        << e.reason();
  }
}

// --- stop and terminate --------------------------------------------------------------------

TEST_P(gen_server_both, stop_from_a_callback_runs_terminate_and_exits_with_the_reason) {
  fixture f{config()};
  auto r = start<kv>(f.n, {}, f.box.self(), init_mode::ok, true);
  ref m = f.box.monitor(r.process);
  EXPECT_EQ(call(f.n, r.process, stop_please{exit_reason::shutdown("done")}), ok);
  EXPECT_EQ(f.next_note(), "terminate {shutdown,done}");
  auto d = f.box.receive<down_msg>(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->monitor, m);
  EXPECT_EQ(d->reason, exit_reason::shutdown("done"));
}

TEST_P(gen_server_both, exception_in_callback_runs_terminate_and_logs_a_crash_report) {
  fixture f{config()};
  report_capture reports;
  pid p = f.start_kv();
  f.box.monitor(p);
  EXPECT_THROW(call(f.n, p, crash_please{}), call_error);
  EXPECT_EQ(f.next_note().rfind("terminate {exception,", 0), 0u);
  ASSERT_TRUE(f.box.receive<down_msg>());  // the crash report goes out before the exit
  auto crashes = reports.of_kind(report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  EXPECT_EQ(*crashes[0].find("process"), term::term(to_term_pid(p)));
  EXPECT_NE(crashes[0].text("exception").find("asked to crash"), std::string::npos);
  EXPECT_TRUE(crashes[0].find("messages_handled")->is_integer());
}

TEST_P(gen_server_both, clean_stop_logs_no_crash_report) {
  fixture f{config()};
  report_capture reports;
  pid p = f.start_kv();
  f.box.monitor(p);
  call(f.n, p, stop_please{exit_reason::normal()});
  ASSERT_TRUE(f.box.receive<down_msg>());  // a report would go out before the exit
  EXPECT_TRUE(reports.of_kind(report::kind::crash).empty());
}

TEST_P(gen_server_both, parent_exit_runs_terminate_when_trapping_exits) {
  fixture f{config()};
  pid parent = spawn_stepper(f.n);
  pid observer = f.box.self();
  f.n.send(parent, run_step{[observer](actor& self) {
             self.send(observer, start_link_fn<kv>(observer, init_mode::ok, true)(self).child);
           }});
  // An exit signal does not wait behind queued messages: the child traps exits only once its
  // init has run, which it has when it answers a call (as when proc_lib:start_link returns).
  auto child = f.box.receive<pid>();
  ASSERT_TRUE(child);
  EXPECT_EQ(call(f.n, *child, get{"a"}), std::nullopt);
  f.n.exit(parent, exit_reason::error("parent_died"));
  EXPECT_EQ(f.next_note(), "terminate parent_died");
}

// --- continue and inactivity timeout --------------------------------------------------------

namespace {
struct warmed_up {
  using reply = std::vector<std::string>;
};
struct arm_barrier {  // a message that cancels the timeout and arms a later timer
  std::chrono::milliseconds after;
  using reply = ok_t;
};
struct barrier_reached {};
class staged : public gen_server {
 public:
  explicit staged(pid observer = {}, std::chrono::milliseconds timeout = 50ms)
      : observer_(observer), timeout_(timeout) {}

 protected:
  void init() override {
    log_.push_back("init");
    continue_with(std::string("load"));
  }
  void handle_continue(message& m) override {
    log_.push_back("continue " + *m.get_if<std::string>());
    set_timeout(timeout_);
  }
  void handle_call(call_context& c) override {
    c.match([&](warmed_up&) { return log_; },
            [&](arm_barrier& a) {
              send_after(self(), a.after, barrier_reached{});
              return ok;
            });
  }
  void handle_info(message& m) override {
    if (m.is<inactivity_timeout>()) {
      log_.push_back("timeout");
      tell("timeout");
    } else if (m.is<barrier_reached>()) {
      tell("barrier");
    }
  }

 private:
  void tell(std::string what) {
    if (observer_) send(observer_, note{std::move(what)});
  }
  pid observer_;
  std::chrono::milliseconds timeout_;
  std::vector<std::string> log_;
};
}  // namespace

TEST_P(gen_server_both, continue_runs_before_any_message_after_init) {
  fixture f{config()};
  auto r = start<staged>(f.n, {});
  auto log = call(f.n, r.process, warmed_up{});
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[0], "init");
  EXPECT_EQ(log[1], "continue load");
}

TEST_P(gen_server_both, inactivity_timeout_fires_when_no_message_arrives) {
  fixture f{config()};
  auto r = start<staged>(f.n, {}, f.box.self(), 50ms);
  EXPECT_EQ(f.next_note(), "timeout");
  auto log = call(f.n, r.process, warmed_up{});
  EXPECT_EQ(log.back(), "timeout");
}

TEST_P(gen_server_both, inactivity_timeout_is_cancelled_by_a_message) {
  fixture f{config()};
  auto r = start<staged>(f.n, {}, f.box.self(), 300ms);
  // This call cancels the timeout set by continue, and arms a timer due after the timeout
  // would have fired: timers fire in deadline order, so a timeout would be noted first.
  EXPECT_EQ(call(f.n, r.process, arm_barrier{600ms}), ok);
  EXPECT_EQ(f.next_note(2s), "barrier");
  auto log = call(f.n, r.process, warmed_up{});
  EXPECT_EQ(log.back(), "continue load");
}

// --- calls from inside a server (coroutines) -----------------------------------------------

namespace {
struct relay {  // ask the front server to call the back server, which answers after back_delay
  std::string key;
  std::chrono::milliseconds timeout;
  std::chrono::milliseconds back_delay{20};
  using reply = std::string;
};
class front : public gen_server {
 public:
  explicit front(pid back, pid observer) : back_(back), observer_(observer) {}

 protected:
  void handle_call(call_context& c) override {
    if (auto* r = c.get_if<relay>()) forward(c.defer(), *r);
  }
  async forward(from caller, relay r) {
    try {
      slow_get request{r.key, r.back_delay};  // named: see behaviour::call on GCC 12
      send(observer_, note{"calling back"});
      std::optional<int> v = co_await call(back_, std::move(request), r.timeout);
      reply(caller, v ? std::to_string(*v) : std::string("none"));
    } catch (const call_error& e) {
      reply(caller, std::string(e.timed_out() ? "timeout" : "failed"));
    }
  }
  void handle_info(message& m) override { send(observer_, note{"stray " + m.type_name()}); }

 private:
  pid back_;
  pid observer_;
};
}  // namespace

TEST_P(gen_server_both, coroutine_call_from_a_handler_gets_the_reply) {
  fixture f{config()};
  pid back = f.start_kv();
  call(f.n, back, put{"a", 42});
  auto fr = start<front>(f.n, {}, back, f.box.self());
  EXPECT_EQ(call(f.n, fr.process, relay{"a", 5s}), "42");
}

TEST_P(gen_server_both, late_reply_after_timeout_is_never_delivered_to_the_callers_handlers) {
  fixture f{config()};
  pid back = f.start_kv();
  call(f.n, back, put{"b", 7});
  auto fr = start<front>(f.n, {}, back, f.box.self());
  EXPECT_EQ(call(f.n, fr.process, relay{"a", 50ms, 200ms}), "timeout");
  // The back server answers this relay after the late one (asked later, with a longer delay;
  // its replies keep their order), so the late reply has reached the front server by now.
  EXPECT_EQ(call(f.n, fr.process, relay{"b", 5s, 400ms}), "7");
  EXPECT_EQ(f.next_note(), "calling back");
  EXPECT_EQ(f.next_note(), "calling back");
  EXPECT_TRUE(f.no_note_yet()) << "a late reply reached handle_info";
}

TEST_P(gen_server_both, coroutine_call_to_dead_server_fails_with_noproc) {
  fixture f{config()};
  pid back = f.start_kv();
  f.box.monitor(back);
  f.n.exit(back, exit_reason::kill());
  ASSERT_TRUE(f.box.receive<down_msg>());
  auto fr = start<front>(f.n, {}, back, f.box.self());
  EXPECT_EQ(call(f.n, fr.process, relay{"a", 1s}), "failed");
}

TEST_P(gen_server_both, messages_arriving_during_a_coroutine_call_are_handled_after_it_in_order) {
  fixture f{config()};
  pid back = f.start_kv();
  auto fr = start<front>(f.n, {}, back, f.box.self());
  // The box is the caller too, so the reply and the notes reach it in the order the front
  // server sent them. Start a relay the back server answers after 200 ms, then send plain
  // messages meanwhile.
  f.n.send(fr.process, call_request{from{f.box.self(), f.n.make_ref()},
                                    message_ptr(make_message<relay>(relay{"a", 5s, 200ms}))});
  ASSERT_EQ(f.next_note(), "calling back");  // the front server waits on the back server now
  f.n.send(fr.process, std::string("one"));
  f.n.send(fr.process, 2);
  auto first = f.box.receive_any(5s);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->is<call_reply>())
      << "handled while the call was in progress: " << first->type_name();
  EXPECT_NE(f.next_note().find("std::"), std::string::npos);  // "one" first
  EXPECT_EQ(f.next_note(), "stray int");
}
