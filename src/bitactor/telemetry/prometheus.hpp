#pragma once
// Prometheus's text exposition format, version 0.0.4: what GET /metrics answers.
//
//   # HELP bitactor_http_requests_total HTTP requests handled.
//   # TYPE bitactor_http_requests_total counter
//   bitactor_http_requests_total{code="200",method="GET"} 1027
//   # HELP bitactor_query_duration_seconds Query latency.
//   # TYPE bitactor_query_duration_seconds histogram
//   bitactor_query_duration_seconds_bucket{le="0.005"} 3
//   ...
//   bitactor_query_duration_seconds_bucket{le="+Inf"} 7
//   bitactor_query_duration_seconds_sum 0.41
//   bitactor_query_duration_seconds_count 7
//
// Each family has a HELP and a TYPE line, then its samples; a histogram's buckets are
// cumulative, with le last "+Inf", and _count equal to it. HELP text escapes backslash and
// newline (\\, \n); label values also escape the double quote (\"). Values are written as
// the shortest decimal that reads back the same double; NaN, +Inf and -Inf as such. Label
// pairs come in the order the series carries them (a registry family: its label names').

#include <string>
#include <string_view>
#include <vector>

#include "bitactor/telemetry/metrics.hpp"

namespace bitactor::telemetry::prometheus {

/// The Content-Type of the exposition.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

/// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name) noexcept;
/// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name) noexcept;

/// The exposition of these families, in their order.
std::string render(const std::vector<family_sample>& families);
/// The exposition of what r.collect() returns (and what it throws).
std::string render(const registry& r);

}  // namespace bitactor::telemetry::prometheus

namespace bitactor::telemetry {
using prometheus::valid_label_name;
using prometheus::valid_metric_name;
}  // namespace bitactor::telemetry
