// The start handshake and the end of a behaviour (OTP: proc_lib), written once in behaviour
// and shared by gen_server and gen_statem: each case runs against both.

#include <gtest/gtest.h>

#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/gen_statem.hpp>
#include <bitactor/otp/report.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "otp_test_support.hpp"

namespace bitactor::otp::test {
namespace {

/// What a subject does at each step of its life.
struct script {
  pid observer;
  bool throw_in_init = false;
  bool throw_in_terminate = false;
  bool trap = false;
};
struct crash_now {};
struct stop_now {
  exit_reason reason;
};

void run_init(actor& self, const script& s) {
  if (s.trap) self.trap_exit(true);
  if (s.throw_in_init) throw std::invalid_argument("bad config");
}
void run_terminate(actor& self, const script& s, const exit_reason& r) {
  self.send(s.observer, note{"terminate " + r.to_string()});
  if (s.throw_in_terminate) throw std::runtime_error("terminate failed");
}

class server_subject : public gen_server {
 public:
  explicit server_subject(script s) : s_(std::move(s)) {}

 protected:
  void init() override { run_init(*this, s_); }
  void handle_cast(message& m) override {
    if (m.is<crash_now>()) throw std::length_error("crashed");
    if (auto* st = m.get_if<stop_now>()) stop(st->reason);
  }
  void terminate(const exit_reason& r) override { run_terminate(*this, s_, r); }

 private:
  script s_;
};

class statem_subject : public gen_statem {
 public:
  explicit statem_subject(script s) : s_(std::move(s)) {}

 protected:
  void init() override {
    run_init(*this, s_);
    start_in("only");
  }
  void handle_event(event& e) override {
    if (e.get_if<crash_now>()) throw std::length_error("crashed");
    if (auto* st = e.get_if<stop_now>()) stop(st->reason);
  }
  void terminate(const exit_reason& r) override { run_terminate(*this, s_, r); }

 private:
  script s_;
};

template <class Subject>
class proc_lib : public ::testing::Test {
 protected:
  node n{deterministic()};
  inbox box{n};

  start_result start_subject(script s, std::string name = {}) {
    s.observer = box.self();
    return start<Subject>(n, {.name = std::move(name)}, std::move(s));
  }
  std::string next_note() {
    auto m = box.receive<note>(1s);
    return m ? m->text : "(no note)";
  }
  /// Sends `m` to a running subject and returns the reason it then exits with.
  template <class T>
  exit_reason exit_after(const pid& p, T m) {
    ref mon = box.monitor(p);
    n.send(p, std::move(m));
    while (auto d = box.receive<down_msg>(1s)) {
      if (d->monitor == mon) return d->reason;
    }
    ADD_FAILURE() << "no DOWN from " << p;
    return exit_reason::normal();
  }
  template <class T>
  static cast_request cast_of(T value) {
    return cast_request{message_ptr(make_message<T>(std::move(value)))};
  }
};

using subjects = ::testing::Types<server_subject, statem_subject>;
struct subject_name {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, server_subject> ? "gen_server" : "gen_statem";
  }
};
TYPED_TEST_SUITE(proc_lib, subjects, subject_name);

TYPED_TEST(proc_lib, a_taken_name_answers_already_started_with_the_holder) {
  auto first = this->start_subject({}, "taken");
  ASSERT_TRUE(first.ok());
  auto second = this->start_subject({}, "taken");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.reason.as_term(),
            term::tuple(term::atom("already_started"), to_term_pid(first.process)));
  EXPECT_EQ(this->n.whereis("taken"), first.process);
}

TYPED_TEST(proc_lib, an_exception_in_init_fails_the_start_with_its_type_and_no_terminate) {
  auto r = this->start_subject({.observer = {}, .throw_in_init = true}, "named");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason.code(), exit_reason::kind::exception);
  EXPECT_NE(r.reason.to_string().find("std::invalid_argument"), std::string::npos)
      << r.reason.to_string();
  EXPECT_FALSE(this->n.whereis("named")) << "the name is freed with the process";
  EXPECT_FALSE(this->box.template receive<note>(0ms)) << "terminate ran after a failed init";
}

TYPED_TEST(proc_lib, a_crash_runs_terminate_counts_as_a_crash_and_logs_a_crash_report) {
  report_capture reports;
  auto r = this->start_subject({});
  ASSERT_TRUE(r.ok());
  const std::uint64_t crashed_before = this->n.counters().crashed;
  exit_reason why = this->exit_after(r.process, this->cast_of(crash_now{}));
  EXPECT_NE(why.to_string().find("std::length_error"), std::string::npos) << why.to_string();
  EXPECT_EQ(this->next_note(), "terminate " + why.to_string());
  EXPECT_EQ(this->n.counters().crashed, crashed_before + 1);
  EXPECT_EQ(reports.of_kind(report::kind::crash).size(), 1U);
}

TYPED_TEST(proc_lib, an_exception_in_terminate_replaces_the_reason_keeping_its_type) {
  report_capture reports;
  auto r =
      this->start_subject({.observer = {}, .throw_in_init = false, .throw_in_terminate = true});
  ASSERT_TRUE(r.ok());
  exit_reason why = this->exit_after(r.process, this->cast_of(stop_now{exit_reason::shutdown()}));
  EXPECT_EQ(this->next_note(), "terminate shutdown");
  EXPECT_EQ(why.code(), exit_reason::kind::exception);
  EXPECT_NE(why.to_string().find("std::runtime_error"), std::string::npos) << why.to_string();
  EXPECT_EQ(reports.of_kind(report::kind::crash).size(), 1U)
      << "the new reason is not clean: it is reported";
}

TYPED_TEST(proc_lib, a_clean_stop_logs_no_crash_report) {
  report_capture reports;
  auto r = this->start_subject({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(this->exit_after(r.process, this->cast_of(stop_now{exit_reason::normal()})),
            exit_reason::normal());
  EXPECT_EQ(this->next_note(), "terminate normal");
  EXPECT_TRUE(reports.of_kind(report::kind::crash).empty());
}

TYPED_TEST(proc_lib, an_exit_from_the_parent_while_trapping_ends_it_with_that_reason) {
  auto r = this->start_subject(
      {.observer = {}, .throw_in_init = false, .throw_in_terminate = false, .trap = true});
  ASSERT_TRUE(r.ok());
  // Started from a thread, the parent is "no process": node::exit stands for it.
  ref mon = this->box.monitor(r.process);
  this->n.exit(r.process, exit_reason::shutdown("upgrade"));
  auto down = this->box.template receive<down_msg>(1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->monitor, mon);
  EXPECT_EQ(down->reason, exit_reason::shutdown("upgrade"));
  EXPECT_EQ(this->next_note(), "terminate {shutdown,upgrade}");
}

}  // namespace
}  // namespace bitactor::otp::test
