#include "bitactor/persist/workflow.hpp"

namespace bitactor::persist {

namespace {

// The message a worker sends when its step returned.
struct step_result {
  std::string step;
  std::string result;
};

// Runs one step in a process of its own (on the blocking pool), reports the result to the
// coordinator and ends. Linked to the coordinator, so it does not outlive it.
class step_worker : public actor {
 public:
  step_worker(pid coordinator, step_context ctx, step_function run)
      : coordinator_(coordinator), ctx_(std::move(ctx)), run_(std::move(run)) {}
  void on_start() override {
    link(coordinator_);
    std::string result = run_(ctx_);  // an exception ends the worker with it
    send(coordinator_, step_result{ctx_.step, std::move(result)});
    exit(exit_reason::normal());
  }
  void handle(message&) override {}

 private:
  pid coordinator_;
  step_context ctx_;
  step_function run_;
};

}  // namespace

workflow::workflow(persistence& p, workflow_spec spec)
    : event_sourced(p, {.persistence_id = "workflow/" + spec.id}), spec_(std::move(spec)) {}

void workflow::apply(const step_completed& e) { state().results[e.step] = e.result; }

void workflow::on_recovery_completed() {
  trap_exit(true);  // a worker's crash is a step to run again, not the coordinator's end
  advance();
}

bool workflow::complete() const {
  for (const auto& stage : spec_.stages) {
    for (const auto& step : stage) {
      if (!state().results.contains(step.name)) return false;
    }
  }
  return true;
}

const workflow_step* workflow::find_step(const std::string& name) const {
  for (const auto& stage : spec_.stages) {
    for (const auto& step : stage) {
      if (step.name == name) return &step;
    }
  }
  return nullptr;
}

void workflow::advance() {
  for (const auto& stage : spec_.stages) {
    bool stage_done = true;
    for (const auto& step : stage) {
      if (state().results.contains(step.name)) continue;
      stage_done = false;
      if (!running_.contains(step.name)) start_step(step, 1);
    }
    if (!stage_done) return;  // the next stage waits for this one
  }
  for (const otp::from& w : waiters_) reply_when_durable(w, state().results);
  waiters_.clear();
}

void workflow::start_step(const workflow_step& step, unsigned attempt) {
  step_context ctx{spec_.id, step.name, state().results};
  pid worker = this_node().spawn_blocking<step_worker>(self(), std::move(ctx), step.run);
  monitor(worker);  // DOWN comes after the worker's result: both are the worker's signals
  running_[step.name] = {worker, attempt};
}

void workflow::handle_command(command_context& c) {
  c.match([&](await_workflow&) {
    if (complete()) {
      c.reply(state().results);
    } else {
      waiters_.push_back(c.defer());
    }
  });
}

void workflow::handle_message(message& m) {
  if (auto* r = m.get_if<step_result>()) {
    if (state().results.contains(r->step)) return;  // a second run's late report
    persist(step_completed{r->step, r->result});
    running_.erase(r->step);
    advance();
    return;
  }
  if (auto* d = m.get_if<down_msg>()) {
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      if (it->second.worker != d->process) continue;
      // The worker died without reporting: run the step again.
      std::string name = it->first;
      unsigned attempts = it->second.attempts;
      running_.erase(it);
      if (attempts >= spec_.max_attempts) {
        exit(exit_reason::error(
            term::tuple(term::atom("workflow_failed"), term::binary(name), d->reason.as_term())));
      }
      start_step(*find_step(name), attempts + 1);
      return;
    }
  }
  // exit_msg of a linked worker (its normal end, or the coordinator's own link): ignored.
}

}  // namespace bitactor::persist
