// Structured reports (OTP kernel "Logging": crash, supervisor, progress reports): fields are
// terms, one text rendering, one JSON rendering, routed to the sinks whose level they reach.
#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/json_lines_sink.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/term/match.hpp>
#include <bitactor/term/parse.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <thread>

using namespace bitactor::otp;
namespace term = bitactor::term;
using namespace std::chrono_literals;

namespace {
const bitactor::pid sup_pid{0, 3, 1, 0};

report sample() {
  report r;
  r.type = report::kind::supervisor;
  r.level = report_level::error;
  r.add("supervisor", bitactor::to_term_pid(sup_pid)).add("child", term::atom("kv"));
  r.add("reason", term::parse("{badarg,[1,2]}")).add("action", term::atom("restarting"));
  return r;
}

report progress() {
  report r;
  r.type = report::kind::progress;
  r.level = report_level::info;
  r.add("child", term::atom("kv"));
  return r;
}

// Each test leaves the default sink as it found it.
struct default_level_swap {
  report_level saved = default_sink_level();
  explicit default_level_swap(report_level l) { set_default_sink_level(l); }
  ~default_level_swap() { set_default_sink_level(saved); }
};
}  // namespace

TEST(report, fields_are_terms_found_by_name) {
  report r = sample();
  const term::term* who = r.find("supervisor");
  ASSERT_NE(who, nullptr);
  ASSERT_TRUE(who->is_pid());
  EXPECT_EQ(bitactor::from_term_pid(who->as_pid()), sup_pid);
  EXPECT_TRUE(r.find("action")->is_atom("restarting"));
  std::int64_t first = 0;
  EXPECT_TRUE(term::match(*r.find("reason"),
                          term::tuple(term::atom("badarg"), term::list(term::bind(first), 2))));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(r.find("no_such_field"), nullptr);
}

TEST(report, text_of_a_field_is_the_term_as_erl_prints_it) {
  report r = sample();
  EXPECT_EQ(r.text("supervisor"), "<nonode@nohost.3.1>");
  EXPECT_EQ(r.text("reason"), "{badarg,[1,2]}");
  EXPECT_EQ(r.text("no_such_field"), "");
}

TEST(report, names_are_atoms_unless_they_cannot_be) {
  EXPECT_TRUE(name_term("kv").is_atom("kv"));
  EXPECT_TRUE(name_term(std::string(300, 'x')).is_binary());
}

TEST(report, text_rendering_lists_fields_in_order_under_a_title) {
  EXPECT_EQ(format_report(sample()),
            "SUPERVISOR REPORT\n    supervisor: <nonode@nohost.3.1>\n    child: kv\n"
            "    reason: {badarg,[1,2]}\n    action: restarting");
}

TEST(report, json_rendering_writes_integers_as_numbers_and_other_terms_as_erl_text) {
  report r = sample();
  r.add("messages_handled", 6).add("actor_type", term::binary("kv_server"));
  auto j = nlohmann::json::parse(report_to_json(r));
  EXPECT_EQ(j["kind"], "supervisor");
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["supervisor"], "<nonode@nohost.3.1>");
  EXPECT_EQ(j["child"], "kv");
  EXPECT_EQ(j["reason"], "{badarg,[1,2]}");
  EXPECT_EQ(j["messages_handled"], 6);
  EXPECT_EQ(j["actor_type"], "<<\"kv_server\">>");
  EXPECT_EQ(report_to_json(r).find("{\"kind\":\"supervisor\",\"level\":\"error\","), 0u)
      << "kind and level first, then the fields in order";
}

TEST(report, a_crash_report_carries_the_pid_and_the_reason_term) {
  report_capture capture;
  bitactor::node n;
  bitactor::inbox box(n);
  bitactor::pid p = n.spawn([](bitactor::actor& self, bitactor::message& m) {
    if (auto* to = m.get_if<bitactor::pid>()) {
      log_crash_report(self, bitactor::exit_reason::error(
                                 term::tuple(term::atom("bad_config"), term::atom("port"))));
      self.send(*to, 1);  // after the report: the capture holds it when this arrives
    }
  });
  n.send(p, box.self());
  ASSERT_TRUE(box.receive<int>(5s));
  auto crashes = capture.of_kind(report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  const report& r = crashes[0];
  EXPECT_EQ(*r.find("process"), term::term(bitactor::to_term_pid(p)));
  term::atom what;
  EXPECT_TRUE(
      term::match(*r.find("reason"), term::tuple(term::atom("bad_config"), term::bind(what))));
  EXPECT_EQ(what, term::atom("port"));
  ASSERT_NE(r.find("messages_handled"), nullptr);
  EXPECT_TRUE(r.find("messages_handled")->is_integer());
  EXPECT_TRUE(r.find("links")->is_list());
  EXPECT_TRUE(r.find("actor_type")->is_binary());
  EXPECT_EQ(r.find("exception"), nullptr) << "no exception escaped";
}

TEST(report, an_exception_reason_adds_its_type_and_text_as_a_binary) {
  report_capture capture;
  bitactor::node n;
  bitactor::inbox box(n);
  bitactor::pid p = n.spawn([](bitactor::actor& self, bitactor::message& m) {
    if (auto* to = m.get_if<bitactor::pid>()) {
      log_crash_report(self, bitactor::exit_reason::exception("std::runtime_error", "boom"));
      self.send(*to, 1);
    }
  });
  n.send(p, box.self());
  ASSERT_TRUE(box.receive<int>(5s));
  auto crashes = capture.of_kind(report::kind::crash);
  ASSERT_EQ(crashes.size(), 1u);
  const term::term* e = crashes[0].find("exception");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->is_binary());
  EXPECT_EQ(e->as_binary_view(), "std::runtime_error: boom");
}

TEST(report, capture_sees_every_logged_report_as_data) {
  report_capture capture;
  log_report(sample());
  ASSERT_EQ(capture.of_kind(report::kind::supervisor).size(), 1u);
  EXPECT_TRUE(capture.reports()[0].find("action")->is_atom("restarting"));
  EXPECT_TRUE(capture.of_kind(report::kind::crash).empty());
}

TEST(report, default_sink_writes_text_to_stderr_from_its_minimum_level) {
  default_level_swap swap(report_level::warning);
  ::testing::internal::CaptureStderr();
  log_report(progress());  // info: below warning
  log_report(sample());    // error
  std::string text = ::testing::internal::GetCapturedStderr();
  const std::string body = "[bitactor.otp] [error] " + format_report(sample()) + "\n";
  ASSERT_GE(text.size(), body.size());
  EXPECT_EQ(text.substr(text.size() - body.size()), body) << text;
  EXPECT_EQ(text.find('['), 0u) << "a timestamp first";
  EXPECT_EQ(text.find("REPORT"), text.rfind("REPORT")) << "one report: " << text;
}

TEST(report, default_sink_level_none_turns_it_off) {
  default_level_swap swap(report_level::none);
  ::testing::internal::CaptureStderr();
  log_report(sample());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(report, report_wanted_follows_the_sinks_minimum_levels) {
  default_level_swap swap(report_level::none);
  EXPECT_FALSE(report_wanted(report_level::error));
  std::size_t id = add_report_sink([](const report&) {}, report_level::warning);
  EXPECT_TRUE(report_wanted(report_level::error));
  EXPECT_TRUE(report_wanted(report_level::warning));
  EXPECT_FALSE(report_wanted(report_level::info));
  remove_report_sink(id);
  EXPECT_FALSE(report_wanted(report_level::error));
  set_default_sink_level(report_level::info);
  EXPECT_TRUE(report_wanted(report_level::info));
}

TEST(report, a_sink_receives_only_reports_of_its_minimum_level_or_more) {
  std::vector<report::kind> seen;
  std::size_t id =
      add_report_sink([&seen](const report& r) { seen.push_back(r.type); }, report_level::error);
  log_report(progress());
  log_report(sample());
  remove_report_sink(id);
  log_report(sample());
  EXPECT_EQ(seen, std::vector<report::kind>{report::kind::supervisor});
}

TEST(report, adding_no_sink_is_refused) {
  EXPECT_THROW(add_report_sink(std::shared_ptr<report_sink>()), std::invalid_argument);
  EXPECT_THROW(add_report_sink(std::function<void(const report&)>()), std::invalid_argument);
  EXPECT_FALSE(report_wanted(report_level::debug));
}

TEST(report, json_lines_sink_writes_one_object_per_report) {
  std::string path = ::testing::TempDir() + "otp_reports.jsonl";
  {
    std::size_t id = add_report_sink(std::make_shared<json_lines_sink>(path, true));
    log_report(sample());
    log_report(progress());
    remove_report_sink(id);  // the last owner: closes the file
  }
  std::ifstream in(path);
  std::string line1, line2, line3;
  ASSERT_TRUE(std::getline(in, line1) && std::getline(in, line2));
  EXPECT_FALSE(std::getline(in, line3));
  EXPECT_EQ(line1, report_to_json(sample()));
  EXPECT_EQ(nlohmann::json::parse(line1)["action"], "restarting");
  EXPECT_EQ(nlohmann::json::parse(line2)["kind"], "progress");
  std::remove(path.c_str());
}

TEST(report, json_lines_sink_that_cannot_open_its_file_throws) {
  EXPECT_THROW(json_lines_sink("/nonexistent-dir/reports.jsonl"), std::system_error);
}

// A report being written on one thread while another removes a sink (report_capture's
// destructor): the write that had started finishes on state that lives on.
TEST(report, a_sink_removed_while_a_report_is_in_flight_finishes_that_report) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // Added first, so it is written to before the capture.
  std::size_t gate = add_report_sink([&entered, released](const report&) {
    entered.set_value();
    released.wait_for(5s);
  });
  auto capture = std::make_unique<report_capture>();
  std::thread logger([] { log_report(sample()); });
  ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);
  capture.reset();  // removes its sink while log_report holds it
  release.set_value();
  logger.join();
  remove_report_sink(gate);
  EXPECT_FALSE(report_wanted(report_level::debug));
}

TEST(report, a_long_handler_is_reported_with_its_pid_name_and_message_type) {
  struct crunch {
    std::chrono::milliseconds for_how_long;
  };
  bitactor::node n{bitactor::node_config::deterministic(1)};
  default_level_swap quiet(report_level::none);
  report_capture capture;
  bitactor::pid worker = n.spawn([](bitactor::actor&, bitactor::message& m) {
    if (auto* c = m.get_if<crunch>()) {
      // The work of a long handler: spin, not a wait for another thread.
      const auto until = std::chrono::steady_clock::now() + c->for_how_long;
      while (std::chrono::steady_clock::now() < until) {
      }
    }
  });
  n.register_name("cruncher", worker);
  report_long_handlers(n, 5ms);
  n.send(worker, crunch{1ms});
  n.send(worker, crunch{20ms});
  n.run_until_idle();
  auto seen = capture.of_kind(report::kind::long_handler);
  ASSERT_EQ(seen.size(), 1U) << "only the call past the threshold is reported";
  const report& r = seen[0];
  EXPECT_EQ(r.level, report_level::warning);
  ASSERT_NE(r.find("process"), nullptr);
  EXPECT_EQ(*r.find("process"), term::term(bitactor::to_term_pid(worker)));
  EXPECT_EQ(*r.find("registered_name"), term::atom("cruncher"));
  EXPECT_NE(r.text("handling").find("crunch"), std::string::npos) << r.text("handling");
  ASSERT_TRUE(r.find("running_for_us") != nullptr && r.find("running_for_us")->is_integer());
  EXPECT_GE(r.find("running_for_us")->as_int(), 20000);
  EXPECT_EQ(*r.find("status"), term::atom("finished"));
  EXPECT_EQ(format_report(r).rfind("LONG HANDLER REPORT", 0), 0U);
}
