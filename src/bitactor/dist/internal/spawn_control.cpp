#include "bitactor/dist/internal/spawn_control.hpp"

namespace bitactor::dist {

namespace {
term::term op_term(op o) { return term::term(static_cast<int>(o)); }

// erts_parse_spawn_opts: `link`, `monitor` and `{monitor, MonitorOpts}` matter here.
void read_options(const term::term& opts, spawn_request& r) {
  if (!opts.is_list() || !opts.as_list().proper()) {
    r.options_ok = false;
    return;
  }
  for (const term::term& o : opts.as_list().elements) {
    if (o.is_atom("link")) r.link = true;
    if (o.is_atom("monitor") || (o.is_tuple() && o.size() == 2 && o[0].is_atom("monitor"))) {
      r.monitor = true;
    }
  }
}
}  // namespace

std::optional<spawn_request> parse_spawn_request(const control_frame& f) {
  const term::term& c = f.control;
  const bool tt =
      c.size() > 0 && c[0].is_small() && c[0].as_int() == static_cast<int>(op::spawn_request_tt);
  if (c.size() != (tt ? 7U : 6U) || !f.message || !f.message->is_list()) return std::nullopt;
  const term::term& mfa = c[4];
  if (!c[1].is_reference() || !c[2].is_pid() || !c[3].is_pid() || !mfa.is_tuple() ||
      mfa.size() != 3 || !mfa[0].is_atom() || !mfa[1].is_atom() || !mfa[2].is_small()) {
    return std::nullopt;
  }
  spawn_request r;
  r.req_id = c[1];
  r.from = c[2];
  r.group_leader = c[3];
  r.module = mfa[0].as_atom();
  r.function = mfa[1].as_atom();
  r.args = *f.message;
  read_options(c[5], r);
  return r;
}

term::term spawn_request_control(const term::term& req_id, const term::term& from,
                                 const term::term& group_leader, term::atom module,
                                 term::atom function, std::size_t arity,
                                 const term::term& options) {
  return term::tuple(op_term(op::spawn_request), req_id, from, group_leader,
                     term::tuple(module, function, term::term(arity)), options);
}

std::optional<spawn_reply> parse_spawn_reply(const control_frame& f) {
  const term::term& c = f.control;
  const bool tt =
      c.size() > 0 && c[0].is_small() && c[0].as_int() == static_cast<int>(op::spawn_reply_tt);
  if (c.size() != (tt ? 6U : 5U)) return std::nullopt;
  // dist.c: Flags is a small below 2^27, Result a pid or an atom.
  if (!c[1].is_reference() || !c[2].is_pid() || !c[3].is_small() || c[3].as_int() < 0 ||
      c[3].as_int() >= (std::int64_t{1} << 27) || !(c[4].is_pid() || c[4].is_atom())) {
    return std::nullopt;
  }
  return spawn_reply{.req_id = c[1], .to = c[2], .flags = c[3].as_int(), .result = c[4]};
}

term::term spawn_reply_control(const spawn_reply& r) {
  return term::tuple(op_term(op::spawn_reply), r.req_id, r.to, term::term(r.flags), r.result);
}

}  // namespace bitactor::dist
