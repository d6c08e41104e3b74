#pragma once
// persistent_server: the generic part of the persistent behaviours (event_sourced.hpp,
// durable_state.hpp), a gen_server whose state survives crashes, kill -9 and restarts.
//
// Start: init reads the process's latest snapshot and the events after it on the
// persistence's reader thread (retrying a lost connection with backoff) and applies them;
// then on_recovery_completed() runs and the starter gets its answer. A journal that cannot be
// read (corrupt in the middle, an event type that no longer decodes, storage unreachable
// after the retries) fails the start with `{recovery_failed, Id, Why}` — under a supervisor, a
// failed child start — and nothing is skipped.
//
// Commands: calls reach handle_command(command_context&). What a handler persists during
// one callback is written as one atomic batch with the process's durability mode, together
// with the idempotency key of a keyed<Req> command and the result it returned. The state
// changes at once (the next command sees it), but no reply leaves the process before every
// write made so far is as durable as the mode promises: a caller that got an answer can rely
// on its effect surviving a crash. Writes pipeline: the process goes on taking commands while
// its writes are in flight, and the journal merges the writes of many processes into one
// fsync.
//
// A write that fails ends the process with `{persist_failed, Id, Why}`; callers waiting for
// their replies get that reason (the state is rebuilt from what was stored when a supervisor
// restarts it). Two processes with the same persistence id conflict: the second one's writes
// fail that way, never interleave.
//
// Idempotency: a command sent as keyed<Req>{key, req} is applied at most once per key within
// the key's retention: a retry gets the first result (decoded from storage after a restart),
// and the handler does not run again. Handlers match on Req; the context does the rest.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bitactor/otp/gen_server.hpp"
#include "bitactor/persist/codec.hpp"
#include "bitactor/persist/journal.hpp"
#include "bitactor/persist/persistence.hpp"

namespace bitactor::persist {

/// A command applied at most once per key. The reply is Req's.
template <class Req>
struct keyed {
  std::string key;
  Req command;
  using reply = otp::reply_t<Req>;
};

struct persistent_options {
  /// Names the process's journal: one process per id at a time.
  std::string persistence_id;
  durability mode = durability::group;
  /// event_sourced: a snapshot after every this many events (0: only on demand).
  std::uint64_t snapshot_every = 0;
  /// event_sourced: a snapshot deletes the events it covers.
  bool delete_events_on_snapshot = false;
  /// How long this process's idempotency keys are kept; the persistence's default when zero.
  std::chrono::milliseconds key_retention{0};
  /// How long recovery may take before the start fails.
  std::chrono::milliseconds recovery_timeout = std::chrono::seconds(60);
};

class command_context;

class persistent_server : public otp::gen_server {
 public:
  const std::string& persistence_id() const noexcept { return options_.persistence_id; }
  /// The sequence of the last event applied (persisted or in flight).
  std::uint64_t last_sequence() const noexcept { return sequence_; }
  /// The sequence up to which everything this process wrote is durable.
  std::uint64_t durable_sequence() const noexcept { return durable_sequence_; }

 protected:
  /// `p` must outlive the process.
  persistent_server(persistence& p, persistent_options options);

  /// A call (the gen_server's handle_call). The default crashes on an unexpected call.
  virtual void handle_command(command_context& c);
  /// A cast; it may persist as handle_command does.
  virtual void handle_cast_command(message&) {}
  /// Any other message (handle_info); it may persist too.
  virtual void handle_message(message&) {}
  /// After the journal was replayed, before the starter gets its answer (the place for what
  /// a gen_server's init does).
  virtual void on_recovery_completed() {}

  /// Answers `to` once everything written so far is durable (gen_server:reply/2 for a
  /// deferred call of a persistent process).
  template <class T>
  void reply_when_durable(const otp::from& to, T&& value);

  /// Writes a snapshot with the next write (at once if nothing else is written).
  void snapshot_now() { snapshot_due_ = true; }

  // --- for event_sourced and durable_state ---------------------------------------------------
  enum class kind { events, state };
  virtual kind stored_as() const noexcept = 0;
  virtual bool can_snapshot() const noexcept = 0;
  virtual void restore_snapshot(std::string_view bytes) = 0;
  virtual void replay_event(std::string_view bytes) = 0;
  virtual std::string encode_state() const = 0;
  /// Queues an encoded event for this callback's write.
  void append_event(std::string bytes);
  /// durable_state: the state is written with this callback's write.
  void state_changed() { snapshot_due_ = true; }

 private:
  friend class command_context;
  // A reply waiting for a write: sent with behaviour::reply once the write is durable.
  struct held_reply_base {
    virtual ~held_reply_base() = default;
    virtual void send(persistent_server& from) = 0;
  };
  template <class T>
  struct held_reply_of final : held_reply_base {
    held_reply_of(const otp::from& t, T v) : to(t), value(std::move(v)) {}
    void send(persistent_server& server) override { server.reply(to, std::move(value)); }
    otp::from to;
    T value;
  };
  using held_reply = std::unique_ptr<held_reply_base>;
  struct in_flight {
    std::uint64_t number = 0;
    std::uint64_t through = 0;  // the last event sequence it holds
    std::vector<held_reply> replies;
  };
  struct remembered_key {
    std::string result;
    std::int64_t expires_at_ms = 0;
  };
  struct write_done {
    std::uint64_t number = 0;
    std::optional<storage_failure> failed;
  };
  struct recovered;
  /// Reads in the background: start_read runs `read(storage)` on the persistence's reader
  /// thread (with its retries) and answers this process with a reply tagged `tag`;
  /// read_result takes the value out of the wait that got it, or ends the process with
  /// `{<failure>, Id, Why}` for a failed read or none within recovery_timeout.
  template <class T>
  void start_read(const ref& tag, std::function<T(storage&)> read);
  template <class T>
  T read_result(otp::detail::wait_outcome& o, std::string_view failure, std::string_view what);

  void init() final;
  void handle_call(otp::call_context& c) final;
  void handle_cast(message& m) final;
  void handle_info(message& m) final;

  otp::async recover();
  void restore(const std::optional<stored_snapshot>& snapshot);
  /// Applies recovered events in order; a gap ends the process with recovery_failed.
  void replay(const std::vector<stored_event>& events);
  /// Runs handle_command for one call and writes what it persisted.
  void serve_command(const otp::from& caller, message& request);
  /// Writes what the callback persisted (one batch) and holds its replies behind it.
  void flush();
  void on_write_done(const write_done& d);
  void hold(held_reply r);
  [[noreturn]] void fail(std::string_view what, std::string_view why);

  // Keys, for command_context.
  const remembered_key* remembered(const std::string& key);
  bool looked_up_absent(const std::string& key) const { return absent_key_ && *absent_key_ == key; }
  void remember(std::string key, std::string result);
  /// Looks `key` up in the storage, then serves the call again.
  otp::async resolve_key(otp::from caller, message_ptr request, std::string key);
  std::int64_t key_retention_ms() const;

  persistence& persistence_;
  persistent_options options_;
  std::uint64_t sequence_ = 0;          // last event applied
  std::uint64_t durable_sequence_ = 0;  // last event known durable
  std::uint64_t revision_ = 0;          // durable_state: the last state written
  std::uint64_t since_snapshot_ = 0;    // events since the last snapshot
  bool snapshot_due_ = false;
  // This callback's write, built up by append_event and keyed commands.
  std::vector<std::string> pending_events_;
  std::optional<idempotency_record> pending_key_;
  std::vector<held_reply> pending_replies_;
  // Writes sent to the journal, oldest first, each with the replies waiting for it.
  std::deque<in_flight> in_flight_;
  std::uint64_t next_write_ = 1;
  std::unordered_map<std::string, remembered_key> keys_;
  std::size_t keys_swept_at_ = 64;
  std::optional<std::string> absent_key_;  // a key the storage did not hold, for the re-run
};

template <class T>
void persistent_server::reply_when_durable(const otp::from& to, T&& value) {
  pending_replies_.push_back(
      std::make_unique<held_reply_of<std::decay_t<T>>>(to, std::forward<T>(value)));
}

/// A call as a persistent process sees it: match it on its request type as call_context
/// does; a keyed<Req> request matches the handler for Req, at most once per key.
class command_context {
 public:
  command_context(persistent_server& server, const otp::from& caller, message& request)
      : server_(server), from_(caller), request_(request) {}

  message& request() noexcept { return request_; }
  const otp::from& caller() const noexcept { return from_; }

  /// Calls the handler whose parameter type is the request's (or the command's, for
  /// keyed<Req>). A handler returning a value replies with it once what it persisted is
  /// durable; a void handler replies with reply() or not at all. False if none matched.
  template <class... Handlers>
  bool match(Handlers&&... handlers);

  /// Replies once what was persisted is durable.
  template <class T>
  void reply(T&& value) {
    replied_ = true;
    server_.reply_when_durable(from_, std::forward<T>(value));
  }
  /// No reply now: keep the returned from and answer with reply_when_durable(from, v) later.
  otp::from defer() noexcept {
    replied_ = true;
    return from_;
  }
  bool answered() const noexcept { return replied_; }
  bool matched() const noexcept { return matched_; }

 private:
  template <class H, class Arg>
  void run(H& handler, Arg& command);
  template <class H, class Arg>
  void run_keyed(H& handler, keyed<Arg>& k);

  persistent_server& server_;
  const otp::from& from_;
  message& request_;
  bool replied_ = false;
  bool matched_ = false;
};

template <class H, class Arg>
void command_context::run(H& handler, Arg& command) {
  using result = otp::detail::handler_result<H>;
  if constexpr (std::is_void_v<result>) {
    handler(command);
  } else {
    reply(otp::detail::as_reply<Arg>(handler(command)));
  }
}

template <class H, class Arg>
void command_context::run_keyed(H& handler, keyed<Arg>& k) {
  using reply_type = otp::reply_t<Arg>;
  if (const auto* known = server_.remembered(k.key)) {
    reply(persist::decode<reply_type>(known->result));  // a retry: the first result
    return;
  }
  if (!server_.looked_up_absent(k.key)) {
    // Not applied since this process started: the storage may know it from before.
    replied_ = true;  // answered by the re-run
    std::string key = k.key;
    server_.resolve_key(from_, message_ptr(make_message<keyed<Arg>>(std::move(k))), std::move(key));
    return;
  }
  reply_type r = otp::detail::as_reply<Arg>(handler(k.command));
  server_.remember(k.key, persist::encode(r));
  reply(std::move(r));
}

template <class... Handlers>
bool command_context::match(Handlers&&... handlers) {
  auto try_one = [&](auto& h) {
    using H = std::remove_cvref_t<decltype(h)>;
    using arg = otp::detail::handler_arg<H>;
    if (matched_) return;
    if (arg* command = request_.get_if<arg>()) {
      matched_ = true;
      run(h, *command);
    } else if constexpr (otp::request<arg>) {
      if constexpr (encodable<otp::reply_t<arg>> &&
                    !std::is_void_v<otp::detail::handler_result<H>>) {
        if (auto* k = request_.get_if<keyed<arg>>()) {
          matched_ = true;
          run_keyed(h, *k);
        }
      }
    }
  };
  (try_one(handlers), ...);
  return matched_;
}

}  // namespace bitactor::persist
