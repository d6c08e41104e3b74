#include "bitactor/telemetry/prometheus.hpp"

#include <charconv>
#include <cmath>

namespace bitactor::telemetry::prometheus {

namespace {
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// name{labels,le="bound"} with `le` only for buckets; nothing in braces: no braces.
void append_series_name(std::string& out, std::string_view name, std::string_view suffix,
                        const series_sample& s, const std::string* le) {
  out += name;
  out += suffix;
  if (s.labels.empty() && !le) return;
  out += '{';
  bool first = true;
  for (const auto& l : s.labels) {
    if (!first) out += ',';
    first = false;
    out += l.first;
    out += "=\"";
    append_escaped(out, l.second, true);
    out += '"';
  }
  if (le) {
    if (!first) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void append_histogram(std::string& out, const family_sample& f, const series_sample& s) {
  for (std::size_t i = 0; i <= f.upper_bounds.size() && i < s.buckets.size(); ++i) {
    std::string le;
    if (i < f.upper_bounds.size()) {
      append_number(le, f.upper_bounds[i]);
    } else {
      le = "+Inf";
    }
    append_series_name(out, f.name, "_bucket", s, &le);
    out += ' ';
    append_number(out, s.buckets[i]);
    out += '\n';
  }
  append_series_name(out, f.name, "_sum", s, nullptr);
  out += ' ';
  append_number(out, s.sum);
  out += '\n';
  append_series_name(out, f.name, "_count", s, nullptr);
  out += ' ';
  append_number(out, s.count);
  out += '\n';
}
}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(is_alpha(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!(is_alpha(c) || is_digit(c) || c == ':')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !is_alpha(name[0]) || name.substr(0, 2) == "__") return false;
  for (char c : name) {
    if (!(is_alpha(c) || is_digit(c))) return false;
  }
  return true;
}

std::string render(const std::vector<family_sample>& families) {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_escaped(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += to_string(f.type);
    out += '\n';
    for (const auto& s : f.series) {
      if (f.type == metric_type::histogram) {
        append_histogram(out, f, s);
      } else {
        append_series_name(out, f.name, "", s, nullptr);
        out += ' ';
        append_number(out, s.value);
        out += '\n';
      }
    }
  }
  return out;
}

std::string render(const registry& r) { return render(r.collect()); }

}  // namespace bitactor::telemetry::prometheus
