#pragma once
// event_sourced<State, Event>: a gen_server whose state is the fold of the events it
// persisted (persistent_server.hpp says what start, commands, replies and failures do).
//
//   struct deposited { std::int64_t amount; };   // an Event; codec<deposited> has a name
//   struct withdrawn { std::int64_t amount; };
//   using account_event = std::variant<deposited, withdrawn>;
//   struct deposit { std::int64_t amount; using reply = std::int64_t; };   // a command
//
//   class account : public persist::event_sourced<std::int64_t, account_event> {
//    public:
//     account(persist::persistence& p, std::string id)
//         : event_sourced(p, {.persistence_id = std::move(id), .snapshot_every = 1000}) {}
//    protected:
//     void apply(const account_event& e) override {          // also while recovering
//       if (auto* d = std::get_if<deposited>(&e)) state() += d->amount;
//       if (auto* w = std::get_if<withdrawn>(&e)) state() -= w->amount;
//     }
//     void handle_command(persist::command_context& c) override {
//       c.match([&](deposit& d) { persist(deposited{d.amount}); return state(); });
//     }
//   };
//
// persist(e) applies the event at once and writes it with the callback's batch; the reply
// the handler returns leaves once the batch is durable. Recovery starts from the latest
// snapshot (when State has a persist::codec) and applies the events after it.
//
// Snapshots: every options.snapshot_every events, and on snapshot_now(); with
// delete_events_on_snapshot the events a snapshot covers are deleted in the same write.

#include <utility>

#include "bitactor/persist/persistent_server.hpp"

namespace bitactor::persist {

template <class State, encodable Event>
class event_sourced : public persistent_server {
 protected:
  using persistent_server::persistent_server;

  State& state() noexcept { return state_; }
  const State& state() const noexcept { return state_; }
  /// Changes the state by one event: called for each persisted event and, in order, for
  /// each event read back while recovering. Must not fail for an event it accepted before.
  virtual void apply(const Event& e) = 0;
  /// Applies `e` now and writes it with this callback's batch.
  void persist(const Event& e) {
    append_event(persist::encode(e));
    apply(e);
  }

 private:
  kind stored_as() const noexcept final { return kind::events; }
  bool can_snapshot() const noexcept final { return encodable<State>; }
  void restore_snapshot(std::string_view bytes) final {
    if constexpr (encodable<State>) state_ = persist::decode<State>(bytes);
  }
  void replay_event(std::string_view bytes) final { apply(persist::decode<Event>(bytes)); }
  std::string encode_state() const final {
    if constexpr (encodable<State>) {
      return persist::encode(state_);
    } else {
      return {};  // unreachable: can_snapshot() is false
    }
  }

  State state_{};
};

}  // namespace bitactor::persist
