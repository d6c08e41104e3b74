#pragma once
// Internal: the process a SPAWN_REQUEST from another node starts (what erts_internal:
// dist_spawn_init is on BEAM). It applies the requested function once, when it starts, and
// ends with the reason erpc or BEAM would give it:
//  - erpc:execute_call(Res, M, F, A) (rpc:call, erpc:call): exits with {Res, return, Value}
//    or how M:F/length(A) raised, which the caller's monitor carries back as its DOWN;
//  - erpc:execute_cast(M, F, A) (rpc:cast, erpc:cast): runs M:F/length(A), nothing goes back;
//  - any other M:F(Args) (spawn/4 and its kin): runs the function registered as
//    M:F/length(Args) and ends normally, or with its exception's exit reason.
// A function not registered is undefined: it raises error undef, as in BEAM, so a
// plain spawn of it exits with {undef, [{M, F, Args, []}]}.

#include <memory>

#include "bitactor/core/actor.hpp"
#include "bitactor/dist/internal/rpc_registry.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist::detail {

/// What a spawn of module:function(args) runs.
struct spawn_plan {
  enum class kind : unsigned char { call, cast, plain };
  kind how = kind::plain;
  term::term res;  // call: erpc's result ref
  term::atom module;
  term::atom function;
  term::term args;
  std::shared_ptr<const rpc_registry::entry> target;  // nullptr: undefined
  bool badarg = false;  // erpc's M or F is not an atom: apply/3 raises badarg

  bool blocking() const noexcept { return target && target->options.blocking; }
};

/// The plan for a spawn of module:function(args), with the functions of `functions`.
spawn_plan plan_spawn(const rpc_registry& functions, term::atom module, term::atom function,
                      const term::term& args);

class spawned_apply final : public actor {
 public:
  explicit spawned_apply(spawn_plan plan) : plan_(std::move(plan)) {}
  void on_start() override;
  void handle(message&) override {}

 private:
  spawn_plan plan_;
};

}  // namespace bitactor::dist::detail
