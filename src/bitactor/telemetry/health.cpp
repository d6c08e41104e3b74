#include "bitactor/telemetry/health.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>

namespace bitactor::telemetry {

struct health::state {
  struct entry {
    check_kind kind = check_kind::liveness;
    std::string name;
    health_check check;
  };
  mutable std::mutex lock;
  std::vector<entry> checks;

  void add(check_kind kind, std::string name, health_check check) {
    std::lock_guard<std::mutex> g(lock);
    auto it = std::find_if(checks.begin(), checks.end(),
                           [&](const entry& e) { return e.kind == kind && e.name == name; });
    if (it != checks.end()) {
      it->check = std::move(check);
    } else {
      checks.push_back({kind, std::move(name), std::move(check)});
    }
  }
};

health::health() : state_(std::make_unique<state>()) {}
health::~health() = default;

void health::add_liveness(std::string name, health_check check) {
  state_->add(check_kind::liveness, std::move(name), std::move(check));
}

void health::add_readiness(std::string name, health_check check) {
  state_->add(check_kind::readiness, std::move(name), std::move(check));
}

bool health::remove(check_kind kind, const std::string& name) {
  std::lock_guard<std::mutex> g(state_->lock);
  auto& checks = state_->checks;
  auto it = std::find_if(checks.begin(), checks.end(),
                         [&](const state::entry& e) { return e.kind == kind && e.name == name; });
  if (it == checks.end()) return false;
  checks.erase(it);
  return true;
}

health_report health::run(check_kind kind) const {
  std::vector<std::pair<std::string, health_check>> todo;
  {
    std::lock_guard<std::mutex> g(state_->lock);
    for (const auto& e : state_->checks) {
      if (e.kind == kind) todo.emplace_back(e.name, e.check);
    }
  }
  health_report report;
  for (auto& [name, check] : todo) {
    check_result r;
    try {
      r = check();
    } catch (const std::exception& e) {
      r = {false, e.what()};
    } catch (...) {
      r = {false, "unknown exception"};
    }
    report.ok = report.ok && r.ok;
    report.checks.push_back({std::move(name), std::move(r)});
  }
  return report;
}

health_check applications_started(const otp::application_controller& apps,
                                  std::vector<std::string> names) {
  return [&apps, names = std::move(names)] {
    std::string missing;
    for (const auto& n : names) {
      if (!apps.is_running(n)) missing += (missing.empty() ? "" : ", ") + n;
    }
    if (missing.empty()) return check_result{true, ""};
    return check_result{false, "not running: " + missing};
  };
}

std::string to_json(const health_report& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : r.checks) {
    checks.push_back({{"name", c.name}, {"ok", c.result.ok}, {"detail", c.result.detail}});
  }
  const nlohmann::json body = {{"status", r.ok ? "ok" : "failing"}, {"checks", checks}};
  // Replace, not throw, on bytes that are not UTF-8 (a check's detail may quote anything).
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace bitactor::telemetry
