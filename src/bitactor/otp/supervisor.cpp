#include "bitactor/otp/supervisor.hpp"

#include <algorithm>
#include <list>
#include <unordered_map>
#include <unordered_set>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {

child_spec child_spec::supervisor(std::string id, supervisor_spec spec) {
  child_spec c{std::move(id), start_link_fn<otp::supervisor>(spec)};
  c.start_registered_as = [spec](std::string name) {
    return start_link_named_fn<otp::supervisor>(std::move(name), spec);
  };
  c.kind = child_kind::supervisor;
  c.shutdown = shutdown_policy::wait_forever();
  return c;
}

// --- validation (supervisor.erl check_childspec/2, check_flags/1) -----------------------------

namespace {

supervisor_result<void> check_childspec(const child_spec& spec,
                                        std::optional<auto_shutdown_policy> auto_shutdown) {
  using err = supervisor_error;
  if (!spec.start) return unexpected(err::missing_start());
  if (spec.shutdown.mode == shutdown_policy::how::timeout && spec.shutdown.timeout.count() < 0) {
    return unexpected(err::invalid_shutdown(spec.shutdown.timeout.count()));
  }
  if (spec.significant) {
    // validSignificant/3: a permanent child can never end for good, and under `never`
    // its end would mean nothing.
    if (spec.restart == restart_type::permanent) {
      return unexpected(err::bad_combination(err::combination::significant_permanent));
    }
    if (auto_shutdown == auto_shutdown_policy::never) {
      return unexpected(err::bad_combination(err::combination::significant_without_auto_shutdown));
    }
  }
  return {};
}

std::string bad_start_spec(const std::vector<child_spec>& specs) {
  std::string ids = "[";
  for (std::size_t i = 0; i < specs.size(); ++i) ids += (i ? "," : "") + specs[i].id;
  return "{bad_start_spec," + ids + "]}";
}

}  // namespace

supervisor_result<void> check_childspecs(const std::vector<child_spec>& specs,
                                         std::optional<auto_shutdown_policy> auto_shutdown) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(specs.size());
  for (const auto& spec : specs) {
    if (auto ok_spec = check_childspec(spec, auto_shutdown); !ok_spec) return ok_spec;
    if (!seen.insert(spec.id).second) {
      return unexpected(supervisor_error::duplicate_child_name(spec.id));
    }
  }
  return {};
}

// --- the children ------------------------------------------------------------------------------

struct supervisor::child {
  child_spec spec;  // a dynamic child: the template's, with its own start function
  pid process;      // while running
  child_status status = child_status::undefined;
  std::uint64_t key = 0;
  bool dynamic = false;
  pid indexed;  // the pid it is found by: the running one, or a dynamic child's last one
                // while it restarts (OTP keys such a child {restarting, OldPid})
};

// Children in start order with an index by key (coroutines find a child again after a wait
// by its key), by id (static children) and by pid, so that each start, exit, stop and removal
// costs O(1) and a supervisor of N children starts and stops in O(N).
struct supervisor::state {
  using list = std::list<child>;
  list children;
  std::unordered_map<std::uint64_t, list::iterator> by_key;
  std::unordered_map<std::string, list::iterator> by_id;
  std::unordered_map<pid, list::iterator> by_pid;
  std::uint64_t next_key = 1;

  child* find(std::uint64_t key) {
    auto it = by_key.find(key);
    return it == by_key.end() ? nullptr : &*it->second;
  }
  child* find_id(const std::string& id) {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &*it->second;
  }
  child* find_pid(const pid& p) {
    if (!p) return nullptr;
    auto it = by_pid.find(p);
    return it == by_pid.end() ? nullptr : &*it->second;
  }
  child& add(child_spec spec, bool dynamic) {
    const std::uint64_t key = next_key++;
    auto it = children.insert(children.end(), child{std::move(spec), {}, {}, key, dynamic, {}});
    by_key.emplace(key, it);
    if (!dynamic) by_id.emplace(it->spec.id, it);
    return *it;
  }
  void index_pid(child& c, const pid& p) {
    if (c.indexed) by_pid.erase(c.indexed);
    c.indexed = p;
    if (p) by_pid[p] = by_key.at(c.key);
  }
  void set_running(child& c, const pid& p) {
    c.process = p;
    c.status = child_status::running;
    index_pid(c, p);
  }
  /// The child no longer runs (it exited or is being stopped).
  void set_stopped(child& c) {
    c.process = {};
    c.status = child_status::undefined;
    index_pid(c, pid{});
  }
  void erase(std::uint64_t key) {
    auto it = by_key.find(key);
    if (it == by_key.end()) return;
    auto c = it->second;
    if (c->indexed) by_pid.erase(c->indexed);
    if (!c->dynamic) by_id.erase(c->spec.id);
    by_key.erase(it);
    children.erase(c);
  }
  std::vector<std::uint64_t> keys() const {
    std::vector<std::uint64_t> out;
    out.reserve(children.size());
    for (const auto& c : children) out.push_back(c.key);
    return out;
  }
  /// The key of `key` and those after it, in start order.
  std::vector<std::uint64_t> keys_from(std::uint64_t key) const {
    std::vector<std::uint64_t> out;
    auto it = by_key.at(key);
    for (; it != children.end(); ++it) out.push_back(it->key);
    return out;
  }
};

supervisor::supervisor(supervisor_spec spec)
    : flags_(spec.flags), initial_(std::move(spec.children)), state_(std::make_unique<state>()) {}

supervisor::~supervisor() = default;

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
  // supervisor.erl init/1: bad flags stop it with {supervisor_data, E}, bad child specs
  // with {start_spec, E}; nothing is started.
  if (flags_.intensity < 0) {
    stop(exit_reason::error(
        term::tuple(term::atom("supervisor_data"),
                    supervisor_error::invalid_intensity(flags_.intensity).as_term())));
    return;
  }
  if (flags_.period.count() <= 0) {
    stop(exit_reason::error(
        term::tuple(term::atom("supervisor_data"),
                    supervisor_error::invalid_period(flags_.period.count()).as_term())));
    return;
  }
  if (simple() && initial_.size() != 1) {
    stop(exit_reason::error(bad_start_spec(initial_)));
    return;
  }
  if (auto checked = check_childspecs(initial_, flags_.auto_shutdown); !checked) {
    stop(exit_reason::error(term::tuple(term::atom("start_spec"), checked.error().as_term())));
    return;
  }
  if (simple()) {
    template_ = std::move(initial_.front());
    initial_.clear();
    return;
  }
  state_->by_key.reserve(initial_.size());
  state_->by_id.reserve(initial_.size());
  state_->by_pid.reserve(initial_.size());
  for (auto& spec : initial_) state_->add(std::move(spec), false);
  initial_.clear();
  initial_.shrink_to_fit();
  start_initial_children();
}

async supervisor::start_initial_children() {
  const std::vector<std::uint64_t> keys = state_->keys();
  std::uint64_t failed = 0;
  exit_reason why;
  co_await start_in_order(keys, &failed, &why);
  if (failed == 0) co_return;
  const std::string id = state_->find(failed)->spec.id;
  std::vector<std::uint64_t> started = state_->keys();
  std::reverse(started.begin(), started.end());
  co_await stop_each(started);
  stop(exit_reason::shutdown(supervisor_error::failed_to_start_child(id, why).as_term()));
}

async supervisor::start_in_order(const std::vector<std::uint64_t>& keys, std::uint64_t* failed,
                                 exit_reason* why) {
  for (std::uint64_t k : keys) {
    child* c = state_->find(k);
    if (c == nullptr || c->process) continue;
    start_result r = co_await start_child_process(c->spec.start);
    c = state_->find(k);
    if (c == nullptr) continue;
    if (!record_start(*c, r)) {
      supervisor_report(*c, pid{}, r.reason, "start_error");
      *failed = k;
      *why = r.reason;
      co_return;
    }
    // supervisor.erl start_children: a temporary child whose start returns ignore is
    // dropped; a dynamic one has no spec to keep either.
    if (r.ignored() && (c->dynamic || c->spec.restart == restart_type::temporary)) {
      state_->erase(k);
    }
  }
}

bool supervisor::record_start(child& c, const start_result& r) {
  if (!r.ok()) {
    state_->set_stopped(c);
    return r.ignored();
  }
  state_->set_running(c, r.process);
  // OTP keeps neither the start function nor its arguments of a temporary child: it is
  // never started again.
  if (c.spec.restart == restart_type::temporary) {
    c.spec.start = nullptr;
    c.spec.start_registered_as = nullptr;
  }
  if (!report_wanted(report_level::info)) return true;
  report rep;
  rep.type = report::kind::progress;
  rep.level = report_level::info;
  rep.add("supervisor", to_term_pid(self())).add("child", name_term(c.spec.id));
  rep.add("child_pid", to_term_pid(r.process));
  log_report(rep);
  return true;
}

void supervisor::handle_info(message& m) {
  if (auto* e = m.get_if<exit_msg>()) {
    on_child_exit(e->from, e->reason);
  } else if (auto* t = m.get_if<try_again_restart>()) {
    // supervisor.erl try_again_restart: only a child still in its restart loop (a
    // terminate_child in between ended the loop).
    if (child* c = state_->find(t->key); c != nullptr && c->status == child_status::restarting) {
      restart(t->key);
    }
  }
}

void supervisor::on_child_exit(const pid& who, const exit_reason& reason) {
  child* c = state_->find_pid(who);
  if (c == nullptr || c->process != who) return;  // not (or no longer) a child of ours
  state_->set_stopped(*c);
  const bool again = c->spec.restart == restart_type::permanent ||
                     (c->spec.restart == restart_type::transient && !reason.is_clean());
  if (!reason.is_clean()) {
    supervisor_report(*c, who, reason, again ? "restarting" : "child_terminated");
  }
  if (again) {
    c->indexed = who;  // restart() indexes a dynamic child by it if the restart fails
    restart(c->key);
    return;
  }
  const bool shut = c->spec.significant && should_auto_shutdown(*c);
  if (c->spec.restart == restart_type::temporary || c->dynamic) state_->erase(c->key);
  if (shut) stop(exit_reason::shutdown());
}

async supervisor::restart(std::uint64_t key) {
  child* c = state_->find(key);
  if (c == nullptr || c->process) co_return;
  const pid last = c->indexed;
  state_->index_pid(*c, pid{});
  if (!add_restart(restarts_, this_node().now(), flags_.intensity, flags_.period)) {
    supervisor_report(*c, pid{}, exit_reason::shutdown(), "reached_max_restart_intensity");
    stop(exit_reason::shutdown());
    co_return;
  }
  std::vector<std::uint64_t> range{key};
  if (flags_.strategy == restart_strategy::one_for_all) {
    range = state_->keys();
  } else if (flags_.strategy == restart_strategy::rest_for_one) {
    range = state_->keys_from(key);
  }
  if (range.size() > 1) {
    // supervisor.erl terminate_children: the others stop in reverse start order, and the
    // temporary ones among them are dropped rather than restarted.
    std::vector<std::uint64_t> others(range.rbegin(), range.rend());
    std::erase(others, key);
    co_await stop_each(others);
    std::erase_if(range, [&](std::uint64_t k) {
      child* s = state_->find(k);
      if (s == nullptr) return true;
      if (k == key || s->spec.restart != restart_type::temporary) return false;
      state_->erase(k);
      return true;
    });
  }
  std::uint64_t failed = 0;
  exit_reason why;
  co_await start_in_order(range, &failed, &why);
  if (failed == 0) co_return;
  // A failed restart is retried later and counts as a restart (supervisor.erl
  // try_again_restart). The children after it under one_for_all / rest_for_one stay down
  // until it starts: the retry restarts them with it.
  if (child* f = state_->find(failed)) {
    f->status = child_status::restarting;
    if (f->dynamic && failed == key) state_->index_pid(*f, last);
  }
  send(self(), try_again_restart{failed});
}

async supervisor::stop_each(const std::vector<std::uint64_t>& keys) {
  for (std::uint64_t k : keys) {
    child* c = state_->find(k);
    if (c == nullptr || !c->process) continue;
    const pid p = c->process;
    const shutdown_policy how = c->spec.shutdown;
    state_->set_stopped(*c);  // its exit is the stopper's, not a crash to react to
    co_await stop_one(p, how);
  }
}

async supervisor::stop_one(pid p, shutdown_policy how) {
  // supervisor.erl shutdown/2: monitor, unlink, then exit(shutdown) or kill.
  ref m = monitor(p);
  unlink(p);
  if (how.mode == shutdown_policy::how::brutal_kill) {
    exit(p, exit_reason::kill());
    co_await wait(detail::wait_spec{m, m, pid{}, infinity, false});
    co_return;
  }
  exit(p, exit_reason::shutdown());
  auto t = how.mode == shutdown_policy::how::timeout ? how.timeout : infinity;
  auto outcome = co_await wait(detail::wait_spec{m, m, pid{}, t, false});
  if (outcome.kind == detail::wait_outcome::how::timeout) {
    exit(p, exit_reason::kill());
    co_await wait(detail::wait_spec{m, m, pid{}, infinity, false});
  }
}

void supervisor::terminate(const exit_reason&) { shutdown_all(); }

async supervisor::shutdown_all() {
  if (simple()) {
    co_await stop_dynamic_children();
    co_return;
  }
  std::vector<std::uint64_t> keys = state_->keys();
  std::reverse(keys.begin(), keys.end());
  co_await stop_each(keys);
}

async supervisor::stop_dynamic_children() {
  // supervisor.erl terminate_dynamic_children: the children are stopped all at once and
  // waited for together, so N children with timeout T take T, not N * T.
  const shutdown_policy how = template_.shutdown;
  const exit_reason first =
      how.mode == shutdown_policy::how::brutal_kill ? exit_reason::kill() : exit_reason::shutdown();
  std::unordered_map<ref, pid> pending;
  pending.reserve(state_->children.size());
  for (auto& c : state_->children) {
    if (!c.process) continue;
    const pid p = c.process;
    state_->set_stopped(c);
    ref m = monitor(p);
    unlink(p);
    exit(p, first);
    pending.emplace(m, p);
  }
  const ref tag = make_ref();
  const auto deadline = this_node().now() + how.timeout;
  bool killed = how.mode == shutdown_policy::how::brutal_kill;
  while (!pending.empty()) {
    auto left = infinity;
    if (!killed && how.mode == shutdown_policy::how::timeout) {
      left = std::max(deadline - this_node().now(), std::chrono::milliseconds(0));
    }
    auto outcome = co_await wait(detail::wait_spec{tag, ref{}, pid{}, left, true});
    if (outcome.kind == detail::wait_outcome::how::down) {
      pending.erase(outcome.monitor);
    } else if (outcome.kind == detail::wait_outcome::how::timeout) {
      for (const auto& [m, p] : pending) exit(p, exit_reason::kill());
      killed = true;
    }
  }
}

bool supervisor::should_auto_shutdown(const child& exited) const {
  switch (flags_.auto_shutdown) {
    case auto_shutdown_policy::never:
      return false;
    case auto_shutdown_policy::any_significant:
      return true;
    case auto_shutdown_policy::all_significant:
      for (const auto& c : state_->children) {
        if (&c != &exited && c.spec.significant &&
            (c.process || c.status == child_status::restarting)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

// --- calls ---------------------------------------------------------------------------------

void supervisor::handle_call(call_context& c) {
  c.match(
      [&](detail::which_children_request&) {
        std::vector<child_info> out;
        out.reserve(state_->children.size());
        for (const auto& ch : state_->children) {
          out.push_back({ch.spec.id, ch.process, ch.spec.kind, ch.status});
        }
        return out;
      },
      [&](detail::count_children_request&) {
        child_counts n;
        n.specs = simple() ? 1 : state_->children.size();
        for (const auto& ch : state_->children) {
          if (ch.process) ++n.active;
          (ch.spec.kind == child_kind::supervisor ? n.supervisors : n.workers)++;
        }
        return n;
      },
      [&](detail::start_child_request& r) { do_start_child(c.defer(), std::move(r.spec)); },
      [&](detail::terminate_child_request& r) {
        do_terminate_child(c.defer(), std::move(r.id), r.process);
      },
      [&](detail::restart_child_request& r) { do_restart_child(c.defer(), std::move(r.id)); },
      [&](detail::delete_child_request& r) { return do_delete_child(r.id); },
      [&](detail::get_childspec_request& r) { return do_get_childspec(r.id, r.process); });
}

async supervisor::do_start_child(from caller, child_spec spec) {
  using result = supervisor_result<started_child>;
  if (simple()) {
    child_spec s = template_;
    if (spec.start) s.start = std::move(spec.start);
    spec = std::move(s);
  } else {
    if (auto checked = check_childspec(spec, flags_.auto_shutdown); !checked) {
      reply(caller, result(unexpected(checked.error())));
      co_return;
    }
    if (child* existing = state_->find_id(spec.id)) {
      reply(caller, result(unexpected(existing->process
                                          ? supervisor_error::already_started(existing->process)
                                          : supervisor_error::already_present())));
      co_return;
    }
  }
  const std::uint64_t key = state_->add(std::move(spec), simple()).key;
  start_result r = co_await start_child_process(state_->find(key)->spec.start);
  child* c = state_->find(key);
  if (c != nullptr && record_start(*c, r)) {
    // supervisor.erl handle_start_child: ignore keeps the spec, except a temporary one's.
    if (r.ignored() && (c->dynamic || c->spec.restart == restart_type::temporary)) {
      state_->erase(key);
    }
    reply(caller, result(started_child{r.process, std::move(r.info)}));
    co_return;
  }
  state_->erase(key);
  reply(caller, result(unexpected(supervisor_error::start_error(r.reason))));
}

async supervisor::do_terminate_child(from caller, std::string id, pid process) {
  using result = supervisor_result<void>;
  child* c = nullptr;
  if (process) {
    c = state_->find_pid(process);
    if (c == nullptr) {
      // supervisor.erl find_child/2: under simple_one_for_one a pid that is no longer alive
      // was a child that already ended: ok.
      reply(caller, simple() && !this_node().is_alive(process)
                        ? result()
                        : result(unexpected(supervisor_error::not_found())));
      co_return;
    }
  } else {
    if (simple()) {
      reply(caller, result(unexpected(supervisor_error::simple_one_for_one())));
      co_return;
    }
    c = state_->find_id(id);
    if (c == nullptr) {
      reply(caller, result(unexpected(supervisor_error::not_found())));
      co_return;
    }
  }
  const std::uint64_t key = c->key;
  if (c->process) {
    const pid p = c->process;
    const shutdown_policy how = c->spec.shutdown;
    state_->set_stopped(*c);
    co_await stop_one(p, how);
  }
  if (c = state_->find(key); c != nullptr) {
    state_->set_stopped(*c);  // also ends a restart loop (try_again_restart finds it stopped)
    if (c->dynamic || c->spec.restart == restart_type::temporary) state_->erase(key);
  }
  reply(caller, result());
}

async supervisor::do_restart_child(from caller, std::string id) {
  using result = supervisor_result<started_child>;
  if (simple()) {
    reply(caller, result(unexpected(supervisor_error::simple_one_for_one())));
    co_return;
  }
  child* c = state_->find_id(id);
  if (c == nullptr || !c->spec.start) {
    reply(caller, result(unexpected(supervisor_error::not_found())));
    co_return;
  }
  if (c->status != child_status::undefined) {
    reply(caller, result(unexpected(c->process ? supervisor_error::running()
                                               : supervisor_error::restarting())));
    co_return;
  }
  const std::uint64_t key = c->key;
  start_result r = co_await start_child_process(c->spec.start);
  c = state_->find(key);
  if (c != nullptr && record_start(*c, r)) {
    reply(caller, result(started_child{r.process, std::move(r.info)}));
    co_return;
  }
  reply(caller, result(unexpected(supervisor_error::start_error(r.reason))));
}

supervisor_result<void> supervisor::do_delete_child(const std::string& id) {
  if (simple()) return unexpected(supervisor_error::simple_one_for_one());
  child* c = state_->find_id(id);
  if (c == nullptr) return unexpected(supervisor_error::not_found());
  if (c->process) return unexpected(supervisor_error::running());
  if (c->status == child_status::restarting) return unexpected(supervisor_error::restarting());
  state_->erase(c->key);
  return {};
}

supervisor_result<child_spec> supervisor::do_get_childspec(const std::string& id,
                                                           const pid& process) {
  child* c = process ? state_->find_pid(process) : state_->find_id(id);
  if (c == nullptr) return unexpected(supervisor_error::not_found());
  return c->spec;
}

void supervisor::supervisor_report(const child& c, const pid& was, const exit_reason& reason,
                                   const char* action) {
  if (!report_wanted(report_level::error)) return;
  report rep;
  rep.type = report::kind::supervisor;
  rep.level = report_level::error;
  rep.add("supervisor", to_term_pid(self())).add("child", name_term(c.spec.id));
  rep.add("child_pid", was ? term::term(to_term_pid(was)) : term::term(term::atom("undefined")));
  rep.add("reason", reason.as_term()).add("action", term::atom(action));
  log_report(rep);
}

// --- client functions ----------------------------------------------------------------------

namespace {

using detail::count_children_request;
using detail::delete_child_request;
using detail::get_childspec_request;
using detail::restart_child_request;
using detail::start_child_request;
using detail::terminate_child_request;
using detail::which_children_request;

// A call from a thread whose reply is a supervisor_result: a call that fails is call_failed.
template <class Req>
reply_t<Req> ask(node& n, const pid& sup, Req req, std::chrono::milliseconds timeout) {
  try {
    return call(n, sup, std::move(req), timeout);
  } catch (const call_error& e) {
    return unexpected(supervisor_error::call_failed(e.reason()));
  }
}

child_spec from_start_fn(start_fn start) {
  child_spec s;
  s.start = std::move(start);
  return s;
}

}  // namespace

start_result start_supervisor(node& n, supervisor_spec spec, std::string name) {
  return start<supervisor>(n, start_options{std::move(name), infinity}, std::move(spec));
}

// --- from plain threads

supervisor_result<started_child> start_child(node& n, const pid& sup, child_spec spec,
                                             std::chrono::milliseconds timeout) {
  return ask(n, sup, start_child_request{std::move(spec)}, timeout);
}
supervisor_result<started_child> start_child(node& n, const pid& sup, start_fn start,
                                             std::chrono::milliseconds timeout) {
  return ask(n, sup, start_child_request{from_start_fn(std::move(start))}, timeout);
}
supervisor_result<void> terminate_child(node& n, const pid& sup, const std::string& id,
                                        std::chrono::milliseconds timeout) {
  return ask(n, sup, terminate_child_request{id, pid{}}, timeout);
}
supervisor_result<void> terminate_child(node& n, const pid& sup, const pid& child,
                                        std::chrono::milliseconds timeout) {
  return ask(n, sup, terminate_child_request{{}, child}, timeout);
}
supervisor_result<started_child> restart_child(node& n, const pid& sup, const std::string& id,
                                               std::chrono::milliseconds timeout) {
  return ask(n, sup, restart_child_request{id}, timeout);
}
supervisor_result<void> delete_child(node& n, const pid& sup, const std::string& id,
                                     std::chrono::milliseconds timeout) {
  return ask(n, sup, delete_child_request{id}, timeout);
}
supervisor_result<child_spec> get_childspec(node& n, const pid& sup, const std::string& id,
                                            std::chrono::milliseconds timeout) {
  return ask(n, sup, get_childspec_request{id, pid{}}, timeout);
}
supervisor_result<child_spec> get_childspec(node& n, const pid& sup, const pid& child,
                                            std::chrono::milliseconds timeout) {
  return ask(n, sup, get_childspec_request{{}, child}, timeout);
}
supervisor_result<std::vector<child_info>> which_children(node& n, const pid& sup,
                                                          std::chrono::milliseconds timeout) {
  return ask(n, sup, which_children_request{}, timeout);
}
supervisor_result<child_counts> count_children(node& n, const pid& sup,
                                               std::chrono::milliseconds timeout) {
  return ask(n, sup, count_children_request{}, timeout);
}

// --- from behaviours (the requests are built here, outside the caller's co_await operand)

supervisor_call<started_child> start_child(behaviour& self, const pid& sup, const child_spec& spec,
                                           std::chrono::milliseconds timeout) {
  return {self, sup, start_child_request{spec}, timeout};
}
supervisor_call<started_child> start_child(behaviour& self, const pid& sup, const start_fn& start,
                                           std::chrono::milliseconds timeout) {
  return {self, sup, start_child_request{from_start_fn(start)}, timeout};
}
supervisor_call<void> terminate_child(behaviour& self, const pid& sup, std::string_view id,
                                      std::chrono::milliseconds timeout) {
  return {self, sup, terminate_child_request{std::string(id), pid{}}, timeout};
}
supervisor_call<void> terminate_child(behaviour& self, const pid& sup, const pid& child,
                                      std::chrono::milliseconds timeout) {
  return {self, sup, terminate_child_request{{}, child}, timeout};
}
supervisor_call<started_child> restart_child(behaviour& self, const pid& sup, std::string_view id,
                                             std::chrono::milliseconds timeout) {
  return {self, sup, restart_child_request{std::string(id)}, timeout};
}
supervisor_call<void> delete_child(behaviour& self, const pid& sup, std::string_view id,
                                   std::chrono::milliseconds timeout) {
  return {self, sup, delete_child_request{std::string(id)}, timeout};
}
supervisor_call<child_spec> get_childspec(behaviour& self, const pid& sup, std::string_view id,
                                          std::chrono::milliseconds timeout) {
  return {self, sup, get_childspec_request{std::string(id), pid{}}, timeout};
}
supervisor_call<child_spec> get_childspec(behaviour& self, const pid& sup, const pid& child,
                                          std::chrono::milliseconds timeout) {
  return {self, sup, get_childspec_request{{}, child}, timeout};
}
supervisor_call<std::vector<child_info>> which_children(behaviour& self, const pid& sup,
                                                        std::chrono::milliseconds timeout) {
  return {self, sup, which_children_request{}, timeout};
}
supervisor_call<child_counts> count_children(behaviour& self, const pid& sup,
                                             std::chrono::milliseconds timeout) {
  return {self, sup, count_children_request{}, timeout};
}

}  // namespace bitactor::otp
