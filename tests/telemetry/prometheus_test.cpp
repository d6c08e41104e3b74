// Prometheus's text exposition format: the exact text for a small registry, escaping, the
// spelling of numbers, and a real `promtool check metrics` accepting the output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bitactor/telemetry/metrics.hpp>
#include <bitactor/telemetry/prometheus.hpp>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace telemetry = bitactor::telemetry;
namespace prometheus = bitactor::telemetry::prometheus;
using telemetry::family_sample;
using telemetry::metric_type;

namespace {
/// A registry with one family of each type, values exact in binary.
void fill(telemetry::registry& r) {
  auto requests = r.add_counter_family("bitactor_http_requests_total", "HTTP requests handled.",
                                       {"method", "code"});
  requests.labels({"GET", "200"}).inc(1027);
  requests.labels({"POST", "500"}).inc(3);
  r.add_gauge("bitactor_queue_depth", "Items waiting.").set(2.5);
  auto latency = r.add_histogram_family("bitactor_query_duration_seconds", "Query latency.", {"db"},
                                        {0.25, 1});
  for (double v : {0.125, 0.5, 2.0}) latency.labels({"main"}).observe(v);
}

family_sample one_gauge(std::string name, std::string help,
                        std::vector<std::pair<std::string, std::string>> labels, double v) {
  family_sample f{.name = std::move(name),
                  .help = std::move(help),
                  .type = metric_type::gauge,
                  .upper_bounds = {},
                  .series = {}};
  f.series.push_back(
      {.labels = std::move(labels), .value = v, .buckets = {}, .sum = 0, .count = 0});
  return f;
}

bool promtool_installed() { return ::access("/usr/bin/promtool", X_OK) == 0; }

/// Pipes the text into `promtool check metrics`; returns its exit status, and what it printed
/// in `said`.
int promtool_check(const std::string& text, std::string& said) {
  const std::string out = ::testing::TempDir() + "promtool_" + std::to_string(::getpid()) + ".out";
  const std::string cmd = "/usr/bin/promtool check metrics > '" + out + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "w");
  if (!pipe) return -1;
  std::fwrite(text.data(), 1, text.size(), pipe);
  const int status = ::pclose(pipe);
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  said = ss.str();
  std::remove(out.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST(telemetry_prometheus, a_small_registry_renders_exactly) {
  telemetry::registry r;
  fill(r);
  EXPECT_EQ(prometheus::render(r),
            "# HELP bitactor_http_requests_total HTTP requests handled.\n"
            "# TYPE bitactor_http_requests_total counter\n"
            "bitactor_http_requests_total{method=\"GET\",code=\"200\"} 1027\n"
            "bitactor_http_requests_total{method=\"POST\",code=\"500\"} 3\n"
            "# HELP bitactor_queue_depth Items waiting.\n"
            "# TYPE bitactor_queue_depth gauge\n"
            "bitactor_queue_depth 2.5\n"
            "# HELP bitactor_query_duration_seconds Query latency.\n"
            "# TYPE bitactor_query_duration_seconds histogram\n"
            "bitactor_query_duration_seconds_bucket{db=\"main\",le=\"0.25\"} 1\n"
            "bitactor_query_duration_seconds_bucket{db=\"main\",le=\"1\"} 2\n"
            "bitactor_query_duration_seconds_bucket{db=\"main\",le=\"+Inf\"} 3\n"
            "bitactor_query_duration_seconds_sum{db=\"main\"} 2.625\n"
            "bitactor_query_duration_seconds_count{db=\"main\"} 3\n");
}

TEST(telemetry_prometheus, a_histogram_without_labels_has_only_le_in_braces) {
  telemetry::registry r;
  r.add_histogram("x_seconds", "X.", {1}).observe(0.5);
  EXPECT_EQ(prometheus::render(r),
            "# HELP x_seconds X.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"1\"} 1\n"
            "x_seconds_bucket{le=\"+Inf\"} 1\n"
            "x_seconds_sum 0.5\n"
            "x_seconds_count 1\n");
}

TEST(telemetry_prometheus, label_values_escape_backslash_quote_and_newline) {
  const auto text = prometheus::render({one_gauge("g", "G.", {{"path", "a\"b\\c\nd"}}, 1)});
  EXPECT_EQ(text,
            "# HELP g G.\n"
            "# TYPE g gauge\n"
            "g{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(telemetry_prometheus, help_escapes_backslash_and_newline_but_not_quotes) {
  const auto text = prometheus::render({one_gauge("g", "two\nlines \\ \"quoted\"", {}, 1)});
  EXPECT_EQ(text,
            "# HELP g two\\nlines \\\\ \"quoted\"\n"
            "# TYPE g gauge\n"
            "g 1\n");
}

TEST(telemetry_prometheus, numbers_are_the_shortest_text_that_reads_back_the_same) {
  const double inf = std::numeric_limits<double>::infinity();
  const auto text = prometheus::render(
      {one_gauge("a", "", {}, 0.1), one_gauge("b", "", {}, 1e21), one_gauge("c", "", {}, -3),
       one_gauge("d", "", {}, std::numeric_limits<double>::quiet_NaN()),
       one_gauge("e", "", {}, inf), one_gauge("f", "", {}, -inf)});
  for (const char* line :
       {"\na 0.1\n", "\nb 1e+21\n", "\nc -3\n", "\nd NaN\n", "\ne +Inf\n", "\nf -Inf\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
}

TEST(telemetry_prometheus, name_rules_are_prometheus_data_model_rules) {
  EXPECT_TRUE(prometheus::valid_metric_name("bitactor_x"));
  EXPECT_TRUE(prometheus::valid_metric_name(":recorded:rule"));
  EXPECT_TRUE(prometheus::valid_metric_name("_x9"));
  EXPECT_FALSE(prometheus::valid_metric_name(""));
  EXPECT_FALSE(prometheus::valid_metric_name("9x"));
  EXPECT_FALSE(prometheus::valid_metric_name("x-y"));
  EXPECT_FALSE(prometheus::valid_metric_name("x y"));
  EXPECT_TRUE(prometheus::valid_label_name("method"));
  EXPECT_TRUE(prometheus::valid_label_name("_private"));
  EXPECT_FALSE(prometheus::valid_label_name("__name__"));
  EXPECT_FALSE(prometheus::valid_label_name("a:b"));
  EXPECT_FALSE(prometheus::valid_label_name("1a"));
  EXPECT_FALSE(prometheus::valid_label_name(""));
}

TEST(telemetry_prometheus, the_content_type_names_format_version_0_0_4) {
  EXPECT_EQ(prometheus::content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(telemetry_prometheus, an_empty_registry_renders_nothing) {
  telemetry::registry r;
  EXPECT_EQ(prometheus::render(r), "");
}

TEST(telemetry_prometheus, promtool_accepts_the_output) {
  ASSERT_TRUE(promtool_installed())
      << "/usr/bin/promtool is required (Debian's prometheus package: scripts/install-deps)";
  telemetry::registry r;
  fill(r);
  auto odd =
      r.add_gauge_family("bitactor_odd_labels", "Label values that need escaping.", {"path"});
  odd.labels({"a\"b\\c\nd"}).set(1);
  odd.labels({"k\xc3\xbc"
              "che"})
      .set(std::numeric_limits<double>::quiet_NaN());
  r.add_gauge("bitactor_unbounded", "Infinite.").set(std::numeric_limits<double>::infinity());
  r.add_histogram("bitactor_empty_seconds", "Never observed.", telemetry::default_buckets());
  const std::string text = prometheus::render(r);
  std::string said;
  EXPECT_EQ(promtool_check(text, said), 0) << "promtool said:\n" << said << "\nabout:\n" << text;
}

TEST(telemetry_prometheus, promtool_rejects_broken_text_so_the_check_means_something) {
  ASSERT_TRUE(promtool_installed())
      << "/usr/bin/promtool is required (Debian's prometheus package: scripts/install-deps)";
  std::string said;
  EXPECT_NE(promtool_check("# TYPE x counter\nx{a=\"1\" 1\n", said), 0) << said;
}
