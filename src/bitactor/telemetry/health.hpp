#pragma once
// Liveness and readiness, as registered named checks: GET /health/live and /health/ready
// (http_server.hpp) answer 200 when every check of that kind passes and 503 when one fails.
//
//   telemetry::health health;
//   health.add_liveness("schedulers", [&] { return telemetry::check_result{node.counters().workers
//   > 0}; }); health.add_readiness("database", [&] { return telemetry::check_result{db.connected(),
//   db.status()}; }); health.add_readiness("apps", telemetry::applications_started(apps, {"store",
//   "web"}));
//
// Liveness says the process should not be restarted; readiness says it should get traffic.
// A check runs on the thread that asks (the HTTP server's I/O thread): it must be quick and
// must not wait on that server. A check that throws fails, with what() as its detail.
// Everything here is thread-safe; checks run outside the lock.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bitactor/otp/application.hpp"

namespace bitactor::telemetry {

struct check_result {
  bool ok = true;
  std::string detail{};  // why it failed, or anything worth showing
};

using health_check = std::function<check_result()>;

struct check_report {
  std::string name{};
  check_result result{};
};

struct health_report {
  bool ok = true;  // every check passed (true with no checks)
  std::vector<check_report> checks{};
};

enum class check_kind { liveness, readiness };

class health {
 public:
  health();
  ~health();
  health(const health&) = delete;
  health& operator=(const health&) = delete;

  /// Adds a check, or replaces the one of that kind with that name.
  void add_liveness(std::string name, health_check check);
  void add_readiness(std::string name, health_check check);
  /// false if there is no check of that kind and name.
  bool remove(check_kind kind, const std::string& name);

  /// Runs every check of the kind, in the order they were added.
  health_report run(check_kind kind) const;
  health_report live() const { return run(check_kind::liveness); }
  health_report ready() const { return run(check_kind::readiness); }

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// A readiness check that passes once every named application runs on the controller
/// (application_controller::is_running; each asks the controller's process, so the check may
/// wait as long as a call to it does). Its detail names the ones not running. The controller
/// must outlive the check.
health_check applications_started(const otp::application_controller& apps,
                                  std::vector<std::string> names);

/// The report as JSON: {"status":"ok"|"failing","checks":[{"name":...,"ok":...,"detail":...}]}.
std::string to_json(const health_report& r);

}  // namespace bitactor::telemetry
