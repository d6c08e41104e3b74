#pragma once
// A metrics registry: counters, gauges and histograms, each a family of series told apart by
// label values, plus collectors that report values kept elsewhere when the registry is read
// (a scrape). prometheus.hpp renders what collect() returns; http_server.hpp serves it.
//
//   telemetry::registry metrics;
//   auto requests = metrics.add_counter_family("bitactor_http_requests_total",
//                                              "HTTP requests handled.", {"method", "code"});
//   telemetry::counter get_ok = requests.labels({"GET", "200"});   // look up once, keep
//   get_ok.inc();                                                  // one relaxed atomic add
//   auto latency = metrics.add_histogram("bitactor_query_duration_seconds",
//                                        "Query latency.", telemetry::default_buckets());
//   latency.observe(0.003);
//
// Names. Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
// and do not start with "__"; a counter's name ends in "_total", a gauge's or histogram's
// does not end in "_total", "_count", "_sum" or "_bucket"; a histogram has no label "le".
// BitActor's own metrics are named bitactor_*, with the unit in the name (_seconds, _bytes).
// Help text and label values are UTF-8 (Prometheus refuses a scrape otherwise). A name,
// label set or text that breaks a rule is refused with std::invalid_argument saying which.
// Registering a name again with the same type, help, labels and buckets returns the family
// registered first; with anything different it throws std::invalid_argument.
//
// Threads. Everything here is thread-safe. Updates through a handle (counter, gauge,
// histogram) are lock-free: relaxed atomics on the series' own cells. labels() takes the
// family's lock to find or create the series: do it once and keep the handle. Handles and
// families refer into the registry, which must outlive them; series are never removed.
//
// Collectors run inside collect(), on the caller's thread (the HTTP server's I/O thread for a
// scrape), outside the registry's lock; they append families to the output. What they
// report is checked like a registration: a name the registry or another collector already
// reported, or a family that breaks a rule, makes collect() throw. Collectors run one collect
// at a time (remove_collector waits for the one running), so a collector must not add or
// remove collectors, and should be quick.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace bitactor::telemetry {

enum class metric_type { counter, gauge, histogram };
const char* to_string(metric_type t) noexcept;  // "counter", "gauge", "histogram"

/// One series as read at collect time.
struct series_sample {
  std::vector<std::pair<std::string, std::string>> labels{};
  double value = 0;  // counter, gauge
  /// Histogram: cumulative counts, one per upper bound of the family and the last for +Inf.
  std::vector<std::uint64_t> buckets{};
  double sum = 0;           // histogram
  std::uint64_t count = 0;  // histogram: equals buckets.back()
};

/// One metric family as read at collect time.
struct family_sample {
  std::string name{};
  std::string help{};
  metric_type type = metric_type::gauge;
  std::vector<double> upper_bounds{};  // histogram: finite, ascending; +Inf is implied
  std::vector<series_sample> series{};
};

/// Prometheus's default buckets (seconds): 0.005, 0.01, ... 10.
std::vector<double> default_buckets();
/// count bounds: start, start*factor, start*factor^2, ...
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
/// count bounds: start, start+width, start+2*width, ...
std::vector<double> linear_buckets(double start, double width, std::size_t count);

namespace detail {
struct alignas(64) counter_cell {
  std::atomic<std::uint64_t> value{0};
};
struct alignas(64) gauge_cell {
  std::atomic<double> value{0};
};
struct alignas(64) histogram_cell {
  explicit histogram_cell(std::span<const double> upper_bounds);
  std::span<const double> bounds;                        // the family's, finite ascending
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts;  // per bucket, not cumulative; +Inf last
  std::atomic<double> sum{0};
};
struct family_state;
struct registry_state;
}  // namespace detail

/// A counter series: only goes up.
class counter {
 public:
  void inc(std::uint64_t n = 1) const noexcept {
    cell_->value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return cell_->value.load(std::memory_order_relaxed); }

 private:
  template <class>
  friend class family;
  explicit counter(detail::counter_cell* c) noexcept : cell_(c) {}
  detail::counter_cell* cell_;
};

/// A gauge series: a value that goes up and down.
class gauge {
 public:
  void set(double v) const noexcept { cell_->value.store(v, std::memory_order_relaxed); }
  void inc(double by = 1) const noexcept { cell_->value.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1) const noexcept { cell_->value.fetch_sub(by, std::memory_order_relaxed); }
  double value() const noexcept { return cell_->value.load(std::memory_order_relaxed); }

 private:
  template <class>
  friend class family;
  explicit gauge(detail::gauge_cell* c) noexcept : cell_(c) {}
  detail::gauge_cell* cell_;
};

/// A histogram series: counts observations per bucket (an observation v falls in the first
/// bucket whose upper bound is >= v; NaN in +Inf) and sums them.
class histogram {
 public:
  void observe(double v) const noexcept;
  /// Observations so far, and their sum.
  std::uint64_t count() const noexcept;
  double sum() const noexcept { return cell_->sum.load(std::memory_order_relaxed); }

 private:
  template <class>
  friend class family;
  explicit histogram(detail::histogram_cell* c) noexcept : cell_(c) {}
  detail::histogram_cell* cell_;
};

/// A registered family of series of one type (Handle: counter, gauge or histogram).
template <class Handle>
class family {
 public:
  /// The series for these label values, one per label name in order (created at 0 the first
  /// time). Throws std::invalid_argument if the count differs from the family's labels or a
  /// value is not UTF-8.
  Handle labels(const std::vector<std::string>& values) const;
  const std::string& name() const noexcept;

 private:
  friend class registry;
  explicit family(detail::family_state* s) noexcept : state_(s) {}
  detail::family_state* state_;
};
using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

/// Appends families read from elsewhere to a collect() result.
using collector = std::function<void(std::vector<family_sample>& out)>;
using collector_id = std::uint64_t;

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  counter_family add_counter_family(std::string name, std::string help,
                                    std::vector<std::string> label_names);
  gauge_family add_gauge_family(std::string name, std::string help,
                                std::vector<std::string> label_names);
  /// upper_bounds: strictly ascending and not NaN; a last +Inf is dropped (it is implied).
  histogram_family add_histogram_family(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> upper_bounds);
  /// A family without labels and its one series.
  counter add_counter(std::string name, std::string help);
  gauge add_gauge(std::string name, std::string help);
  histogram add_histogram(std::string name, std::string help, std::vector<double> upper_bounds);

  /// Adds a collector run by every collect(); returns the id to remove it with.
  collector_id add_collector(collector c);
  /// false if the id is unknown. Once it returns, the collector is not called again.
  bool remove_collector(collector_id id);

  /// Every family with at least one series, in registration order (series sorted by label
  /// values), then what the collectors report. Throws std::invalid_argument if a collector
  /// reports a family that breaks the rules above or a name already reported, and what a
  /// collector throws.
  std::vector<family_sample> collect() const;

 private:
  std::unique_ptr<detail::registry_state> state_;
};

}  // namespace bitactor::telemetry
