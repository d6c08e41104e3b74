// proc_lib's crash report (OTP: proc_lib crash_report/4): who ended, why, and what the
// process was when it did.
#include "bitactor/core/actor.hpp"
#include "bitactor/core/node.hpp"
#include "bitactor/otp/report.hpp"

namespace bitactor::otp {

void log_crash_report(actor& who, const exit_reason& reason) {
  if (!report_wanted(report_level::error)) return;
  report r;
  r.type = report::kind::crash;
  r.level = report_level::error;
  r.add("process", to_term_pid(who.self()));
  r.add("reason", reason.as_term());
  if (reason.code() == exit_reason::kind::exception) {
    auto parts = reason.detail().as_tuple();  // {exception, Type, What}
    std::string text(parts[1].as_binary_view());
    text += ": ";
    text += parts[2].as_binary_view();
    r.add("exception", term::binary(text));
  }
  if (auto info = who.this_node().info(who.self())) {
    r.add("messages_handled", info->messages_handled);
    std::vector<term::term> links;
    links.reserve(info->links.size());
    for (const pid& p : info->links) links.emplace_back(to_term_pid(p));
    r.add("links", term::list_from(std::move(links)));
    if (info->registered_name) r.add("registered_name", name_term(*info->registered_name));
    r.add("actor_type", term::binary(info->actor_type));
  }
  log_report(r);
}

}  // namespace bitactor::otp
