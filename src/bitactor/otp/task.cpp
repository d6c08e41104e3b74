#include "bitactor/otp/task.hpp"

#include <stdexcept>

namespace bitactor::otp {
namespace detail {

std::string describe_task(const pid& task) { return "await of task " + task.to_string(); }

message_ptr await_from_thread(node& n, inbox& box, const pid& task, const ref& tag,
                              const ref& monitor, std::chrono::milliseconds timeout) {
  // The link's exit_msg of the task is not the answer: the DOWN is.
  wait_outcome o = wait_on_thread(n, box, {tag, monitor, pid{}, timeout, false});
  switch (o.kind) {
    case wait_outcome::how::matched:
      return std::move(o.matched);
    case wait_outcome::how::timeout:
      // Task.await: a task that did not finish in time is of no more use; kill it.
      n.exit(task, exit_reason::kill());
      throw call_error(otp::detail::timeout_reason(), describe_task(task));
    default:
      throw call_error(o.reason, describe_task(task));
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
