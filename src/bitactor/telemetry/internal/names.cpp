#include "bitactor/telemetry/internal/names.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bitactor/telemetry/prometheus.hpp"

namespace bitactor::telemetry::detail {

namespace {
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

[[noreturn]] void refuse(std::string_view name, const std::string& why) {
  throw std::invalid_argument("telemetry: metric \"" + std::string(name) + "\": " + why);
}

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    unsigned min = 0;
    unsigned code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      min = 0x80;
      code = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      min = 0x800;
      code = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      min = 0x10000;
      code = c & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3fu);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}
}  // namespace

void check_family(std::string_view name, metric_type type, std::string_view help,
                  const std::vector<std::string>& label_names) {
  if (!valid_metric_name(name)) refuse(name, "a name must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  if (type == metric_type::counter) {
    if (!ends_with(name, "_total")) refuse(name, "a counter's name must end in _total");
  } else {
    for (std::string_view s : {"_total", "_count", "_sum", "_bucket"}) {
      if (ends_with(name, s)) {
        refuse(name,
               std::string("a ") + to_string(type) + "'s name must not end in " + std::string(s));
      }
    }
  }
  if (!valid_utf8(help)) refuse(name, "the help text is not UTF-8");
  for (const auto& l : label_names) {
    if (!valid_label_name(l)) {
      refuse(name, "label \"" + l +
                       "\": a label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start "
                       "with __");
    }
    if (type == metric_type::histogram && l == "le") {
      refuse(name, "a histogram must not have a label named le");
    }
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (std::find(label_names.begin() + static_cast<std::ptrdiff_t>(i) + 1, label_names.end(),
                  label_names[i]) != label_names.end()) {
      refuse(name, "label \"" + label_names[i] + "\" is given twice");
    }
  }
}

void check_bounds(std::string_view name, const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      refuse(name, "bucket bounds must be finite and strictly ascending");
    }
  }
}

void check_label_values(std::string_view name, const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (!valid_utf8(v)) refuse(name, "a label value is not UTF-8");
  }
}

void check_collected(const family_sample& f) {
  if (f.type == metric_type::histogram) check_bounds(f.name, f.upper_bounds);
  std::vector<std::string> names, values;
  for (const auto& s : f.series) {
    names.clear();
    values.clear();
    for (const auto& [n, v] : s.labels) {
      names.push_back(n);
      values.push_back(v);
    }
    check_family(f.name, f.type, f.help, names);
    check_label_values(f.name, values);
    if (f.type != metric_type::histogram) continue;
    if (s.buckets.size() != f.upper_bounds.size() + 1 ||
        !std::is_sorted(s.buckets.begin(), s.buckets.end()) || s.buckets.back() != s.count) {
      refuse(f.name,
             "a histogram series needs one cumulative count per bound and one for +Inf, the "
             "last equal to its count");
    }
  }
  if (f.series.empty()) check_family(f.name, f.type, f.help, {});
}

}  // namespace bitactor::telemetry::detail
