#include "bitactor/otp/supervisor.hpp"

#include <algorithm>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {
namespace {

// A child's id in a reason term: an atom, as OTP child ids usually are (ids are the program's
// own names, so they do not grow the atom table without bound); a binary when it cannot be one.
term::term child_id_term(const std::string& id) {
  if (term::valid_atom_name(id)) return term::atom(id);
  return term::binary(id);
}

}  // namespace

child_spec child_spec::supervisor(std::string id, supervisor_spec spec) {
  child_spec c{std::move(id), start_link_fn<otp::supervisor>(std::move(spec))};
  c.kind = child_kind::supervisor;
  c.shutdown = shutdown_policy::wait_forever();
  return c;
}

supervisor::supervisor(supervisor_spec spec)
    : flags_(spec.flags), initial_(std::move(spec.children)) {}

bool supervisor::add_restart(std::deque<std::chrono::milliseconds>& restarts,
                             std::chrono::milliseconds now, int intensity,
                             std::chrono::milliseconds period) {
  // supervisor.erl: keep the restarts R with R >= Now - Period, add Now, and allow it while
  // their number is at most Intensity.
  const auto threshold = now - period;
  while (!restarts.empty() && restarts.back() < threshold) restarts.pop_back();
  restarts.push_front(now);
  return restarts.size() <= static_cast<std::size_t>(std::max(intensity, 0));
}

void supervisor::init() {
  trap_exit(true);
  if (simple()) {
    if (initial_.size() != 1) {
      stop(exit_reason::error(
          term::tuple(term::atom("bad_start_spec"),
                      term::binary("simple_one_for_one needs exactly one child"))));
      return;
    }
    template_ = std::move(initial_.front());
    initial_.clear();
    return;
  }
  for (auto& spec : initial_) {
    if (index_of_id(spec.id) >= 0) {
      stop(exit_reason::error(
          term::tuple(term::atom("duplicate_child_name"), child_id_term(spec.id))));
      return;
    }
    children_.push_back(child{std::move(spec), pid{}, next_key_++, false});
  }
  initial_.clear();
  start_initial_children();
}

async supervisor::start_initial_children() {
  for (std::size_t i = 0; i < children_.size(); ++i) {
    std::uint64_t key = children_[i].key;
    start_result r = co_await start_child_process(children_[i].spec.start);
    child* c = find_by_key(key);
    if (!record_start(*c, r)) {
      term::term detail = term::tuple(term::atom("failed_to_start_child"),
                                      child_id_term(c->spec.id), r.reason.as_term());
      co_await stop_range(0, i);
      stop(exit_reason::shutdown(detail));
      co_return;
    }
  }
}

bool supervisor::record_start(child& c, const start_result& r) {
  if (r.ok()) {
    c.process = r.process;
    if (!report_wanted(spdlog::level::info)) return true;
    report rep;
    rep.type = report::kind::progress;
    rep.level = spdlog::level::info;
    rep.add("supervisor", self().to_string()).add("child", c.spec.id);
    rep.add("child_pid", r.process.to_string());
    log_report(rep);
    return true;
  }
  c.process = {};
  if (r.ignored()) return true;
  supervisor_report(c, pid{}, r.reason, "start_error");
  return false;
}

void supervisor::handle_info(message& m) {
  if (auto* e = m.get_if<exit_msg>()) {
    on_child_exit(e->from, e->reason);
  } else if (auto* t = m.get_if<try_again_restart>()) {
    restart_after_exit(t->key);
  }
}

async supervisor::on_child_exit(pid who, exit_reason reason) {
  std::ptrdiff_t idx = index_of_pid(who);
  if (idx < 0) co_return;  // not (or no longer) a child of ours
  child& c = children_[static_cast<std::size_t>(idx)];
  c.process = {};
  const bool restart = c.spec.restart == restart_type::permanent ||
                       (c.spec.restart == restart_type::transient && !reason.is_clean());
  if (!reason.is_clean()) {
    supervisor_report(c, who, reason, restart ? "restarting" : "child_terminated");
  }
  if (!restart) {
    const bool shut = c.spec.significant && should_auto_shutdown(c);
    if (c.spec.restart == restart_type::temporary || simple()) {
      children_.erase(children_.begin() + idx);
    }
    if (shut) stop(exit_reason::shutdown());
    co_return;
  }
  co_await restart_after_exit(c.key);
}

async supervisor::restart_after_exit(std::uint64_t key) {
  child* c = find_by_key(key);
  if (c == nullptr || c->process) co_return;
  if (!add_restart(restarts_, this_node().now(), flags_.intensity, flags_.period)) {
    supervisor_report(*c, pid{}, exit_reason::shutdown(), "reached_max_restart_intensity");
    stop(exit_reason::shutdown());
    co_return;
  }
  std::size_t idx = static_cast<std::size_t>(c - children_.data());
  std::size_t first = idx, last = idx + 1;
  if (flags_.strategy == restart_strategy::one_for_all) {
    first = 0;
    last = children_.size();
  } else if (flags_.strategy == restart_strategy::rest_for_one) {
    last = children_.size();
  }
  co_await stop_range(first, last);
  std::vector<std::uint64_t> keys;
  for (std::size_t i = first; i < last && i < children_.size(); ++i) {
    keys.push_back(children_[i].key);
  }
  for (std::uint64_t k : keys) {
    child* s = find_by_key(k);
    if (s == nullptr) continue;
    if (k != key && s->spec.restart == restart_type::temporary) {
      children_.erase(children_.begin() + (s - children_.data()));  // stopped, not restarted
      continue;
    }
    start_result r = co_await start_child_process(s->spec.start);
    s = find_by_key(k);
    if (s != nullptr && !record_start(*s, r)) {
      // supervisor.erl: a failed restart is retried later and counts as a restart.
      send(self(), try_again_restart{k});
    }
  }
}

async supervisor::stop_range(std::size_t from, std::size_t to) {
  std::vector<std::uint64_t> keys;
  for (std::size_t i = std::min(to, children_.size()); i > from; --i) {
    keys.push_back(children_[i - 1].key);  // reverse start order
  }
  for (std::uint64_t k : keys) {
    child* c = find_by_key(k);
    if (c == nullptr || !c->process) continue;
    pid p = c->process;
    shutdown_policy how = c->spec.shutdown;
    // supervisor.erl shutdown/2: monitor, unlink, then exit(shutdown) or kill.
    ref m = monitor(p);
    unlink(p);
    if (how.mode == shutdown_policy::how::brutal_kill) {
      exit(p, exit_reason::kill());
      co_await wait(detail::wait_spec{m, m, pid{}, infinity});
    } else {
      exit(p, exit_reason::shutdown());
      auto t = how.mode == shutdown_policy::how::timeout ? how.timeout : infinity;
      auto outcome = co_await wait(detail::wait_spec{m, m, pid{}, t});
      if (outcome.kind == detail::wait_outcome::how::timeout) {
        exit(p, exit_reason::kill());
        co_await wait(detail::wait_spec{m, m, pid{}, infinity});
      }
    }
    if (child* after = find_by_key(k)) after->process = {};
  }
}

void supervisor::terminate(const exit_reason&) { shutdown_all(); }

async supervisor::shutdown_all() { co_await stop_range(0, children_.size()); }

bool supervisor::should_auto_shutdown(const child& exited) const {
  switch (flags_.auto_shutdown) {
    case auto_shutdown_policy::never:
      return false;
    case auto_shutdown_policy::any_significant:
      return true;
    case auto_shutdown_policy::all_significant:
      for (const auto& c : children_) {
        if (&c != &exited && c.spec.significant && c.process) return false;
      }
      return true;
  }
  return false;
}

// --- calls ---------------------------------------------------------------------------------

void supervisor::handle_call(call_context& c) {
  c.match(
      [&](which_children_request&) {
        std::vector<child_info> out;
        for (const auto& ch : children_) out.push_back({ch.spec.id, ch.process, ch.spec.kind});
        return out;
      },
      [&](count_children_request&) {
        child_counts n;
        n.specs = children_.size();
        for (const auto& ch : children_) {
          if (ch.process) ++n.active;
          (ch.spec.kind == child_kind::supervisor ? n.supervisors : n.workers)++;
        }
        return n;
      },
      [&](start_child_request& r) { do_start_child(c.defer(), std::move(r.spec)); },
      [&](terminate_child_request& r) {
        do_terminate_child(c.defer(), std::move(r.id), r.process);
      },
      [&](restart_child_request& r) { do_restart_child(c.defer(), std::move(r.id)); },
      [&](delete_child_request& r) {
        std::ptrdiff_t idx = index_of_id(r.id);
        if (simple()) return start_result::failed(exit_reason::error("simple_one_for_one"));
        if (idx < 0) return start_result::failed(exit_reason::error("not_found"));
        if (children_[static_cast<std::size_t>(idx)].process) {
          return start_result::failed(exit_reason::error("running"));
        }
        children_.erase(children_.begin() + idx);
        return start_result::started(pid{});
      });
}

async supervisor::do_start_child(from caller, child_spec spec) {
  if (simple()) {
    child_spec s = template_;
    if (spec.start) s.start = std::move(spec.start);
    spec = std::move(s);
  } else if (std::ptrdiff_t idx = index_of_id(spec.id); idx >= 0) {
    const child& existing = children_[static_cast<std::size_t>(idx)];
    reply(caller, existing.process ? start_result::already_started(existing.process)
                                   : start_result::failed(exit_reason::error("already_present")));
    co_return;
  }
  std::uint64_t key = next_key_++;
  children_.push_back(child{std::move(spec), pid{}, key, false});
  start_result r = co_await start_child_process(children_.back().spec.start);
  child* c = find_by_key(key);
  bool ok_start = record_start(*c, r);
  if (!ok_start || (r.ignored() && simple())) {
    children_.erase(children_.begin() + (c - children_.data()));
  }
  reply(caller, r);
}

async supervisor::do_terminate_child(from caller, std::string id, pid process) {
  std::ptrdiff_t idx = simple() ? index_of_pid(process) : index_of_id(id);
  if (idx < 0) {
    reply(caller, start_result::failed(exit_reason::error("not_found")));
    co_return;
  }
  std::uint64_t key = children_[static_cast<std::size_t>(idx)].key;
  co_await stop_range(static_cast<std::size_t>(idx), static_cast<std::size_t>(idx) + 1);
  if (child* c = find_by_key(key);
      c != nullptr && (simple() || c->spec.restart == restart_type::temporary)) {
    children_.erase(children_.begin() + (c - children_.data()));
  }
  reply(caller, start_result::started(pid{}));
}

async supervisor::do_restart_child(from caller, std::string id) {
  std::ptrdiff_t idx = simple() ? -1 : index_of_id(id);
  if (idx < 0) {
    reply(caller, start_result::failed(exit_reason::error("not_found")));
    co_return;
  }
  if (children_[static_cast<std::size_t>(idx)].process) {
    reply(caller, start_result::failed(exit_reason::error("running")));
    co_return;
  }
  std::uint64_t key = children_[static_cast<std::size_t>(idx)].key;
  start_result r =
      co_await start_child_process(children_[static_cast<std::size_t>(idx)].spec.start);
  if (child* c = find_by_key(key)) record_start(*c, r);
  reply(caller, r);
}

// --- lookups and reports -------------------------------------------------------------------

supervisor::child* supervisor::find_by_key(std::uint64_t key) {
  for (auto& c : children_) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

std::ptrdiff_t supervisor::index_of_pid(const pid& p) const {
  if (!p) return -1;
  for (std::size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].process == p) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

std::ptrdiff_t supervisor::index_of_id(const std::string& id) const {
  for (std::size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].spec.id == id) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

void supervisor::supervisor_report(const child& c, const pid& was, const exit_reason& reason,
                                   const char* action) {
  if (!report_wanted(spdlog::level::err)) return;
  report rep;
  rep.type = report::kind::supervisor;
  rep.level = spdlog::level::err;
  rep.add("supervisor", self().to_string()).add("child", c.spec.id);
  rep.add("child_pid", was ? was.to_string() : std::string("undefined"));
  rep.add("reason", reason.to_string()).add("action", action);
  log_report(rep);
}

// --- client functions ----------------------------------------------------------------------

start_result start_supervisor(node& n, supervisor_spec spec, std::string name) {
  return start<supervisor>(n, start_options{std::move(name), infinity}, std::move(spec));
}

start_result start_child(node& n, const pid& sup, child_spec spec) {
  return call(n, sup, start_child_request{std::move(spec)}, infinity);
}
start_result start_child(node& n, const pid& sup, start_fn start) {
  child_spec s;
  s.start = std::move(start);
  return call(n, sup, start_child_request{std::move(s)}, infinity);
}
start_result terminate_child(node& n, const pid& sup, const std::string& id) {
  return call(n, sup, terminate_child_request{id, pid{}}, infinity);
}
start_result terminate_child(node& n, const pid& sup, const pid& child) {
  return call(n, sup, terminate_child_request{{}, child}, infinity);
}
start_result restart_child(node& n, const pid& sup, const std::string& id) {
  return call(n, sup, restart_child_request{id}, infinity);
}
start_result delete_child(node& n, const pid& sup, const std::string& id) {
  return call(n, sup, delete_child_request{id}, infinity);
}
std::vector<child_info> which_children(node& n, const pid& sup) {
  return call(n, sup, which_children_request{}, infinity);
}
child_counts count_children(node& n, const pid& sup) {
  return call(n, sup, count_children_request{}, infinity);
}

}  // namespace bitactor::otp
