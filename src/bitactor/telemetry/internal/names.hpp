#pragma once
// The rules of metrics.hpp (names, label sets, bucket bounds, UTF-8 text), checked when a
// family is registered, when a series is created, and when a collector reports a family.
// Each throws std::invalid_argument naming the metric and the rule it breaks.

#include <string>
#include <string_view>
#include <vector>

#include "bitactor/telemetry/metrics.hpp"

namespace bitactor::telemetry::detail {

/// The family's name and label names, and its help text being UTF-8.
void check_family(std::string_view name, metric_type type, std::string_view help,
                  const std::vector<std::string>& label_names);

/// Finite and strictly ascending.
void check_bounds(std::string_view name, const std::vector<double>& bounds);

/// Label values are UTF-8 (Prometheus refuses a scrape with one that is not).
void check_label_values(std::string_view name, const std::vector<std::string>& values);

/// A family a collector reported: all of the above, for each series; a histogram's series
/// have one cumulative count per bound and one for +Inf, the last equal to its count.
void check_collected(const family_sample& f);

}  // namespace bitactor::telemetry::detail
