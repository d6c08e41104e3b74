// The application controller's client functions awaited inside a behaviour: the same results
// and application_errors as from a plain thread (application(3): start/2 via
// ensure_all_started, stop/1, which_applications/0), and call_error noproc when the
// controller is not alive.
#include <gtest/gtest.h>

#include <any>
#include <bitactor/otp/application.hpp>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

using strings = std::vector<std::string>;

// A coroutine run inside the operator server for one call; it answers the caller itself.
// Scripts are plain functions (no captures), so nothing they use dies while they wait.
using script = async (*)(behaviour& self, from caller, const application_controller& apps);

struct run_script {
  script body;
  using reply = std::any;
};

/// A server that works the application controller from inside the node.
class operator_server : public gen_server {
 public:
  explicit operator_server(const application_controller* apps) : apps_(apps) {}

 protected:
  void handle_call(call_context& c) override {
    if (auto* r = c.get_if<run_script>()) r->body(*this, c.defer(), *apps_);
  }

 private:
  const application_controller* apps_;
};

template <class T>
void answer(behaviour& self, const from& caller, T value) {
  self.reply(caller, std::any(std::move(value)));
}

// What a failing client function said: the application_error's text, or the call_error's
// reason, or "no error".
struct failure {
  std::string kind;
  std::string text;
};

async start_web(behaviour& self, from caller, const application_controller& apps) {
  strings started = co_await apps.start(self, "web");
  answer(self, caller, std::move(started));
}
async start_web_permanent(behaviour& self, from caller, const application_controller& apps) {
  app_start_options opts{start_type::permanent, {{"port", std::int64_t{8080}}}};
  strings started = co_await apps.start(self, "web", opts);
  answer(self, caller, std::move(started));
}
async which(behaviour& self, from caller, const application_controller& apps) {
  std::vector<running_application> running = co_await apps.which_applications(self);
  answer(self, caller, std::move(running));
}
async db_running(behaviour& self, from caller, const application_controller& apps) {
  bool running = co_await apps.is_running(self, "db");
  answer(self, caller, running);
}
async stop_db(behaviour& self, from caller, const application_controller& apps) {
  failure f{"none", ""};
  try {
    co_await apps.stop(self, "db");
  } catch (const application_error& e) {
    f = {"application_error", e.what()};
  }
  answer(self, caller, f);
}
async stop_everything(behaviour& self, from caller, const application_controller& apps) {
  co_await apps.stop_all(self);
  answer(self, caller, true);
}
async start_missing(behaviour& self, from caller, const application_controller& apps) {
  failure f{"none", ""};
  try {
    co_await apps.start(self, "missing");
  } catch (const application_error& e) {
    f = {"application_error", e.what()};
  }
  answer(self, caller, f);
}
async which_of_dead_controller(behaviour& self, from caller, const application_controller& apps) {
  failure f{"none", ""};
  try {
    co_await apps.which_applications(self);
  } catch (const call_error& e) {
    f = {"call_error", e.reason().to_string()};
  }
  answer(self, caller, f);
}

class application_await : public ::testing::TestWithParam<scheduling_policy> {
 protected:
  node n{config_for(GetParam())};
  inbox box{n};
  application_controller apps{n};
  pid operator_ = start_operator();

  pid start_operator() {
    auto r = start<operator_server>(n, {}, &apps);
    EXPECT_TRUE(r.ok()) << r.to_string();
    return r.process;
  }
  application_spec app(std::string name, std::vector<std::string> deps = {}) {
    pid observer = box.self();
    application_spec spec;
    spec.name = name;
    spec.dependencies = std::move(deps);
    spec.top = [observer, name](const environment&) {
      return supervisor_spec{{}, {child_spec::worker<app_worker>("w", observer, name)}};
    };
    return spec;
  }
  template <class R>
  R run(script body) {
    return std::any_cast<R>(call(n, operator_, run_script{body}, 5s));
  }
  strings notes(std::size_t count) {
    strings out;
    for (std::size_t i = 0; i < count; ++i) {
      auto m = box.receive<note>(1s);
      out.push_back(m ? m->text : "<none>");
    }
    return out;
  }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(policies, application_await, both_policies, policy_name);

TEST_P(application_await, start_starts_dependencies_first_and_returns_what_it_started) {
  apps.load(app("db"));
  apps.load(app("web", {"db"}));
  EXPECT_EQ(run<strings>(start_web), (strings{"db", "web"}));
  EXPECT_EQ(notes(2), (strings{"start db", "start web"}));
  EXPECT_TRUE(run<bool>(db_running));
  auto running = run<std::vector<running_application>>(which);
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].name, "db");
  EXPECT_EQ(running[1].name, "web");
  EXPECT_TRUE(n.is_alive(running[1].top_supervisor));
  EXPECT_EQ(run<strings>(start_web), strings{});  // already running: nothing to do
}

TEST_P(application_await, start_with_options_gives_the_type_and_the_overrides) {
  apps.load(app("db"));
  apps.load(app("web", {"db"}));
  EXPECT_EQ(run<strings>(start_web_permanent), (strings{"db", "web"}));
  auto running = run<std::vector<running_application>>(which);
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].type, start_type::permanent);  // dependencies get the same type
  EXPECT_EQ(apps.get_env<std::int64_t>("web", "port", 0), 8080);
  EXPECT_FALSE(apps.get_env("db", "port"));  // only the named application gets overrides
}

TEST_P(application_await, start_of_an_application_that_is_not_loaded_throws_application_error) {
  auto f = run<failure>(start_missing);
  EXPECT_EQ(f.kind, "application_error");
  EXPECT_EQ(f.text, "application 'missing' is not loaded");
  EXPECT_TRUE(n.is_alive(operator_));  // an error to handle, not a crash
}

TEST_P(application_await, stop_stops_one_application_and_a_second_stop_is_an_error) {
  apps.load(app("db"));
  apps.load(app("web", {"db"}));
  run<strings>(start_web);
  notes(2);
  EXPECT_EQ(run<failure>(stop_db).kind, "none");
  EXPECT_EQ(notes(1), strings{"stop db"});
  EXPECT_FALSE(run<bool>(db_running));
  auto again = run<failure>(stop_db);
  EXPECT_EQ(again.kind, "application_error");
  EXPECT_EQ(again.text, "application 'db' is not running");
}

TEST_P(application_await, stop_all_stops_in_reverse_start_order) {
  apps.load(app("db"));
  apps.load(app("web", {"db"}));
  run<strings>(start_web);
  notes(2);
  EXPECT_TRUE(run<bool>(stop_everything));
  EXPECT_EQ(notes(2), (strings{"stop web", "stop db"}));
  EXPECT_TRUE(run<std::vector<running_application>>(which).empty());
}

TEST_P(application_await, client_function_of_a_dead_controller_throws_call_error_noproc) {
  box.monitor(apps.process());
  n.exit(apps.process(), exit_reason::kill());
  ASSERT_TRUE(box.receive<down_msg>(1s));
  auto f = run<failure>(which_of_dead_controller);
  EXPECT_EQ(f.kind, "call_error");
  EXPECT_EQ(f.text, "noproc");
}
