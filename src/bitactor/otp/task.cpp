#include "bitactor/otp/task.hpp"

#include <bitactor/core/internal/deadline.hpp>
#include <stdexcept>

namespace bitactor::otp {
namespace detail {

std::string describe_task(const pid& task) { return "await of task " + task.to_string(); }

message_ptr await_from_thread(node& n, inbox& box, const pid& task, const ref& tag,
                              const ref& monitor, std::chrono::milliseconds timeout) {
  // Saturating: a timeout past the clock's range (milliseconds::max()) waits forever.
  auto now = [&n] { return static_cast<std::uint64_t>(n.now().count()); };
  const std::uint64_t deadline = bitactor::detail::deadline_after(now(), timeout);
  while (true) {
    const std::uint64_t at = now();
    auto left = deadline == bitactor::detail::never_ms
                    ? std::chrono::milliseconds::max()
                    : bitactor::detail::as_duration(deadline > at ? deadline - at : 0);
    message_ptr m = box.receive_any(left);
    if (!m) {
      // Task.await: a task that did not finish in time is of no more use; kill it.
      n.exit(task, exit_reason::kill());
      throw call_error(otp::detail::timeout_reason(), describe_task(task));
    }
    if (auto* r = m->get_if<call_reply>(); r != nullptr && r->tag == tag) return m;
    if (auto* d = m->get_if<down_msg>(); d != nullptr && d->monitor == monitor) {
      throw call_error(d->reason, describe_task(task));
    }
    // Anything else (the link's exit_msg of the task) is not the answer: the DOWN is.
  }
}

}  // namespace detail

supervisor_spec task_supervisor_spec() {
  child_spec tmpl;
  tmpl.id = "task";
  tmpl.start = [](actor&) -> child_start {
    throw std::logic_error("a task supervisor starts children with start_task or async_nolink");
  };
  tmpl.restart = restart_type::temporary;
  tmpl.shutdown = shutdown_policy::brutal_kill();
  supervisor_spec spec;
  spec.flags.strategy = restart_strategy::simple_one_for_one;
  spec.flags.intensity = 0;  // temporary children are never restarted
  spec.children.push_back(std::move(tmpl));
  return spec;
}

start_result start_task_supervisor(node& n, std::string name) {
  return start_supervisor(n, task_supervisor_spec(), std::move(name));
}

}  // namespace bitactor::otp
