// application as OTP 25's application(3) defines it: dependencies started first, stop in
// reverse order, start types and their effect on the node, the environment and its config
// file (sys.config's role, in TOML), and application reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <bitactor/otp/application.hpp>
#include <bitactor/otp/report.hpp>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp_test_support.hpp"

using namespace bitactor;
using namespace bitactor::otp;
using namespace bitactor::otp::test;

namespace {

/// A worker whose init fails.
class broken : public gen_server {
 protected:
  void init() override { stop(exit_reason::error("no_database")); }
};

struct fixture {
  node n{deterministic()};
  inbox box{n};
  application_controller apps{n};

  application_spec app(std::string name, std::vector<std::string> deps = {}) {
    pid observer = box.self();
    return application_spec{
        .name = name,
        .description = "test application " + name,
        .version = "1.0",
        .dependencies = std::move(deps),
        .env = {},
        .top = [observer, name](const environment&) {
          return supervisor_spec{{}, {child_spec::worker<app_worker>("w", observer, name)}};
        }};
  }
  std::vector<std::string> notes() {
    n.run_until_idle();
    std::vector<std::string> out;
    while (auto got = box.receive<note>(0ms)) out.push_back(got->text);
    return out;
  }
  pid top_of(const std::string& name) {
    for (const auto& a : apps.which_applications()) {
      if (a.name == name) return a.top_supervisor;
    }
    return {};
  }
};

using strings = std::vector<std::string>;

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

// --- start and stop ---------------------------------------------------------------------------

TEST(application, start_starts_dependencies_first_and_returns_what_it_started) {
  fixture f;
  f.apps.load(f.app("db"));
  f.apps.load(f.app("cache", {"db"}));
  f.apps.load(f.app("web", {"db", "cache"}));
  EXPECT_EQ(f.apps.start("web"), (strings{"db", "cache", "web"}));
  EXPECT_EQ(f.notes(), (strings{"start db", "start cache", "start web"}));
  EXPECT_TRUE(f.apps.is_running("cache"));
  EXPECT_EQ(f.apps.start("web"), strings{});  // already running: nothing to do
}

TEST(application, start_fails_clearly_when_a_dependency_is_not_loaded) {
  fixture f;
  f.apps.load(f.app("web", {"db"}));
  try {
    f.apps.start("web");
    FAIL() << "start succeeded";
  } catch (const application_error& e) {
    EXPECT_STREQ(e.what(),
                 "cannot start application 'web': it depends on 'db', which is not loaded");
  }
  EXPECT_FALSE(f.apps.is_running("web"));
}

TEST(application, start_of_an_application_that_is_not_loaded_fails) {
  fixture f;
  EXPECT_THROW(f.apps.start("nothing"), application_error);
}

TEST(application, dependency_cycle_is_refused) {
  fixture f;
  f.apps.load(f.app("a", {"b"}));
  f.apps.load(f.app("b", {"a"}));
  try {
    f.apps.start("a");
    FAIL() << "start succeeded";
  } catch (const application_error& e) {
    EXPECT_NE(std::string(e.what()).find("a -> b -> a"), std::string::npos) << e.what();
  }
}

TEST(application, loading_the_same_name_twice_is_an_error) {
  fixture f;
  f.apps.load(f.app("a"));
  EXPECT_THROW(f.apps.load(f.app("a")), application_error);
}

TEST(application, failed_top_supervisor_start_is_an_error_naming_the_application) {
  fixture f;
  application_spec store;
  store.name = "store";
  store.top = [](const environment&) {
    return supervisor_spec{{}, {child_spec::worker<broken>("conn")}};
  };
  f.apps.load(std::move(store));
  try {
    f.apps.start("store");
    FAIL() << "start succeeded";
  } catch (const application_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("application 'store' failed to start"), std::string::npos) << what;
    EXPECT_NE(what.find("no_database"), std::string::npos) << what;
  }
  EXPECT_FALSE(f.apps.is_running("store"));
}

TEST(application, top_function_that_throws_is_an_error_and_the_controller_keeps_serving) {
  fixture f;
  application_spec bad;
  bad.name = "bad";
  bad.top = [](const environment&) -> supervisor_spec { throw std::runtime_error("no config"); };
  application_spec odd;
  odd.name = "odd";
  odd.top = [](const environment&) -> supervisor_spec { throw 42; };  // not a std::exception
  f.apps.load(std::move(bad));
  f.apps.load(std::move(odd));
  f.apps.load(f.app("good"));
  try {
    f.apps.start("bad");
    FAIL() << "start succeeded";
  } catch (const application_error& e) {
    EXPECT_STREQ(e.what(), "application 'bad': its top function failed: no config");
  }
  try {
    f.apps.start("odd");
    FAIL() << "start succeeded";
  } catch (const application_error& e) {
    EXPECT_STREQ(e.what(), "application 'odd': its top function failed");
  }
  EXPECT_EQ(f.apps.start("good"), strings{"good"});  // the top function runs in the controller
}

TEST(application, stop_stops_only_that_application) {
  fixture f;
  f.apps.load(f.app("db"));
  f.apps.load(f.app("web", {"db"}));
  f.apps.start("web");
  f.notes();
  f.apps.stop("db");  // as in OTP, applications depending on it are not stopped
  EXPECT_EQ(f.notes(), strings{"stop db"});
  EXPECT_TRUE(f.apps.is_running("web"));
  EXPECT_THROW(f.apps.stop("db"), application_error);
}

TEST(application, stop_all_stops_in_reverse_start_order) {
  fixture f;
  f.apps.load(f.app("db"));
  f.apps.load(f.app("cache", {"db"}));
  f.apps.load(f.app("web", {"cache"}));
  f.apps.start("web");
  f.notes();
  f.apps.stop_all();
  EXPECT_EQ(f.notes(), (strings{"stop web", "stop cache", "stop db"}));
  EXPECT_TRUE(f.apps.which_applications().empty());
}

// --- start types (application:start/2) ------------------------------------------------------

TEST(application, temporary_application_exit_is_only_reported) {
  fixture f;
  report_capture reports;
  f.apps.load(f.app("a"));
  f.apps.load(f.app("tmp"));
  f.apps.start("a", {.type = start_type::permanent, .overrides = {}});
  f.apps.start("tmp", {.type = start_type::temporary, .overrides = {}});
  f.n.exit(f.top_of("tmp"), exit_reason::kill());
  f.n.run_until_idle();
  EXPECT_FALSE(f.apps.is_running("tmp"));
  EXPECT_TRUE(f.apps.is_running("a"));
  EXPECT_FALSE(f.apps.run_until_stopped(100ms));  // the node keeps running
  bool reported = false;
  for (const auto& r : reports.of_kind(report::kind::application)) {
    if (r.find("application")->is_atom("tmp") && r.find("status")->is_atom("exited")) {
      reported = true;
      EXPECT_TRUE(r.find("reason")->is_atom("killed"));
      EXPECT_TRUE(r.find("type")->is_atom("temporary"));
    }
  }
  EXPECT_TRUE(reported);
}

TEST(application, permanent_application_exit_stops_the_other_applications_and_the_node) {
  fixture f;
  f.apps.load(f.app("a"));
  f.apps.load(f.app("perm"));
  f.apps.start("a");
  f.apps.start("perm", {.type = start_type::permanent, .overrides = {}});
  f.notes();
  f.n.exit(f.top_of("perm"), exit_reason::kill());
  auto why = f.apps.run_until_stopped(1s);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->to_string(), "{application_terminated,perm,killed}");
  EXPECT_TRUE(f.n.processes().empty());
}

TEST(application, transient_application_abnormal_exit_stops_the_other_applications) {
  fixture f;
  f.apps.load(f.app("a"));
  f.apps.load(f.app("tr"));
  f.apps.start("a");
  f.apps.start("tr", {.type = start_type::transient, .overrides = {}});
  f.notes();
  f.n.exit(f.top_of("tr"), exit_reason::kill());
  f.n.run_until_idle();
  auto notes = f.notes();  // "a" was shut down before the node stops
  EXPECT_NE(std::find(notes.begin(), notes.end(), "stop a"), notes.end());
  EXPECT_TRUE(f.apps.which_applications().empty());
  auto why = f.apps.run_until_stopped(1s);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->to_string(), "{application_terminated,tr,killed}");
}

TEST(application, stopping_a_permanent_application_does_not_stop_the_node) {
  fixture f;
  f.apps.load(f.app("perm"));
  f.apps.start("perm", {.type = start_type::permanent, .overrides = {}});
  f.apps.stop("perm");
  EXPECT_FALSE(f.apps.run_until_stopped(100ms));
}

TEST(application, start_and_exit_are_reported) {
  fixture f;
  report_capture reports;
  f.apps.load(f.app("a"));
  f.apps.start("a", {.type = start_type::transient, .overrides = {}});
  f.apps.stop("a");
  auto got = reports.of_kind(report::kind::application);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].find("status")->is_atom("started"));
  EXPECT_TRUE(got[0].find("type")->is_atom("transient"));
  EXPECT_TRUE(got[1].find("status")->is_atom("exited"));
  EXPECT_TRUE(got[1].find("reason")->is_atom("stopped"));
}

// --- environment ------------------------------------------------------------------------------

TEST(application, environment_layers_defaults_config_set_env_and_start_overrides) {
  fixture f;
  environment seen;
  application_spec spec;
  spec.name = "chat";
  spec.env = {
      {"port", std::int64_t{1}}, {"motd", std::string("hi")}, {"debug", false}, {"ratio", 0.5}};
  spec.top = [&seen](const environment& env) {
    seen = env;
    return supervisor_spec{};
  };
  f.apps.load(std::move(spec));
  f.apps.load_config(config{{"chat", {{"port", std::int64_t{2}}, {"motd", std::string("cfg")}}}});
  f.apps.set_env("chat", "port", std::int64_t{3});
  f.apps.start("chat", {.type = start_type::temporary, .overrides = {{"debug", true}}});
  EXPECT_EQ(f.apps.get_env<std::int64_t>("chat", "port", 0), 3);
  EXPECT_EQ(f.apps.get_env<std::string>("chat", "motd", ""), "cfg");
  EXPECT_EQ(f.apps.get_env<bool>("chat", "debug", false), true);
  EXPECT_EQ(f.apps.get_env<double>("chat", "ratio", 0.0), 0.5);
  EXPECT_EQ(seen, f.apps.get_all_env("chat"));  // the top function saw the same values
  EXPECT_FALSE(f.apps.get_env("chat", "missing"));
  EXPECT_EQ(f.apps.get_env<std::string>("chat", "port", "wrong type"), "wrong type");
}

TEST(application, config_file_has_one_table_per_application_and_nested_tables_as_dotted_keys) {
  auto path = write_file("app_ok.toml", R"(# sys.config for the test
[chat]
port = 4000
motd = "welcome"
[chat.limits]
rooms = 10
[store]
sync = true
)");
  config c = read_config_file(path);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c["chat"]["port"], env_value(std::int64_t{4000}));
  EXPECT_EQ(c["chat"]["limits.rooms"], env_value(std::int64_t{10}));
  EXPECT_EQ(c["store"]["sync"], env_value(true));
  fixture f;
  f.apps.load_config(path);
  EXPECT_EQ(f.apps.get_env<std::string>("chat", "motd", ""), "welcome");
}

TEST(application, bad_config_file_error_names_the_file_and_line) {
  auto path = write_file("app_bad.toml", "[chat]\nport = 4000\nmotd = \n");
  try {
    read_config_file(path);
    FAIL() << "parsed";
  } catch (const config_file_error& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(std::string(e.what()).rfind(path + ":3: ", 0), 0u) << e.what();
  }
}

TEST(application, config_value_outside_an_application_table_is_an_error_naming_its_line) {
  try {
    parse_config("\nport = 1\n", "sys.toml");
    FAIL() << "parsed";
  } catch (const config_file_error& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(std::string(e.what()).find("'port' is not an application table"), std::string::npos)
        << e.what();
  }
}

TEST(application, config_array_value_is_refused_with_its_key) {
  try {
    parse_config("[chat]\nrooms = [1, 2]\n", "sys.toml");
    FAIL() << "parsed";
  } catch (const config_file_error& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(std::string(e.what()).find("chat.rooms"), std::string::npos) << e.what();
  }
}

TEST(application, missing_config_file_is_an_error_naming_the_file) {
  try {
    read_config_file("/nonexistent/app.toml");
    FAIL() << "read";
  } catch (const config_file_error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/app.toml: cannot open the config file");
  }
}
