// report_long_handlers: the long-run monitor's events as reports (report.hpp).

#include "bitactor/core/actor.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/core/system_messages.hpp"
#include "bitactor/otp/report.hpp"

namespace bitactor::otp {
namespace {

report long_handler_report(const long_handler& e) {
  report r;
  r.type = report::kind::long_handler;
  r.level = report_level::warning;
  r.add("process", term::term(to_term_pid(e.process)));
  if (!e.registered_name.empty()) r.add("registered_name", name_term(e.registered_name));
  r.add("handling", term::binary(e.handling));
  r.add("running_for_us", term::term(static_cast<std::int64_t>(e.running_for.count())));
  r.add("status", term::atom(e.finished ? "finished" : "still_running"));
  return r;
}

}  // namespace

pid report_long_handlers(node& n, std::chrono::milliseconds threshold) {
  pid reporter = n.spawn([](actor&, message& m) {
    if (auto* e = m.get_if<long_handler>(); e != nullptr && report_wanted(report_level::warning)) {
      log_report(long_handler_report(*e));
    }
  });
  n.monitor_long_handlers(reporter, threshold);
  return reporter;
}

}  // namespace bitactor::otp
