// The metrics registry: counter, gauge and histogram semantics, label sets, the naming rules
// (refused with a message that says which rule), re-registration, collectors, and exact
// counts under concurrent updates.
#include <gtest/gtest.h>

#include <bitactor/telemetry/metrics.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace telemetry = bitactor::telemetry;
using telemetry::family_sample;
using telemetry::metric_type;

namespace {
/// The message of the invalid_argument fn throws ("" when it throws none).
template <class F>
std::string refusal(F fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

family_sample gauge_family(std::string name,
                           std::vector<std::pair<std::string, std::string>> labels, double v) {
  family_sample f{.name = std::move(name),
                  .help = "h",
                  .type = metric_type::gauge,
                  .upper_bounds = {},
                  .series = {}};
  f.series.push_back(
      {.labels = std::move(labels), .value = v, .buckets = {}, .sum = 0, .count = 0});
  return f;
}
}  // namespace

TEST(telemetry_metrics, a_counter_starts_at_zero_and_only_goes_up) {
  telemetry::registry r;
  auto c = r.add_counter("jobs_total", "Jobs.");
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
  const auto all = r.collect();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].type, metric_type::counter);
  EXPECT_EQ(all[0].help, "Jobs.");
  ASSERT_EQ(all[0].series.size(), 1u);
  EXPECT_TRUE(all[0].series[0].labels.empty());
  EXPECT_EQ(all[0].series[0].value, 42.0);
}

TEST(telemetry_metrics, a_gauge_is_set_and_goes_up_and_down) {
  telemetry::registry r;
  auto g = r.add_gauge("queue_depth", "Depth.");
  g.set(10);
  g.inc();
  g.dec(2.5);
  EXPECT_EQ(g.value(), 8.5);
  g.dec(20);
  EXPECT_EQ(g.value(), -11.5);
  EXPECT_EQ(r.collect()[0].series[0].value, -11.5);
}

TEST(telemetry_metrics, a_histogram_counts_each_observation_in_the_first_bucket_at_or_above_it) {
  telemetry::registry r;
  auto h = r.add_histogram("latency_seconds", "Latency.", {0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 100.0}) h.observe(v);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_DOUBLE_EQ(h.sum(), 106.65);
  const auto all = r.collect();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].upper_bounds, (std::vector<double>{0.1, 1, 10}));
  const auto& s = all[0].series[0];
  // Cumulative: le=0.1 holds 0.05 and 0.1 (bounds are inclusive), le=1 adds 0.5 and 1, ...
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 106.65);
}

TEST(telemetry_metrics, a_nan_observation_goes_to_the_inf_bucket) {
  telemetry::registry r;
  auto h = r.add_histogram("x_seconds", "X.", {1});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  h.observe(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.collect()[0].series[0].buckets, (std::vector<std::uint64_t>{1, 2}));
}

TEST(telemetry_metrics, a_last_inf_bound_is_implied_and_dropped) {
  telemetry::registry r;
  r.add_histogram("x_seconds", "X.", {1, 2, std::numeric_limits<double>::infinity()});
  EXPECT_EQ(r.collect()[0].upper_bounds, (std::vector<double>{1, 2}));
}

TEST(telemetry_metrics, bucket_helpers_make_the_documented_bounds) {
  EXPECT_EQ(telemetry::default_buckets(),
            (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}));
  EXPECT_EQ(telemetry::exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(telemetry::linear_buckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
}

TEST(telemetry_metrics, label_values_pick_a_series_and_the_same_values_the_same_series) {
  telemetry::registry r;
  auto f = r.add_counter_family("requests_total", "Requests.", {"method", "code"});
  f.labels({"GET", "200"}).inc(3);
  f.labels({"GET", "200"}).inc();
  f.labels({"POST", "500"}).inc();
  EXPECT_EQ(f.labels({"GET", "200"}).value(), 4u);
  EXPECT_EQ(f.name(), "requests_total");
  const auto all = r.collect();
  ASSERT_EQ(all[0].series.size(), 2u);
  using labels = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(all[0].series[0].labels, (labels{{"method", "GET"}, {"code", "200"}}));
  EXPECT_EQ(all[0].series[0].value, 4.0);
  EXPECT_EQ(all[0].series[1].labels, (labels{{"method", "POST"}, {"code", "500"}}));
}

TEST(telemetry_metrics, the_wrong_number_of_label_values_is_refused) {
  telemetry::registry r;
  auto f = r.add_gauge_family("temperature", "T.", {"room"});
  const auto why = refusal([&] { f.labels({"a", "b"}); });
  EXPECT_TRUE(mentions(why, "temperature")) << why;
  EXPECT_TRUE(mentions(why, "1 labels, given 2 values")) << why;
  EXPECT_FALSE(refusal([&] { f.labels({}); }).empty());
}

TEST(telemetry_metrics, a_label_value_that_is_not_utf8_is_refused) {
  telemetry::registry r;
  auto f = r.add_gauge_family("temperature", "T.", {"room"});
  EXPECT_TRUE(mentions(refusal([&] { f.labels({"\xff"}); }), "not UTF-8"));
  EXPECT_TRUE(mentions(refusal([&] { f.labels({"\xc0\x80"}); }), "not UTF-8")) << "overlong";
  EXPECT_TRUE(mentions(refusal([&] { f.labels({"\xed\xa0\x80"}); }), "not UTF-8")) << "surrogate";
  EXPECT_TRUE(refusal([&] {
                f.labels(
                    {"k\xc3\xbc"
                     "che \xe2\x82\xac \xf0\x9f\x98\x80"});
              }).empty());
}

TEST(telemetry_metrics, bad_metric_names_are_refused_saying_which_rule) {
  telemetry::registry r;
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("9lives", "x"); }), "[a-zA-Z_:]"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("with-dash", "x"); }), "[a-zA-Z_:]"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("", "x"); }), "[a-zA-Z_:]"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_counter("jobs", "x"); }), "must end in _total"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("jobs_total", "x"); }), "must not end in _total"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("jobs_count", "x"); }), "_count"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_histogram("x_sum", "x", {1}); }), "_sum"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_histogram("x_bucket", "x", {1}); }), "_bucket"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("x", "\xff"); }), "help text is not UTF-8"));
  EXPECT_TRUE(refusal([&] { r.add_gauge("ns:sub_metric", "x"); }).empty());
  EXPECT_TRUE(r.collect().size() == 1u) << "only the valid one registered";
}

TEST(telemetry_metrics, bad_label_sets_are_refused_saying_which_rule) {
  telemetry::registry r;
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge_family("g", "x", {"__reserved"}); }),
                       "label \"__reserved\""));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge_family("g", "x", {"a:b"}); }), "label \"a:b\""));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge_family("g", "x", {"1a"}); }), "label \"1a\""));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge_family("g", "x", {""}); }), "label \"\""));
  EXPECT_TRUE(mentions(refusal([&] {
                         r.add_gauge_family("g", "x", {"a", "b", "a"});
                       }),
                       "label \"a\" is given twice"));
  EXPECT_TRUE(mentions(refusal([&] { r.add_histogram_family("h", "x", {"le"}, {1}); }),
                       "must not have a label named le"));
  EXPECT_TRUE(refusal([&] { r.add_gauge_family("g", "x", {"le"}); }).empty())
      << "le is reserved in histograms only";
}

TEST(telemetry_metrics, bucket_bounds_must_be_finite_and_strictly_ascending) {
  telemetry::registry r;
  const std::string rule = "finite and strictly ascending";
  EXPECT_TRUE(mentions(refusal([&] { r.add_histogram("h", "x", {1, 1}); }), rule));
  EXPECT_TRUE(mentions(refusal([&] { r.add_histogram("h", "x", {2, 1}); }), rule));
  EXPECT_TRUE(mentions(
      refusal([&] { r.add_histogram("h", "x", {std::numeric_limits<double>::quiet_NaN()}); }),
      rule));
  EXPECT_TRUE(mentions(refusal([&] {
                         r.add_histogram("h", "x", {-std::numeric_limits<double>::infinity(), 1});
                       }),
                       rule));
  EXPECT_TRUE(refusal([&] { r.add_histogram("h", "x", {}); }).empty()) << "just +Inf";
}

TEST(telemetry_metrics, registering_the_same_family_again_returns_it) {
  telemetry::registry r;
  auto a = r.add_counter_family("jobs_total", "Jobs.", {"kind"});
  auto b = r.add_counter_family("jobs_total", "Jobs.", {"kind"});
  a.labels({"x"}).inc();
  EXPECT_EQ(b.labels({"x"}).value(), 1u);
  EXPECT_EQ(r.collect().size(), 1u);
}

TEST(telemetry_metrics, registering_a_name_again_differently_is_refused) {
  telemetry::registry r;
  r.add_counter_family("jobs_total", "Jobs.", {"kind"});
  r.add_histogram("h_seconds", "H.", {1, 2});
  const std::string rule = "already registered";
  EXPECT_TRUE(
      mentions(refusal([&] { r.add_counter_family("jobs_total", "Other.", {"kind"}); }), rule));
  EXPECT_TRUE(
      mentions(refusal([&] { r.add_counter_family("jobs_total", "Jobs.", {"sort"}); }), rule));
  EXPECT_TRUE(mentions(refusal([&] { r.add_counter_family("jobs_total", "Jobs.", {}); }), rule));
  EXPECT_TRUE(mentions(refusal([&] { r.add_histogram("h_seconds", "H.", {1, 3}); }), rule));
  EXPECT_TRUE(mentions(refusal([&] { r.add_gauge("h_seconds", "H."); }), rule));
}

TEST(telemetry_metrics, a_family_without_series_is_not_collected) {
  telemetry::registry r;
  r.add_counter_family("jobs_total", "Jobs.", {"kind"});
  EXPECT_TRUE(r.collect().empty());
}

TEST(telemetry_metrics, families_come_in_registration_order_and_series_sorted_by_labels) {
  telemetry::registry r;
  auto z = r.add_gauge_family("z", "Z.", {"k"});
  r.add_gauge("a", "A.").set(1);
  z.labels({"b"}).set(2);
  z.labels({"a"}).set(1);
  const auto all = r.collect();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "z");
  EXPECT_EQ(all[1].name, "a");
  EXPECT_EQ(all[0].series[0].labels[0].second, "a");
  EXPECT_EQ(all[0].series[1].labels[0].second, "b");
}

TEST(telemetry_metrics, collectors_append_their_families_until_removed) {
  telemetry::registry r;
  r.add_gauge("own", "Own.").set(1);
  double reported = 5;
  const auto id = r.add_collector([&](std::vector<family_sample>& out) {
    out.push_back(gauge_family("elsewhere", {{"node", "a@b"}}, reported));
  });
  auto all = r.collect();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].name, "elsewhere");
  EXPECT_EQ(all[1].series[0].value, 5.0);
  reported = 6;
  EXPECT_EQ(r.collect()[1].series[0].value, 6.0) << "read again at every collect";
  EXPECT_TRUE(r.remove_collector(id));
  EXPECT_FALSE(r.remove_collector(id));
  EXPECT_EQ(r.collect().size(), 1u);
}

TEST(telemetry_metrics, a_collector_reporting_a_name_already_reported_makes_collect_throw) {
  telemetry::registry r;
  r.add_gauge("own", "Own.").set(1);
  const auto id = r.add_collector(
      [](std::vector<family_sample>& out) { out.push_back(gauge_family("own", {}, 1)); });
  EXPECT_TRUE(mentions(refusal([&] { r.collect(); }), "reported twice"));
  r.remove_collector(id);
  r.add_collector([](std::vector<family_sample>& out) { out.push_back(gauge_family("c", {}, 1)); });
  r.add_collector([](std::vector<family_sample>& out) { out.push_back(gauge_family("c", {}, 1)); });
  EXPECT_TRUE(mentions(refusal([&] { r.collect(); }), "reported twice"));
}

TEST(telemetry_metrics, a_collector_reporting_a_family_that_breaks_the_rules_makes_collect_throw) {
  {
    telemetry::registry r;
    r.add_collector(
        [](std::vector<family_sample>& out) { out.push_back(gauge_family("bad name", {}, 1)); });
    EXPECT_TRUE(mentions(refusal([&] { r.collect(); }), "[a-zA-Z_:]"));
  }
  {
    telemetry::registry r;
    r.add_collector([](std::vector<family_sample>& out) {
      // The second series' labels break the rules, not the first's.
      auto f = gauge_family("g", {{"ok", "1"}}, 1);
      f.series.push_back(
          {.labels = {{"__bad", "1"}}, .value = 1, .buckets = {}, .sum = 0, .count = 0});
      out.push_back(std::move(f));
    });
    EXPECT_TRUE(mentions(refusal([&] { r.collect(); }), "label \"__bad\""));
  }
  {
    telemetry::registry r;
    r.add_collector([](std::vector<family_sample>& out) {
      family_sample f{.name = "h",
                      .help = "",
                      .type = metric_type::histogram,
                      .upper_bounds = {1, 2},
                      .series = {}};
      f.series.push_back({.labels = {}, .value = 0, .buckets = {1, 2}, .sum = 0, .count = 2});
      out.push_back(std::move(f));
    });
    EXPECT_TRUE(mentions(refusal([&] { r.collect(); }), "one cumulative count per bound"));
  }
}

TEST(telemetry_metrics, what_a_collector_throws_comes_out_of_collect) {
  telemetry::registry r;
  r.add_collector([](std::vector<family_sample>&) { throw std::runtime_error("source down"); });
  EXPECT_THROW(r.collect(), std::runtime_error);
}

TEST(telemetry_metrics, concurrent_updates_from_many_threads_are_counted_exactly) {
  telemetry::registry r;
  auto c = r.add_counter_family("ops_total", "Ops.", {"kind"});
  auto g = r.add_gauge("level", "Level.");
  auto h = r.add_histogram("op_seconds", "Op.", {0.5});
  constexpr int threads = 4, per_thread = 50000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      // Each thread looks its series up itself: creation races with the others' too.
      auto mine = c.labels({t % 2 == 0 ? "even" : "odd"});
      for (int i = 0; i < per_thread; ++i) {
        mine.inc();
        g.inc();
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  // A reader collecting all the while sees consistent histograms.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      for (const auto& f : r.collect()) {
        for (const auto& s : f.series) {
          if (f.type == metric_type::histogram) {
            EXPECT_EQ(s.count, s.buckets.back());
          }
        }
      }
    }
  });
  for (auto& w : workers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(c.labels({"even"}).value() + c.labels({"odd"}).value(),
            std::uint64_t{threads} * per_thread);
  EXPECT_EQ(c.labels({"even"}).value(), std::uint64_t{threads / 2} * per_thread);
  EXPECT_EQ(g.value(), double{threads} * per_thread);
  EXPECT_EQ(h.count(), std::uint64_t{threads} * per_thread);
  EXPECT_EQ(r.collect()[2].series[0].buckets,
            (std::vector<std::uint64_t>{threads * per_thread / 2, threads * per_thread}));
  EXPECT_DOUBLE_EQ(h.sum(), threads * per_thread / 2 * 1.25);
}

TEST(telemetry_metrics, type_names_are_prometheus_type_names) {
  EXPECT_STREQ(telemetry::to_string(metric_type::counter), "counter");
  EXPECT_STREQ(telemetry::to_string(metric_type::gauge), "gauge");
  EXPECT_STREQ(telemetry::to_string(metric_type::histogram), "histogram");
}
