#include "bitactor/telemetry/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "bitactor/telemetry/internal/names.hpp"

namespace bitactor::telemetry {

namespace detail {
struct family_state {
  std::string name;
  std::string help;
  metric_type type = metric_type::counter;
  std::vector<std::string> label_names;
  std::vector<double> bounds;
  mutable std::mutex lock;
  // One map per type; a family uses the one of its type. Cells never move (unique_ptr).
  std::map<std::vector<std::string>, std::unique_ptr<counter_cell>> counters;
  std::map<std::vector<std::string>, std::unique_ptr<gauge_cell>> gauges;
  std::map<std::vector<std::string>, std::unique_ptr<histogram_cell>> histograms;
};

struct registry_state {
  mutable std::mutex lock;  // families
  std::vector<std::unique_ptr<family_state>> families;
  // Held while collectors run, so remove_collector returns only once none is running.
  mutable std::mutex collect_lock;
  std::map<collector_id, collector> collectors;
  collector_id next_collector = 1;
};

histogram_cell::histogram_cell(std::span<const double> upper_bounds)
    : bounds(upper_bounds),
      counts(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds.size() + 1)) {}
}  // namespace detail

namespace {
using detail::family_state;

auto& cells(family_state& f, counter*) { return f.counters; }
auto& cells(family_state& f, gauge*) { return f.gauges; }
auto& cells(family_state& f, histogram*) { return f.histograms; }

template <class Cell>
std::unique_ptr<Cell> make_cell(const family_state& f) {
  if constexpr (std::is_same_v<Cell, detail::histogram_cell>) {
    return std::make_unique<Cell>(std::span<const double>(f.bounds));
  } else {
    return std::make_unique<Cell>();
  }
}

std::vector<std::pair<std::string, std::string>> zip(const std::vector<std::string>& names,
                                                     const std::vector<std::string>& values) {
  std::vector<std::pair<std::string, std::string>> labels;
  labels.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) labels.emplace_back(names[i], values[i]);
  return labels;
}

void read_series(const family_state& f, family_sample& out) {
  std::lock_guard<std::mutex> g(f.lock);
  for (const auto& [values, cell] : f.counters) {
    out.series.push_back({.labels = zip(f.label_names, values),
                          .value = static_cast<double>(cell->value.load(std::memory_order_relaxed)),
                          .buckets = {},
                          .sum = 0,
                          .count = 0});
  }
  for (const auto& [values, cell] : f.gauges) {
    out.series.push_back({.labels = zip(f.label_names, values),
                          .value = cell->value.load(std::memory_order_relaxed),
                          .buckets = {},
                          .sum = 0,
                          .count = 0});
  }
  for (const auto& [values, cell] : f.histograms) {
    series_sample s{
        .labels = zip(f.label_names, values), .value = 0, .buckets = {}, .sum = 0, .count = 0};
    // The count is the sum of the buckets read, so +Inf and _count always agree.
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= f.bounds.size(); ++i) {
      cumulative += cell->counts[i].load(std::memory_order_relaxed);
      s.buckets.push_back(cumulative);
    }
    s.count = cumulative;
    s.sum = cell->sum.load(std::memory_order_relaxed);
    out.series.push_back(std::move(s));
  }
}

std::vector<double> checked_bounds(const std::string& name, std::vector<double> bounds) {
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  detail::check_bounds(name, bounds);
  return bounds;
}

family_state* find_or_add(detail::registry_state& r, std::string name, std::string help,
                          metric_type type, std::vector<std::string> label_names,
                          std::vector<double> bounds) {
  detail::check_family(name, type, help, label_names);
  std::lock_guard<std::mutex> g(r.lock);
  for (const auto& f : r.families) {
    if (f->name != name) continue;
    if (f->type != type || f->help != help || f->label_names != label_names ||
        f->bounds != bounds) {
      throw std::invalid_argument("telemetry: metric \"" + name +
                                  "\" is already registered with another type, help, labels "
                                  "or buckets");
    }
    return f.get();
  }
  auto f = std::make_unique<family_state>();
  f->name = std::move(name);
  f->help = std::move(help);
  f->type = type;
  f->label_names = std::move(label_names);
  f->bounds = std::move(bounds);
  r.families.push_back(std::move(f));
  return r.families.back().get();
}
}  // namespace

const char* to_string(metric_type t) noexcept {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  std::vector<double> b;
  double v = start;
  for (std::size_t i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  std::vector<double> b;
  for (std::size_t i = 0; i < count; ++i) b.push_back(start + static_cast<double>(i) * width);
  return b;
}

void histogram::observe(double v) const noexcept {
  const auto& b = cell_->bounds;
  const std::size_t i =
      std::isnan(v) ? b.size()
                    : static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  cell_->counts[i].fetch_add(1, std::memory_order_relaxed);
  cell_->sum.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= cell_->bounds.size(); ++i) {
    n += cell_->counts[i].load(std::memory_order_relaxed);
  }
  return n;
}

template <class Handle>
Handle family<Handle>::labels(const std::vector<std::string>& values) const {
  family_state& f = *state_;
  if (values.size() != f.label_names.size()) {
    throw std::invalid_argument("telemetry: metric \"" + f.name + "\" has " +
                                std::to_string(f.label_names.size()) + " labels, given " +
                                std::to_string(values.size()) + " values");
  }
  std::lock_guard<std::mutex> g(f.lock);
  auto& map = cells(f, static_cast<Handle*>(nullptr));
  auto it = map.find(values);
  if (it == map.end()) {
    detail::check_label_values(f.name, values);
    using cell = typename std::decay_t<decltype(map)>::mapped_type::element_type;
    it = map.emplace(values, make_cell<cell>(f)).first;
  }
  return Handle(it->second.get());
}

template <class Handle>
const std::string& family<Handle>::name() const noexcept {
  return state_->name;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

registry::registry() : state_(std::make_unique<detail::registry_state>()) {}
registry::~registry() = default;

counter_family registry::add_counter_family(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  return counter_family(find_or_add(*state_, std::move(name), std::move(help), metric_type::counter,
                                    std::move(label_names), {}));
}

gauge_family registry::add_gauge_family(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  return gauge_family(find_or_add(*state_, std::move(name), std::move(help), metric_type::gauge,
                                  std::move(label_names), {}));
}

histogram_family registry::add_histogram_family(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> upper_bounds) {
  auto bounds = checked_bounds(name, std::move(upper_bounds));
  return histogram_family(find_or_add(*state_, std::move(name), std::move(help),
                                      metric_type::histogram, std::move(label_names),
                                      std::move(bounds)));
}

counter registry::add_counter(std::string name, std::string help) {
  return add_counter_family(std::move(name), std::move(help), {}).labels({});
}

gauge registry::add_gauge(std::string name, std::string help) {
  return add_gauge_family(std::move(name), std::move(help), {}).labels({});
}

histogram registry::add_histogram(std::string name, std::string help,
                                  std::vector<double> upper_bounds) {
  return add_histogram_family(std::move(name), std::move(help), {}, std::move(upper_bounds))
      .labels({});
}

collector_id registry::add_collector(collector c) {
  std::lock_guard<std::mutex> g(state_->collect_lock);
  const collector_id id = state_->next_collector++;
  state_->collectors.emplace(id, std::move(c));
  return id;
}

bool registry::remove_collector(collector_id id) {
  std::lock_guard<std::mutex> g(state_->collect_lock);
  return state_->collectors.erase(id) != 0;
}

std::vector<family_sample> registry::collect() const {
  std::vector<const family_state*> families;
  {
    std::lock_guard<std::mutex> g(state_->lock);
    for (const auto& f : state_->families) families.push_back(f.get());
  }
  std::vector<family_sample> out;
  for (const family_state* f : families) {
    family_sample s{
        .name = f->name, .help = f->help, .type = f->type, .upper_bounds = f->bounds, .series = {}};
    read_series(*f, s);
    if (!s.series.empty()) out.push_back(std::move(s));
  }
  // A name reported twice would make Prometheus refuse the whole scrape.
  std::set<std::string> names;
  for (const auto& f : out) names.insert(f.name);
  std::lock_guard<std::mutex> g(state_->collect_lock);
  for (const auto& entry : state_->collectors) {
    const std::size_t first = out.size();
    entry.second(out);
    for (std::size_t i = first; i < out.size(); ++i) {
      detail::check_collected(out[i]);
      if (!names.insert(out[i].name).second) {
        throw std::invalid_argument("telemetry: metric \"" + out[i].name +
                                    "\" is reported twice (by a collector)");
      }
    }
  }
  return out;
}

}  // namespace bitactor::telemetry
