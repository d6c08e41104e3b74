#include "bitactor/otp/report.hpp"

#include <bitactor/term/print.hpp>
#include <nlohmann/json.hpp>

namespace bitactor::otp {

const char* to_string(report_level l) noexcept {
  switch (l) {
    case report_level::debug:
      return "debug";
    case report_level::info:
      return "info";
    case report_level::notice:
      return "notice";
    case report_level::warning:
      return "warning";
    case report_level::error:
      return "error";
    case report_level::critical:
      return "critical";
    case report_level::alert:
      return "alert";
    case report_level::emergency:
      return "emergency";
    case report_level::none:
      return "none";
  }
  return "unknown";
}

const char* to_string(report::kind k) noexcept {
  switch (k) {
    case report::kind::crash:
      return "crash";
    case report::kind::supervisor:
      return "supervisor";
    case report::kind::progress:
      return "progress";
    case report::kind::application:
      return "application";
    case report::kind::long_handler:
      return "long_handler";
  }
  return "unknown";
}

term::term name_term(std::string_view name) {
  if (term::valid_atom_name(name)) return term::atom(name);
  return term::binary(name);
}

const term::term* report::find(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

std::string report::text(std::string_view name) const {
  const term::term* value = find(name);
  return value != nullptr ? term::to_string(*value) : std::string();
}

std::string format_report(const report& r) {
  static const char* const titles[] = {"CRASH REPORT", "SUPERVISOR REPORT", "PROGRESS REPORT",
                                       "APPLICATION REPORT", "LONG HANDLER REPORT"};
  std::string out = titles[static_cast<int>(r.type)];
  for (const auto& f : r.fields) {
    out += "\n    ";
    out += f.name;
    out += ": ";
    term::print(out, f.value);
  }
  return out;
}

std::string report_to_json(const report& r) {
  nlohmann::ordered_json j;
  j["kind"] = to_string(r.type);
  j["level"] = to_string(r.level);
  // Counts stay numbers so that tools reading the lines can add them up; every other term
  // has no JSON counterpart that keeps its type (atom, binary and string would all be JSON
  // strings), so it is written as erl's text, which does.
  for (const auto& f : r.fields) {
    if (f.value.is_small()) {
      j[f.name] = f.value.as_int();
    } else {
      j[f.name] = term::to_string(f.value);
    }
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace bitactor::otp
