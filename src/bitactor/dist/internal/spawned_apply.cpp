#include "bitactor/dist/internal/spawned_apply.hpp"

#include "bitactor/dist/internal/erpc.hpp"

namespace bitactor::dist::detail {

namespace {
std::size_t length_of(const term::term& args) {
  return args.is_list() && args.as_list().proper() ? args.size() : 0;
}
}  // namespace

spawn_plan plan_spawn(const rpc_registry& functions, term::atom module, term::atom function,
                      const term::term& args) {
  spawn_plan p;
  p.module = module;
  p.function = function;
  p.args = args;
  const std::size_t n = length_of(args);
  const bool from_erpc = module.name() == "erpc";
  if (from_erpc && function.name() == "execute_call" && n == 4) {
    // [Res, M, F, A] (erpc.erl call/5)
    p.how = spawn_plan::kind::call;
    p.res = args[0];
    p.args = args[3];
  } else if (from_erpc && function.name() == "execute_cast" && n == 3) {
    // [M, F, A] (erpc.erl cast/4)
    p.how = spawn_plan::kind::cast;
    p.args = args[2];
  } else {
    p.target = functions.find(module.name(), function.name(), n);
    return p;
  }
  const std::size_t at = p.how == spawn_plan::kind::call ? 1 : 0;
  if (!args[at].is_atom() || !args[at + 1].is_atom()) {
    p.badarg = true;  // apply/3 of a module or function that is not an atom
    return p;
  }
  p.module = args[at].as_atom();
  p.function = args[at + 1].as_atom();
  p.target = functions.find(p.module.name(), p.function.name(), length_of(p.args));
  return p;
}

void spawned_apply::on_start() {
  const rpc_function* fn = plan_.target ? &plan_.target->function : nullptr;
  apply_outcome o;
  if (plan_.badarg) {
    o.reason = term::atom("badarg");
  } else {
    o = apply(fn, plan_.module, plan_.function, plan_.args);
  }
  plan_.target.reset();
  if (plan_.how == spawn_plan::kind::call) {
    stop(exit_reason::from_term(execute_call_reply(plan_.res, o)));
  } else {
    stop(exit_reason_of(o, plan_.how == spawn_plan::kind::cast));
  }
}

}  // namespace bitactor::dist::detail
