#include "bitactor/dist/internal/erpc.hpp"

#include "bitactor/core/actor.hpp"

namespace bitactor::dist::detail {

namespace {
term::term atom(const char* name) { return term::atom(name); }

// {cpp_exception, <<Type>>, <<What>>} from core's {exception, <<Type>>, <<What>>}.
term::term cpp_exception(const exit_reason& r) {
  const term::term& t = r.as_term();
  return term::tuple(atom("cpp_exception"), t[1], t[2]);
}
}  // namespace

apply_outcome apply(const rpc_function* fn, term::atom module, term::atom function,
                    const term::term& args) {
  apply_outcome o;
  if (!args.is_list() || !args.as_list().proper()) {
    o.reason = atom("badarg");
    o.stack = term::list(term::tuple(module, function, args, term::nil()));
    return o;
  }
  if (fn == nullptr || !*fn) {
    o.reason = atom("undef");
    o.stack = term::list(term::tuple(module, function, args, term::nil()));
    return o;
  }
  const auto elements = args.as_list().elements;
  o.stack = term::list(term::tuple(module, function, term::term(elements.size()), term::nil()));
  try {
    o.value = (*fn)(elements);
    o.returned = true;
  } catch (const erlang_exception& e) {
    o.cls = e.cls();
    o.reason = e.reason();
  } catch (const bitactor::detail::process_exit&) {
    throw;  // the process's own end, not the function's exception
  } catch (const bitactor::detail::ended_by_signal&) {
    throw;
  } catch (const std::exception& e) {
    o.reason = cpp_exception(exit_reason::from_exception(e));
  } catch (...) {
    o.reason = cpp_exception(exit_reason::from_unknown_exception());
  }
  return o;
}

term::term execute_call_reply(const term::term& res, const apply_outcome& o) {
  if (o.returned) return term::tuple(res, atom("return"), o.value);
  switch (o.cls) {
    case exception_class::throw_:
      return term::tuple(res, atom("throw"), o.reason);
    case exception_class::exit:
      return term::tuple(res, atom("exit"), o.reason);
    case exception_class::error:
      break;
  }
  return term::tuple(res, atom("error"), o.reason, o.stack);
}

exit_reason exit_reason_of(const apply_outcome& o, bool cast) {
  if (o.returned) return exit_reason::normal();
  switch (o.cls) {
    case exception_class::throw_:
      return exit_reason::from_term(term::tuple(term::tuple(atom("nocatch"), o.reason), o.stack));
    case exception_class::exit:
      return exit_reason::from_term(o.reason);
    case exception_class::error:
      break;
  }
  if (cast) {
    return exit_reason::from_term(
        term::tuple(term::tuple(atom("exception"), term::tuple(o.reason, o.stack)), o.stack));
  }
  return exit_reason::from_term(term::tuple(o.reason, o.stack));
}

rpc_error erpc_failure(std::string_view why, const std::string& call) {
  return {exception_class::error, term::tuple(atom("erpc"), term::atom(why)), call};
}

term::term call_result(const term::term& res, const term::term& reason, const std::string& call) {
  if (reason.is_tuple() && reason.size() >= 3 && reason[0] == res) {
    const term::term& what = reason[1];
    if (reason.size() == 3 && what.is_atom("return")) return reason[2];
    if (reason.size() == 3 && what.is_atom("throw")) {
      throw rpc_error(exception_class::throw_, reason[2], call);
    }
    if (reason.size() == 3 && what.is_atom("exit")) {
      throw rpc_error(exception_class::exit, term::tuple(atom("exception"), reason[2]), call);
    }
    if (reason.size() == 4 && what.is_atom("error")) {
      throw rpc_error(exception_class::error, term::tuple(atom("exception"), reason[2], reason[3]),
                      call);
    }
    // {Res, error, {erpc, _}}: execute_call's own argument errors.
    if (reason.size() == 3 && what.is_atom("error") && reason[2].is_tuple() &&
        reason[2].size() == 2 && reason[2][0].is_atom("erpc")) {
      throw rpc_error(exception_class::error, reason[2], call);
    }
  }
  if (reason.is_atom("noconnection")) throw erpc_failure("noconnection", call);
  throw rpc_error(exception_class::exit, term::tuple(atom("signal"), reason), call);
}

}  // namespace bitactor::dist::detail
