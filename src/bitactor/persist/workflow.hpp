#pragma once
// workflow: a durable workflow coordinator. It runs named steps in stages: the steps of a stage
// run in parallel, each in a worker process of its own; the next stage starts when all of them
// are done. Each completed step's result is journaled (the coordinator is an event_sourced
// process), so when the coordinator, a worker or the whole OS process is killed mid-run, the
// restarted coordinator skips the steps that completed and runs the others again.
//
//   persist::workflow_spec spec{
//       .id = "order-17",
//       .stages = {{{"reserve", reserve}, {"charge", charge}, {"notify", notify}},   // parallel
//                  {{"ship", ship}},                                               // then ship
//                  {{"close", close}}}};                                           // then close
//   auto wf = otp::start<persist::workflow>(node, {.name = "order-17"}, std::ref(p), spec);
//   auto results = otp::call(node, wf.process, persist::await_workflow{}, timeout);
//
// A step may therefore run more than once (killed after its effect, before its result was
// journaled). It must make its effect idempotent with the key the context gives it
// (`ctx.key()`, the workflow id and the step name): a keyed<Req> command to a persistent
// process applies it once, so every step's effect happens exactly once.
//
// Steps run on the node's blocking pool (they may block, e.g. in otp::call). A step that
// throws or whose worker dies is run again, up to max_attempts; then the workflow fails with
// `{workflow_failed, Step, Reason}` (a supervisor restarting it resumes from the journal).

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bitactor/persist/event_sourced.hpp"

namespace bitactor::persist {

/// What a step sees.
struct step_context {
  std::string workflow_id;
  std::string step;
  /// The results of the steps of earlier stages, by name.
  std::map<std::string, std::string> earlier;
  /// The idempotency key for the step's effect: "<workflow id>/<step>".
  std::string key() const { return workflow_id + "/" + step; }
};

using step_function = std::function<std::string(const step_context&)>;

struct workflow_step {
  std::string name;
  step_function run;
};

struct workflow_spec {
  /// The workflow's persistence id is "workflow/<id>".
  std::string id;
  /// Each stage's steps run in parallel; stages run in order.
  std::vector<std::vector<workflow_step>> stages;
  /// Runs of one step before the workflow fails.
  unsigned max_attempts = 5;
};

/// Call: the results by step name, once every step completed (a deferred reply until then).
struct await_workflow {
  using reply = std::map<std::string, std::string>;
};

/// The journaled event: a step completed with a result.
struct step_completed {
  std::string step;
  std::string result;
};
template <>
struct codec<step_completed> {
  static term::term to_term(const step_completed& e) {
    return term::tuple(term::binary(e.step), term::binary(e.result));
  }
  static step_completed from_term(const term::term& t) {
    return {std::string(t[0].as_binary_view()), std::string(t[1].as_binary_view())};
  }
};

struct workflow_progress {
  std::map<std::string, std::string> results;
};

class workflow : public event_sourced<workflow_progress, step_completed> {
 public:
  workflow(persistence& p, workflow_spec spec);

 protected:
  void apply(const step_completed& e) override;
  void on_recovery_completed() override;
  void handle_command(command_context& c) override;
  void handle_message(message& m) override;

 private:
  struct running_step {
    pid worker;
    unsigned attempts = 0;
  };
  /// Starts the steps of the first stage not yet complete; answers the waiters when all are.
  void advance();
  void start_step(const workflow_step& step, unsigned attempt);
  const workflow_step* find_step(const std::string& name) const;
  bool complete() const;

  workflow_spec spec_;
  std::map<std::string, running_step> running_;
  std::vector<otp::from> waiters_;
};

}  // namespace bitactor::persist
