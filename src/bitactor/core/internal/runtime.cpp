#include "bitactor/core/internal/runtime.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <typeinfo>

#include "bitactor/core/actor.hpp"
#include "bitactor/core/internal/deadline.hpp"
#include "bitactor/core/internal/deterministic_scheduler.hpp"
#include "bitactor/core/internal/signal.hpp"
#include "bitactor/core/internal/signal_rules.hpp"
#include "bitactor/core/internal/work_stealing_scheduler.hpp"

namespace bitactor::detail {
namespace {

// Signals a process takes out of its mailbox per turn before handling messages: bounded so a
// flood cannot make one turn unbounded, large so exit signals behind many messages still take
// effect within a turn or two (moving a message to the delivered queue costs two stores).
constexpr int intake_per_turn = 4096;

std::uint32_t table_slots(const node_config& c) {
  // Headroom over max_processes: slots of exited processes may still be draining.
  std::size_t slots = c.max_processes + c.max_processes / 8 + 1024;
  return static_cast<std::uint32_t>(std::min<std::size_t>(slots, UINT32_MAX - 1));
}

}  // namespace

runtime::runtime(node& owner, const node_config& config)
    : owner_(owner),
      config_((config.validate(), config)),
      node_index_(node_names::intern(config.name)),
      clock_(config.policy == scheduling_policy::deterministic
                 ? std::unique_ptr<clock_source>(new virtual_clock_source())
                 : std::unique_ptr<clock_source>(new steady_clock_source())),
      table_(table_slots(config)),
      timers_(*clock_, [this](const pid& to, message* m) { deliver(to, m); }),
      long_handlers_(*this, config.policy != scheduling_policy::deterministic) {
  if (config_.policy == scheduling_policy::deterministic) {
    vclock_ = static_cast<virtual_clock_source*>(clock_.get());
    auto det = std::make_unique<deterministic_scheduler>(config_.seed);
    det_ = det.get();
    scheduler_ = std::move(det);
  } else {
    auto ws = std::make_unique<work_stealing_scheduler>(config_.workers, config_.blocking_threads);
    ws_ = ws.get();
    scheduler_ = std::move(ws);
  }
  scheduler_->start(*this);
  if (ws_ != nullptr) timers_.start_thread();
}

runtime::~runtime() { stop(); }

ref runtime::make_ref() noexcept {
  std::uint64_t n = next_ref_.fetch_add(1, std::memory_order_relaxed);
  return ref{node_index_,
             config_.creation,
             {static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(n >> 32), 0}};
}

std::size_t runtime::parked_workers() const noexcept {
  return ws_ != nullptr ? ws_->parked_workers() : 0;
}

// ---------------------------------------------------------------------------------------
// Spawning

process* runtime::claim_slot() {
  // A slot from the free list may still have a drain turn pending (a late message to its
  // previous incarnation); claiming its turn proves no turn is in flight. Slots we cannot
  // claim yet go back once we have one.
  std::vector<process*> busy;
  process* p = nullptr;
  while ((p = table_.acquire()) != nullptr) {
    if (p->mail.try_claim()) break;
    busy.push_back(p);
  }
  for (process* b : busy) table_.release(b);
  return p;
}

pid runtime::spawn(std::unique_ptr<actor> a, std::size_t actor_bytes,
                   const spawn_options& options) {
  if (stopping_.load()) throw node_stopped("spawn: the node is stopping");
  if (alive_.fetch_add(1, std::memory_order_seq_cst) >= config_.max_processes) {
    alive_.fetch_sub(1);
    throw system_limit("spawn: process limit reached (max_processes = " +
                       std::to_string(config_.max_processes) + ")");
  }
  process* p = claim_slot();
  if (p == nullptr) {
    alive_.fetch_sub(1);
    throw system_limit("spawn: no free process slot");
  }
  std::uint32_t serial = static_cast<std::uint32_t>(p->identity.load() >> 1) + 1;
  p->started = false;
  p->on_blocking_pool = options.blocking;
  p->exited_this_turn = false;
  p->stop_requested = false;
  p->mail.begin_incarnation();
  pid self{node_index_, p->slot + 1, serial, config_.creation};
  {
    // Under the relations lock: process_info may be reading the previous incarnation's view.
    std::lock_guard guard(p->relations_lock);
    p->behaviour = a.release();
    p->actor_bytes = static_cast<std::uint32_t>(actor_bytes);
    p->trap_exit.store(options.trap_exit, std::memory_order_relaxed);
    p->spawned_linked = static_cast<bool>(options.link_to);
    p->orderly.store(false, std::memory_order_relaxed);
    p->awaited_at_stop.store(false, std::memory_order_relaxed);
    if (options.link_to || options.monitored_by) {
      relations& r = p->rel_or_create();
      if (options.link_to) r.links.emplace(options.link_to, 0);
      if (options.monitored_by) r.monitored_by.emplace(options.monitor_ref, options.monitored_by);
    }
  }
  p->behaviour->attach(p, this);
  p->identity.store((std::uint64_t{serial} << 1) | process::alive_bit, std::memory_order_seq_cst);
  spawned_.add();
  if (options.needs_start) {
    p->phase.store(run_phase::runnable, std::memory_order_relaxed);
    scheduler_->schedule(p);  // the first turn runs on_start(); we hold the turn
  } else {
    p->started = true;  // nothing to run until a message arrives: give up the turn
    p->phase.store(run_phase::waiting, std::memory_order_relaxed);
    if (!p->mail.has_work()) {
      release_turn(*p);
    } else {
      scheduler_->schedule(p);  // late messages to the slot's earlier incarnation
    }
  }
  // A spawn racing with stop(): stop() may have scanned the table before we published the
  // identity, so make sure this process is told too (seq_cst pairs with stop()).
  if (stopping_.load(std::memory_order_seq_cst)) {
    auto* s = new signal(signal_kind::exit, pid{});
    s->reason = exit_reason::shutdown();
    s->forced = true;
    deliver(self, s);
  }
  return self;
}

// ---------------------------------------------------------------------------------------
// Delivery

void runtime::deliver(const pid& to, message* m) {
  if (to.node != node_index_) {
    if (remote_router* r = router_.load(std::memory_order_acquire)) {
      r->route(to, m);
      return;
    }
  }
  process* p =
      (to.node == node_index_ && to.creation == config_.creation) ? table_.find(to.id) : nullptr;
  if (p == nullptr || !p->is_incarnation(to.serial)) {
    undeliverable(m, to);
    return;
  }
  m->target_serial_ = to.serial;
  // Read before the post: once posted, the message may be taken (and freed) at once.
  const bool exit_signal = m->system_ && static_cast<const signal*>(m)->kind == signal_kind::exit;
  const bool claimed_turn = p->mail.post(m);
  messages_.add();
  if (claimed_turn) {
    scheduler_->schedule(p);
  } else if (exit_signal) [[unlikely]] {
    // An exit signal is not held up by a busy connection. Looked up after the post, under the
    // lock park_or_die registers under before it takes in what has arrived: either this finds
    // the process parked, or its take_in finds this signal.
    wake_parked(p);
  }
}

void runtime::wake_parked(const process* p) {
  std::function<void()> resume;
  {
    std::lock_guard guard(parked_lock_);
    if (auto it = parked_.find(p); it != parked_.end()) resume = it->second;
  }
  if (resume) resume();
}

void deliver(runtime& rt, const pid& to, message* m) { rt.deliver(to, m); }

void runtime::undeliverable(message* m, const pid& to) {
  // Erlang: a message to a dead process is dropped; some signals are answered
  // (answer_undeliverable).
  if (m->system_) {
    const auto* s = static_cast<const signal*>(m);
    if (signal* answer = answer_undeliverable(*s, to, exit_reason::noproc())) {
      deliver(s->from, answer);
    }
  }
  delete m;
}

// ---------------------------------------------------------------------------------------
// Turns

namespace {
// The reason given to actor::stop(), kept until the running handler returns. A turn runs on
// one thread from start to end, so one slot per thread is enough (and keeps it off the pcb).
thread_local std::optional<exit_reason> requested_exit;

// The process whose turn this thread is running (nullptr outside turns), for
// in_scheduled_handler(). Saved and restored, since the deterministic scheduler can run a
// turn inside another (a test driving the node from a handler).
thread_local const process* running_turn = nullptr;
struct running_turn_scope {
  const process* previous;
  explicit running_turn_scope(const process* p) noexcept : previous(running_turn) {
    running_turn = p;
  }
  ~running_turn_scope() { running_turn = previous; }
};

std::optional<exit_reason> take_requested_exit(process& p) {
  p.stop_requested = false;
  std::optional<exit_reason> r = std::move(requested_exit);
  requested_exit.reset();
  return r;
}
}  // namespace

void runtime::request_stop(process& self, exit_reason reason) {
  if (self.stop_requested) return;  // the first stop() wins, as the first exit() would
  self.stop_requested = true;
  requested_exit = std::move(reason);
}

bool runtime::in_scheduled_handler() noexcept {
  return running_turn != nullptr && !running_turn->on_blocking_pool;
}

const process* runtime::running() noexcept { return running_turn; }

namespace {
// park_after_turn's request, for the turn this thread runs; end_turn takes it.
thread_local runtime::park_fn parked_after_turn;
}  // namespace

void runtime::park_after_turn(park_fn park) {
  if (running_turn != nullptr) parked_after_turn = std::move(park);
}

void runtime::run_turn(process* p) {
  running_turn_scope scope(p);
  p->phase.store(run_phase::running, std::memory_order_relaxed);
  if (!p->alive()) {
    drain_dead(*p);
    end_turn(*p);
    return;
  }
  std::optional<exit_reason> dies;
  bool by_signal = false;  // an exit signal ended it, rather than its own code
  try {
    if (!p->started) {
      p->started = true;
      p->behaviour->on_start();
      if (p->stop_requested) dies = take_requested_exit(*p);
    }
    if (!dies) {
      take_in(*p, dies);
      by_signal = dies.has_value();
    }
    for (std::size_t i = 0; !dies && i < config_.batch; ++i) {
      message* raw = p->mail.next_to_handle();
      if (raw == nullptr) break;
      // Whether the handler kept the message is recorded on the process, not read back from
      // the message: once kept, another thread may already own (and free) it.
      p->kept_current = false;
      {
        // Frees the message on the way out, thrown or not; a guard rather than catch and
        // rethrow, which would make a crash pay for a second exception search.
        struct unless_kept {
          process& p;
          message* m;
          ~unless_kept() {
            if (!p.kept_current) delete m;
          }
        } release{*p, raw};
        // The long-run monitor's check is one relaxed load; the timed path is out of line.
        if (long_handlers_.on()) {
          handle_timed(*p, *raw);
        } else {
          p->behaviour->handle(*raw);
        }
      }
      if (p->stop_requested) dies = take_requested_exit(*p);
    }
  } catch (ended_by_signal& e) {  // taken at a yield point
    dies = std::move(e.reason);
    by_signal = true;
  } catch (process_exit& e) {
    dies = std::move(e.reason);
  } catch (const std::exception& e) {
    dies = exit_reason::from_exception(e);
  } catch (...) {
    dies = exit_reason::from_unknown_exception();
  }
  // Still pending only if the handler threw after calling stop(): the throw wins, as a later
  // exit() would.
  if (p->stop_requested) take_requested_exit(*p);
  // A crash is an end by an exception in the process's own code: escaped from the handler,
  // or caught by a behaviour that then stopped with it (gen_server, supervisor, ...). An exit
  // signal carrying such a reason from a linked process is not a crash of this one.
  if (dies && !by_signal && dies->code() == exit_reason::kind::exception) crashed_.add();
  if (dies) terminate(*p, std::move(*dies));
  end_turn(*p);
}

void runtime::handle_timed(process& p, message& m) {
  struct timed {
    long_handler_monitor& monitor;
    const process& p;
    type_id what;
    std::uint64_t started;
    ~timed() {
      try {
        monitor.end(p, started, what);
      } catch (...) {  // a report that cannot be built must not end the process
      }
    }
  } timing{long_handlers_, p, m.type(), long_handlers_.begin(p, m.type())};
  p.behaviour->handle(m);
}

void runtime::yield_point(process& self) {
  std::optional<exit_reason> dies;
  take_in(self, dies);
  if (dies) throw ended_by_signal{std::move(*dies)};
}

void runtime::take_in(process& p, std::optional<exit_reason>& dies) {
  std::uint32_t serial = p.serial();
  for (int i = 0; i < intake_per_turn; ++i) {
    message* m = p.mail.take_arrival();
    if (m == nullptr) return;
    if (m->target_serial_ != serial) {  // sent to an earlier incarnation of this slot
      p.mail.consumed();
      undeliverable(m, pid{node_index_, p.slot + 1, m->target_serial_, config_.creation});
      continue;
    }
    if (!m->system_) {
      p.mail.accept(m);
      continue;
    }
    p.mail.consumed();
    std::unique_ptr<signal> s(static_cast<signal*>(m));
    dies = apply(p, *s);
    if (dies) return;
  }
}

void runtime::end_turn(process& p) {
  if (parked_after_turn) [[unlikely]] {
    park_fn park = std::move(parked_after_turn);
    parked_after_turn = nullptr;
    if (!p.exited_this_turn && p.alive() && park_or_die(p, park)) return;
  }
  const bool exited = p.exited_this_turn;
  p.exited_this_turn = false;
  // Decided while we still own the turn: only the owner may look at the consumer's end.
  const bool more = p.mail.has_work();
  if (more) {
    // Batch used up (go behind the other runnable processes), or late messages to a dead
    // incarnation to drain.
    p.phase.store(p.alive() ? run_phase::runnable : run_phase::waiting, std::memory_order_relaxed);
    scheduler_->yield(&p);
  } else {
    p.phase.store(run_phase::waiting, std::memory_order_relaxed);
    release_turn(p);
  }
  if (exited) table_.release(&p);  // spawn claims it once no drain turn is pending
}

bool runtime::park_or_die(process& p, const park_fn& park) {
  // The turn stays claimed, so nothing schedules the process until it is resumed: by the
  // parker, or by an exit signal (deliver), whichever comes first.
  auto once = std::make_shared<std::atomic<bool>>(false);
  std::function<void()> resume = [this, parked = &p, once] {
    if (once->exchange(true)) return;
    {
      std::lock_guard guard(parked_lock_);
      parked_.erase(parked);
    }
    scheduler_->schedule(parked);
  };
  {
    std::lock_guard guard(parked_lock_);
    parked_[&p] = resume;
  }
  p.phase.store(run_phase::suspended, std::memory_order_relaxed);
  // An exit signal posted before the registration found no one to wake (deliver looks under
  // parked_lock_ after its post): take in what has arrived, and die of it now rather than park.
  std::optional<exit_reason> dies;
  take_in(p, dies);
  if (dies) {
    once->store(true);
    {
      std::lock_guard guard(parked_lock_);
      parked_.erase(&p);
    }
    p.phase.store(run_phase::running, std::memory_order_relaxed);
    terminate(p, std::move(*dies));
    return false;
  }
  park(resume);
  return true;
}

void runtime::release_turn(process& p) {
  // A message that arrived as we let go: the turn is ours again, run behind the others.
  if (p.mail.release()) scheduler_->yield(&p);
}

void runtime::drain_dead(process& p) {
  while (message* m = p.mail.take_arrival()) {
    p.mail.consumed();
    undeliverable(m, pid{node_index_, p.slot + 1, m->target_serial_, config_.creation});
  }
}

// ---------------------------------------------------------------------------------------
// Signals: the rules are in signal_rules.cpp; here they are carried out.

std::optional<exit_reason> runtime::apply(process& p, signal& s) {
  signal_outcome o = apply_signal(p, pid_of(p), s);
  if (o.for_receiver != nullptr) p.mail.deliver_own(o.for_receiver);
  if (o.reply != nullptr) deliver(s.from, o.reply);
  return std::move(o.exit);
}

void runtime::terminate(process& p, exit_reason reason) {
  p.phase.store(run_phase::exiting, std::memory_order_relaxed);
  const pid self = pid_of(p);
  // Not alive from here: new sends take the undeliverable path; late ones are drained.
  p.identity.store(std::uint64_t{self.serial} << 1, std::memory_order_seq_cst);

  actor* a = nullptr;
  {
    std::lock_guard guard(p.relations_lock);  // process_info reads the actor's type
    a = p.behaviour;
    p.behaviour = nullptr;
  }
  delete a;  // the actor's destructor runs as the process ends

  relations* r = nullptr;
  {
    std::lock_guard guard(p.relations_lock);
    r = p.rel;
    p.rel = nullptr;
  }
  if (r != nullptr) {
    if (!r->registered_name.empty()) registry_.erase_if_owner(r->registered_name, self);
    for (const auto& [peer, unlinking] : r->links) {
      if (unlinking != 0) continue;
      auto* s = new signal(signal_kind::exit, self);
      s->via_link = true;
      s->reason = reason;
      deliver(peer, s);
    }
    for (const auto& [mref, watcher] : r->monitored_by) {
      auto* s = new signal(signal_kind::down, self);
      s->monitor_ref = mref;
      s->reason = reason;
      deliver(watcher, s);
    }
    for (const auto& [mref, target] : r->monitoring) {
      auto* s = new signal(signal_kind::demonitor, self);
      s->monitor_ref = mref;
      deliver(target, s);
    }
    delete r;
  }
  p.mail.discard_delivered();
  drain_dead(p);

  exited_.add();
  if (!reason.is_clean()) exited_abnormal_.add();
  p.exited_this_turn = true;
  if (p.awaited_at_stop.exchange(false, std::memory_order_acq_rel)) orderly_exited();
  if (alive_.fetch_sub(1, std::memory_order_seq_cst) == 1 && stopping_.load()) {
    std::lock_guard guard(stop_lock_);
    all_exited_.notify_all();
  }
}

// ---------------------------------------------------------------------------------------
// Operations of a process on itself

void runtime::add_link_locally(process& self, const pid& other) {
  std::lock_guard guard(self.relations_lock);
  self.rel_or_create().links[other] = 0;
}

void runtime::add_monitor_locally(process& self, const ref& r, const pid& target) {
  std::lock_guard guard(self.relations_lock);
  self.rel_or_create().monitoring.emplace(r, target);
}

void runtime::link(process& self, const pid& other) {
  const pid me = pid_of(self);
  if (other == me || !other) return;
  add_link_locally(self, other);
  deliver(other, new signal(signal_kind::link, me));
}

void runtime::unlink(process& self, const pid& other) {
  std::uint64_t id = 0;
  {
    std::lock_guard guard(self.relations_lock);
    if (self.rel == nullptr) return;
    auto it = self.rel->links.find(other);
    if (it == self.rel->links.end() || it->second != 0) return;
    id = ++self.rel->next_unlink_id;
    it->second = id;  // exit signals from `other` are ignored until it acknowledges
  }
  auto* s = new signal(signal_kind::unlink, pid_of(self));
  s->unlink_id = id;
  deliver(other, s);
}

ref runtime::monitor(process& self, const pid& other) {
  ref r = make_ref();
  add_monitor_locally(self, r, other);
  auto* s = new signal(signal_kind::monitor, pid_of(self));
  s->monitor_ref = r;
  deliver(other, s);
  return r;
}

ref runtime::monitor_name(process& self, std::string_view name, std::string_view node) {
  if (node == config_.name) {
    if (auto target = whereis(name)) return monitor(self, *target);
  } else if (remote_router* router = router_.load(std::memory_order_acquire)) {
    if (auto r = router->monitor_name(pid_of(self), name, node)) return *r;
  }
  // No such name here (noproc), or no way to the node (noconnection): the DOWN comes at once,
  // from the null pid, which a demonitor does not reach.
  const ref r = make_ref();
  add_monitor_locally(self, r, pid{});
  auto* down = new signal(signal_kind::down, pid{});
  down->monitor_ref = r;
  down->reason = node == config_.name ? exit_reason::noproc() : exit_reason::noconnection();
  deliver(pid_of(self), down);
  return r;
}

void runtime::send_named(const pid& from, std::string_view name, std::string_view node,
                         term::term msg) {
  if (node == config_.name) {
    if (auto target = whereis(name)) deliver(*target, make_message<term::term>(std::move(msg)));
    return;
  }
  if (remote_router* router = router_.load(std::memory_order_acquire)) {
    router->send_named(from, name, node, msg);
  }
}

bool runtime::demonitor(process& self, const ref& r, bool flush) {
  pid target;
  {
    std::lock_guard guard(self.relations_lock);
    if (self.rel != nullptr) {
      auto it = self.rel->monitoring.find(r);
      if (it != self.rel->monitoring.end()) {
        target = it->second;
        self.rel->monitoring.erase(it);
      }
    }
  }
  if (flush) {  // erlang:demonitor/2 [flush]: also drop a DOWN already delivered
    self.mail.discard_delivered_if([&](message& m) {
      auto* d = m.get_if<down_msg>();
      return d != nullptr && d->monitor == r;
    });
  }
  if (!target) return false;
  auto* s = new signal(signal_kind::demonitor, pid_of(self));
  s->monitor_ref = r;
  deliver(target, s);
  return true;
}

bool runtime::end_monitor_by(process& self, const pid& watcher, const ref& r) {
  std::lock_guard guard(self.relations_lock);
  if (self.rel == nullptr) return false;
  auto it = self.rel->monitored_by.find(r);
  if (it == self.rel->monitored_by.end() || it->second != watcher) return false;
  self.rel->monitored_by.erase(it);
  return true;
}

bool runtime::forget_monitor(process& self, const ref& r) {
  std::lock_guard guard(self.relations_lock);
  return self.rel != nullptr && self.rel->monitoring.erase(r) > 0;
}

void runtime::link_on_behalf(const pid& self, const pid& other) {
  if (!is_alive(self)) throw badarg("link: " + self.to_string() + " is not alive");
  link(*table_.find(self.id), other);
}

ref runtime::monitor_on_behalf(const pid& self, const pid& other) {
  if (!is_alive(self)) throw badarg("monitor: " + self.to_string() + " is not alive");
  return monitor(*table_.find(self.id), other);
}

void runtime::record_monitor(const pid& self, const ref& r, const pid& target) {
  if (!is_alive(self)) throw badarg("monitor: " + self.to_string() + " is not alive");
  add_monitor_locally(*table_.find(self.id), r, target);
}

void runtime::send_exit(const pid& from, const pid& to, exit_reason reason) {
  auto* s = new signal(signal_kind::exit, from);
  s->reason = std::move(reason);
  deliver(to, s);
}

// ---------------------------------------------------------------------------------------
// Timers and registry

timer_ref runtime::send_after(std::chrono::milliseconds delay, const pid& to, message* m,
                              timer_service::stamp_fn stamp) {
  return timers_.start(delay_ms(delay), to, m, stamp);
}

std::optional<std::chrono::milliseconds> runtime::cancel_timer(timer_ref r) {
  auto left = timers_.cancel(r);
  if (!left) return std::nullopt;
  return as_duration(*left);
}

void runtime::register_name(std::string_view name, const pid& p) {
  if (name.empty()) throw badarg("register_name: empty name");
  std::lock_guard reg_guard(registry_.lock());
  if (registry_.taken_locked(name)) {
    throw badarg("register_name: name '" + std::string(name) + "' is already registered");
  }
  process* proc =
      (p.node == node_index_ && p.creation == config_.creation) ? table_.find(p.id) : nullptr;
  if (proc == nullptr) {
    throw badarg("register_name: " + p.to_string() + " is not a process of this node");
  }
  std::lock_guard guard(proc->relations_lock);
  // Checked under the relations lock: terminate() clears `alive` before taking the relations,
  // so if the process is alive now it will see the name we set and free it when it exits.
  if (!proc->is_incarnation(p.serial)) {
    throw badarg("register_name: " + p.to_string() + " is not alive");
  }
  relations& r = proc->rel_or_create();
  if (!r.registered_name.empty()) {
    throw badarg("register_name: " + p.to_string() + " is already registered as '" +
                 r.registered_name + "'");
  }
  r.registered_name = std::string(name);
  registry_.bind_locked(name, p);
}

void runtime::unregister_name(std::string_view name) {
  auto p = registry_.erase(name);
  if (!p) throw badarg("unregister_name: name '" + std::string(name) + "' is not registered");
  if (process* proc = table_.find(p->id)) {
    std::lock_guard guard(proc->relations_lock);
    if (proc->rel != nullptr && proc->rel->registered_name == name) {
      proc->rel->registered_name.clear();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Introspection

bool runtime::is_alive(const pid& p) const noexcept {
  if (p.node != node_index_ || p.creation != config_.creation) return false;
  process* proc = table_.find(p.id);
  return proc != nullptr && proc->is_incarnation(p.serial);
}

std::vector<pid> runtime::processes() const {
  std::vector<pid> out;
  table_.for_each_slot([&](const process& p) {
    std::uint64_t id = p.identity.load(std::memory_order_acquire);
    if ((id & process::alive_bit) != 0) {
      out.push_back(
          pid{node_index_, p.slot + 1, static_cast<std::uint32_t>(id >> 1), config_.creation});
    }
  });
  return out;
}

std::optional<process_info> runtime::info(const pid& who) const {
  if (!is_alive(who)) return std::nullopt;
  process* p = table_.find(who.id);
  process_info out;
  out.self = who;
  std::size_t relation_bytes = 0;
  {
    std::lock_guard guard(p->relations_lock);
    if (!p->is_incarnation(who.serial)) return std::nullopt;
    if (const relations* r = p->rel) {
      for (const auto& [peer, unlinking] : r->links) {
        if (unlinking == 0) out.links.push_back(peer);
      }
      for (const auto& [mref, target] : r->monitoring) out.monitors.push_back(target);
      for (const auto& [mref, watcher] : r->monitored_by) out.monitored_by.push_back(watcher);
      if (!r->registered_name.empty()) out.registered_name = r->registered_name;
      relation_bytes = sizeof(relations) +
                       (r->links.size() + r->monitoring.size() + r->monitored_by.size()) * 48;
    }
    out.actor_type = p->behaviour != nullptr ? demangle(typeid(*p->behaviour).name()) : "";
    out.memory_bytes = sizeof(process) + p->actor_bytes + relation_bytes;
  }
  std::sort(out.links.begin(), out.links.end());
  out.message_queue_len = p->mail.queued();
  out.messages_handled = p->mail.handled();
  out.trap_exit = p->trap_exit.load(std::memory_order_relaxed);
  run_phase phase = p->phase.load(std::memory_order_relaxed);
  if (phase == run_phase::running) {
    out.status = process_status::running;
  } else if (phase == run_phase::exiting) {
    out.status = process_status::exiting;
  } else if (phase == run_phase::suspended) {
    out.status = process_status::suspended;
  } else if (p->mail.claimed()) {
    out.status = process_status::runnable;
  } else {
    out.status = process_status::waiting;
  }
  out.memory_bytes += out.message_queue_len * (sizeof(message) + 16);
  return out;
}

node_counters runtime::counters() const {
  node_counters c;
  c.processes = alive_.load(std::memory_order_relaxed);
  c.spawned = spawned_.read();
  c.exited = exited_.read();
  c.exited_abnormal = exited_abnormal_.read();
  c.crashed = crashed_.read();
  c.messages_sent = messages_.read();
  c.timers_pending = const_cast<timer_service&>(timers_).pending();
  c.timer_wakeups = timers_.wakeups();
  c.workers = scheduler_->worker_count();
  return c;
}

// ---------------------------------------------------------------------------------------
// Stopping

// As init:stop(): every root process (one not spawned linked to a parent: the supervision
// trees and servers started from plain threads) gets a trappable `shutdown` exit signal from
// the node, as from its parent. A supervisor then stops its children in reverse start order
// under their shutdown policies, and each behaviour that traps exits runs terminate(shutdown)
// (OTP design principles, "Supervisor Behaviour": Stopping). The node waits for the
// behaviours among the roots, at most stop_timeout; stop() then ends the rest by force.
void runtime::stop_in_order() {
  std::vector<process*> waiting_for;
  table_.for_each_slot([&](process& p) {
    if (!p.alive() || p.spawned_linked) return;
    auto* s = new signal(signal_kind::exit, pid{});
    s->reason = exit_reason::shutdown();
    const pid target = pid_of(p);
    if (p.orderly.load(std::memory_order_acquire)) {
      orderly_left_.fetch_add(1, std::memory_order_acq_rel);
      p.awaited_at_stop.store(true, std::memory_order_release);
      // It may have ended before the flag was set: then whoever clears the flag counts it.
      if (!p.is_incarnation(target.serial) &&
          p.awaited_at_stop.exchange(false, std::memory_order_acq_rel)) {
        orderly_exited();
      }
      waiting_for.push_back(&p);
    }
    deliver(target, s);
  });
  auto done = [&] { return orderly_left_.load(std::memory_order_acquire) == 0; };
  if (det_ != nullptr) {
    run_deterministic(now_ms() + static_cast<std::uint64_t>(config_.stop_timeout.count()), done);
  } else {
    std::unique_lock guard(stop_lock_);
    all_exited_.wait_for(guard, config_.stop_timeout, done);
  }
  if (done()) return;
  std::string late;
  for (process* p : waiting_for) {
    if (!p->awaited_at_stop.load(std::memory_order_acquire)) continue;
    if (auto i = info(pid_of(*p))) {
      late += "\n  " + pid_of(*p).to_string() + " " + i->registered_name.value_or("") + " (" +
              i->actor_type + ")";
    }
  }
  std::fprintf(
      stderr, "bitactor: node stop: %zu processes did not stop within %lld ms; ended by force:%s\n",
      static_cast<std::size_t>(orderly_left_.load()),
      static_cast<long long>(config_.stop_timeout.count()), late.c_str());
}

void runtime::orderly_exited() {
  if (orderly_left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard guard(stop_lock_);
    all_exited_.notify_all();
  }
}

void runtime::stop() {
  if (stopped_) return;
  if (scheduler_->on_worker_thread() && det_ == nullptr) {
    throw error("node::stop: cannot be called from a process of the same node");
  }
  stopping_.store(true, std::memory_order_seq_cst);
  stop_in_order();
  // What is left ends with reason shutdown; trapping exits does not prevent it.
  for (const pid& p : processes()) {
    auto* s = new signal(signal_kind::exit, pid{});
    s->reason = exit_reason::shutdown();
    s->forced = true;
    deliver(p, s);
  }
  if (det_ != nullptr) {
    det_->run_until_idle();
  } else {
    std::unique_lock guard(stop_lock_);
    all_exited_.wait(guard, [&] { return alive_.load() == 0; });
  }
  timers_.stop();
  scheduler_->stop();
  stopped_ = true;
  // Nothing runs any more: free what late messages and queued drain turns left behind.
  table_.for_each_slot([&](process& p) { p.mail.clear(); });
}

}  // namespace bitactor::detail
