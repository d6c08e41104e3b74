#pragma once
// What the supervisor test files share: observed workers and fixtures that run a case under
// both scheduler policies (supervisor_both) or the deterministic one (supervisor_vt).
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <string>
#include <thread>
#include <vector>

#include "otp_test_support.hpp"

namespace bitactor::otp::test {

struct die {
  exit_reason reason;
};

/// A worker that tells the observer when it starts and stops.
class worker : public gen_server {
 public:
  worker(pid observer, std::string name) : observer_(observer), name_(std::move(name)) {}

 protected:
  void init() override {
    trap_exit(true);  // so terminate runs on shutdown
    send(observer_, note{"start " + name_});
  }
  void handle_cast(message& m) override {
    if (auto* d = m.get_if<die>()) stop(d->reason);
  }
  void terminate(const exit_reason&) override { send(observer_, note{"stop " + name_}); }

 private:
  pid observer_;
  std::string name_;
};

/// A worker whose init fails.
class broken : public gen_server {
 protected:
  void init() override { stop(exit_reason::error("no_database")); }
};

/// A plain process that traps exits and ignores the supervisor's shutdown.
struct stubborn : actor {
  void on_start() override { trap_exit(true); }
  void handle(message&) override {}
};

/// A worker whose init fails while *failing is set, and counts its start attempts; it
/// notes "start <name>" when it starts.
class flaky : public gen_server {
 public:
  flaky(pid observer, std::string name, std::atomic<bool>* failing, std::atomic<int>* attempts)
      : observer_(observer), name_(std::move(name)), failing_(failing), attempts_(attempts) {}

 protected:
  void init() override {
    attempts_->fetch_add(1);
    if (failing_->load()) {
      stop(exit_reason::error("flaky"));
      return;
    }
    send(observer_, note{"start " + name_});
  }
  void handle_cast(message& m) override {
    if (auto* d = m.get_if<die>()) stop(d->reason);
  }

 private:
  pid observer_;
  std::string name_;
  std::atomic<bool>* failing_;
  std::atomic<int>* attempts_;
};

/// A worker whose init answers ignore from its second start on (*starts counts them).
class ignore_after_first : public gen_server {
 public:
  explicit ignore_after_first(std::atomic<int>* starts) : starts_(starts) {}

 protected:
  void init() override {
    if (starts_->fetch_add(1) > 0) ignore();
  }
  void handle_cast(message& m) override {
    if (auto* d = m.get_if<die>()) stop(d->reason);
  }

 private:
  std::atomic<int>* starts_;
};

/// A worker whose init always answers ignore.
class ignorer : public gen_server {
 protected:
  void init() override { ignore(); }
};

/// A server that does nothing: a child that costs only its start and stop.
class idle : public gen_server {};

struct sup_fixture {
  node n;
  inbox box{n};
  report_capture reports;

  explicit sup_fixture(node_config cfg) : n(std::move(cfg)) {}

  child_spec w(const std::string& id) { return child_spec::worker<worker>(id, box.self(), id); }

  pid start_sup(supervisor_flags flags, std::vector<child_spec> children) {
    auto r = start_supervisor(n, supervisor_spec{flags, std::move(children)});
    EXPECT_TRUE(r.ok()) << r.to_string();
    return r.process;
  }
  std::vector<std::string> notes(std::size_t count) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
      auto m = box.receive<note>(1s);
      out.push_back(m ? m->text : "<none>");
    }
    return out;
  }
  bool quiet() { return !box.receive<note>(100ms); }
  std::vector<child_info> children(const pid& sup) { return which_children(n, sup).value(); }
  child_counts counts(const pid& sup) { return count_children(n, sup).value(); }
  pid child_pid(const pid& sup, const std::string& id) {
    for (auto& c : children(sup)) {
      if (c.id == id) return c.process;
    }
    return {};
  }
  /// Asks until pred() holds (each ask is a call the supervisor answers in its turn), for
  /// state that follows a child's exit the test cannot wait on directly; false after 2 s.
  template <class Pred>
  bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }
  void crash(const pid& sup, const std::string& id, exit_reason r = exit_reason::error("boom")) {
    cast(n, child_pid(sup, id), die{std::move(r)});
  }
};

/// Every case of this suite runs under both scheduler policies.
class supervisor_both : public ::testing::TestWithParam<scheduling_policy>, public sup_fixture {
 public:
  supervisor_both() : sup_fixture(config_for(GetParam())) {}
};

/// Cases that need virtual time or run_until_idle: the deterministic policy only.
class supervisor_vt : public ::testing::Test, public sup_fixture {
 public:
  supervisor_vt() : sup_fixture(deterministic()) {}
};

using strings = std::vector<std::string>;

}  // namespace bitactor::otp::test
