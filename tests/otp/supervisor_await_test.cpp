// supervisor(3)'s client functions awaited inside a behaviour: the same results and errors as
// from a plain thread, the process waiting without holding a thread, and call_failed when
// the supervisor is not alive or does not answer.
#include <gtest/gtest.h>

#include <any>
#include <string>
#include <vector>

#include "supervisor_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {
using err = supervisor_error;

// What a client script works on.
struct script_args {
  pid sup;
  pid observer;
  pid child;  // for the functions that take a child's pid
};
// A coroutine run inside the client server for one call; it answers the caller itself.
// Scripts are plain functions (no captures), so nothing they use dies while they wait.
using script = async (*)(behaviour& self, from caller, script_args args);

struct run_script {
  script body;
  script_args args;
  using reply = std::any;
};

/// A server whose calls run client scripts.
class client : public gen_server {
 protected:
  void handle_call(call_context& c) override {
    if (auto* r = c.get_if<run_script>()) r->body(*this, c.defer(), r->args);
  }
};

template <class T>
void answer(behaviour& self, const from& caller, T value) {
  self.reply(caller, std::any(std::move(value)));
}

async start_b(behaviour& self, from caller, script_args a) {
  child_spec spec = child_spec::worker<worker>("b", a.observer, std::string("b"));
  supervisor_result<started_child> r = co_await start_child(self, a.sup, spec);
  answer(self, caller, std::move(r));
}
async start_bad_spec(behaviour& self, from caller, script_args a) {
  child_spec spec{"nostart", nullptr};
  supervisor_result<started_child> r = co_await start_child(self, a.sup, std::move(spec));
  answer(self, caller, std::move(r));
}
async start_from_template(behaviour& self, from caller, script_args a) {
  start_fn use_template;  // empty: the template's own start
  supervisor_result<started_child> r = co_await start_child(self, a.sup, use_template);
  answer(self, caller, std::move(r));
}
async terminate_b(behaviour& self, from caller, script_args a) {
  supervisor_result<void> r = co_await terminate_child(self, a.sup, "b");
  answer(self, caller, r);
}
async terminate_by_pid(behaviour& self, from caller, script_args a) {
  supervisor_result<void> r = co_await terminate_child(self, a.sup, a.child);
  answer(self, caller, r);
}
async restart_b(behaviour& self, from caller, script_args a) {
  supervisor_result<started_child> r = co_await restart_child(self, a.sup, "b");
  answer(self, caller, std::move(r));
}
async delete_b(behaviour& self, from caller, script_args a) {
  supervisor_result<void> r = co_await delete_child(self, a.sup, "b");
  answer(self, caller, r);
}
async childspec_a(behaviour& self, from caller, script_args a) {
  supervisor_result<child_spec> r = co_await get_childspec(self, a.sup, "a");
  answer(self, caller, std::move(r));
}
async childspec_by_pid(behaviour& self, from caller, script_args a) {
  supervisor_result<child_spec> r = co_await get_childspec(self, a.sup, a.child);
  answer(self, caller, std::move(r));
}
async which(behaviour& self, from caller, script_args a) {
  supervisor_result<std::vector<child_info>> r = co_await which_children(self, a.sup);
  answer(self, caller, std::move(r));
}
async count(behaviour& self, from caller, script_args a) {
  supervisor_result<child_counts> r = co_await count_children(self, a.sup);
  answer(self, caller, std::move(r));
}
// Every client function once, collecting the errors (for a supervisor that is not alive).
// Each result is named before it is used: no temporary spans a co_await (GCC 12).
async every_function(behaviour& self, from caller, script_args a) {
  std::vector<std::optional<supervisor_error>> errors;
  auto keep = [&errors](const auto& r) {
    errors.push_back(r ? std::nullopt : std::optional<supervisor_error>(r.error()));
  };
  child_spec spec = child_spec::worker<idle>("x");
  start_fn fn = spec.start;
  auto started = co_await start_child(self, a.sup, spec);
  keep(started);
  auto from_template = co_await start_child(self, a.sup, fn);
  keep(from_template);
  auto terminated = co_await terminate_child(self, a.sup, "x");
  keep(terminated);
  auto terminated_pid = co_await terminate_child(self, a.sup, a.child);
  keep(terminated_pid);
  auto restarted = co_await restart_child(self, a.sup, "x");
  keep(restarted);
  auto deleted = co_await delete_child(self, a.sup, "x");
  keep(deleted);
  auto spec_by_id = co_await get_childspec(self, a.sup, "x");
  keep(spec_by_id);
  auto spec_by_pid = co_await get_childspec(self, a.sup, a.child);
  keep(spec_by_pid);
  auto children = co_await which_children(self, a.sup);
  keep(children);
  auto counts = co_await count_children(self, a.sup);
  keep(counts);
  answer(self, caller, std::move(errors));
}
async which_with_short_timeout(behaviour& self, from caller, script_args a) {
  supervisor_result<std::vector<child_info>> r =
      co_await which_children(self, a.sup, std::chrono::milliseconds(50));
  answer(self, caller, std::move(r));
}

class supervisor_await : public supervisor_both {
 protected:
  pid client_ = start_client();

  pid start_client() {
    auto r = start<client>(n, {});
    EXPECT_TRUE(r.ok()) << r.to_string();
    return r.process;
  }
  /// Runs `body` inside the client and returns what it answered, as R.
  template <class R>
  R run(script body, const pid& sup, const pid& child = {}) {
    return std::any_cast<R>(call(n, client_, run_script{body, {sup, box.self(), child}}, 5s));
  }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(policies, supervisor_await, both_policies, policy_name);

TEST_P(supervisor_await, start_child_gives_the_started_child) {
  pid sup = start_sup({}, {w("a")});
  notes(1);
  auto r = run<supervisor_result<started_child>>(start_b, sup);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(notes(1), strings{"start b"});
  EXPECT_EQ(r->process, child_pid(sup, "b"));
}

TEST_P(supervisor_await, start_child_of_a_running_id_is_already_started) {
  pid sup = start_sup({}, {w("a")});
  auto first = run<supervisor_result<started_child>>(start_b, sup);
  ASSERT_TRUE(first);
  auto again = run<supervisor_result<started_child>>(start_b, sup);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().which(), err::code::already_started);
  EXPECT_EQ(again.error().process(), first->process);
}

TEST_P(supervisor_await, start_child_with_a_bad_spec_is_refused) {
  pid sup = start_sup({}, {});
  auto r = run<supervisor_result<started_child>>(start_bad_spec, sup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().which(), err::code::missing_start);
}

TEST_P(supervisor_await, start_child_of_simple_one_for_one_uses_the_template) {
  pid sup = start_sup({.strategy = restart_strategy::simple_one_for_one},
                      {child_spec::worker<idle>("t")});
  auto r = run<supervisor_result<started_child>>(start_from_template, sup);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(n.is_alive(r->process));
  EXPECT_EQ(counts(sup).active, 1u);
}

TEST_P(supervisor_await, terminate_restart_and_delete_child_by_id) {
  pid sup = start_sup({}, {w("a"), w("b")});
  notes(2);
  auto running = run<supervisor_result<started_child>>(restart_b, sup);
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().which(), err::code::running);

  auto stopped = run<supervisor_result<void>>(terminate_b, sup);
  ASSERT_TRUE(stopped) << stopped.error();
  EXPECT_EQ(notes(1), strings{"stop b"});

  auto restarted = run<supervisor_result<started_child>>(restart_b, sup);
  ASSERT_TRUE(restarted) << restarted.error();
  EXPECT_EQ(notes(1), strings{"start b"});
  EXPECT_EQ(restarted->process, child_pid(sup, "b"));

  ASSERT_TRUE(run<supervisor_result<void>>(terminate_b, sup));
  notes(1);
  auto deleted = run<supervisor_result<void>>(delete_b, sup);
  ASSERT_TRUE(deleted) << deleted.error();
  EXPECT_EQ(counts(sup).specs, 1u);
}

TEST_P(supervisor_await, client_functions_of_an_unknown_id_are_not_found) {
  pid sup = start_sup({}, {w("a")});
  auto t = run<supervisor_result<void>>(terminate_b, sup);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().which(), err::code::not_found);
  auto r = run<supervisor_result<started_child>>(restart_b, sup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().which(), err::code::not_found);
  auto d = run<supervisor_result<void>>(delete_b, sup);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().which(), err::code::not_found);
  auto g = run<supervisor_result<child_spec>>(childspec_by_pid, sup, box.self());
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().which(), err::code::not_found);
}

TEST_P(supervisor_await, terminate_child_by_pid_stops_it) {
  pid sup = start_sup({}, {w("a")});
  notes(1);
  auto r = run<supervisor_result<void>>(terminate_by_pid, sup, child_pid(sup, "a"));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(notes(1), strings{"stop a"});
  EXPECT_FALSE(child_pid(sup, "a"));
}

TEST_P(supervisor_await, get_childspec_by_id_and_by_pid) {
  pid sup = start_sup({}, {w("a")});
  auto by_id = run<supervisor_result<child_spec>>(childspec_a, sup);
  ASSERT_TRUE(by_id) << by_id.error();
  EXPECT_EQ(by_id->id, "a");
  auto by_pid = run<supervisor_result<child_spec>>(childspec_by_pid, sup, child_pid(sup, "a"));
  ASSERT_TRUE(by_pid) << by_pid.error();
  EXPECT_EQ(by_pid->id, "a");
}

TEST_P(supervisor_await, which_children_and_count_children) {
  pid sup = start_sup({}, {w("a"), child_spec::supervisor("inner", {})});
  auto kids = run<supervisor_result<std::vector<child_info>>>(which, sup);
  ASSERT_TRUE(kids) << kids.error();
  ASSERT_EQ(kids->size(), 2u);
  EXPECT_EQ((*kids)[0].id, "a");
  EXPECT_EQ((*kids)[0].status, child_status::running);
  EXPECT_EQ((*kids)[1].kind, child_kind::supervisor);
  auto c = run<supervisor_result<child_counts>>(count, sup);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(*c, (child_counts{.specs = 2, .active = 2, .supervisors = 1, .workers = 1}));
}

TEST_P(supervisor_await, every_client_function_of_a_dead_supervisor_is_call_failed_noproc) {
  pid sup = start_sup({}, {w("a")});
  pid a = child_pid(sup, "a");
  box.monitor(sup);
  n.exit(sup, exit_reason::shutdown());
  ASSERT_TRUE(box.receive<down_msg>(1s));
  auto errors = run<std::vector<std::optional<err>>>(every_function, sup, a);
  ASSERT_EQ(errors.size(), 10u);
  for (const auto& e : errors) {
    ASSERT_TRUE(e) << "a call to a dead supervisor succeeded";
    EXPECT_EQ(e->which(), err::code::call_failed);
    EXPECT_EQ(e->reason(), exit_reason::noproc()) << *e;
  }
  EXPECT_TRUE(n.is_alive(client_));  // an error to handle, not a crash
}

TEST_P(supervisor_await, supervisor_that_does_not_answer_in_time_is_call_failed_timeout) {
  pid silent = n.spawn([](actor&, message&) {});  // takes calls, answers none
  auto r = run<supervisor_result<std::vector<child_info>>>(which_with_short_timeout, silent);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().which(), err::code::call_failed);
  EXPECT_TRUE(r.error().timed_out()) << r.error();
}
