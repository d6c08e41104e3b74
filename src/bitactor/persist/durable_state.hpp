#pragma once
// durable_state<State>: a gen_server that writes its whole state after each change, for
// small states where a log of events buys nothing (persistent_server.hpp says what start,
// commands, replies and failures do). Recovery reads the last state written.
//
//   class counter : public persist::durable_state<std::int64_t> {
//    public:
//     counter(persist::persistence& p) : durable_state(p, {.persistence_id = "counter"}) {}
//    protected:
//     void handle_command(persist::command_context& c) override {
//       c.match([&](increment&) { update([](std::int64_t& n) { ++n; }); return state(); });
//     }
//   };
//
// update(f) changes the state and marks it for this callback's write; the reply leaves once
// that write is durable. Idempotency keys (keyed<Req>) work as for event_sourced: the key is
// written in the same batch as the state.

#include <utility>

#include "bitactor/persist/persistent_server.hpp"

namespace bitactor::persist {

template <encodable State>
class durable_state : public persistent_server {
 protected:
  using persistent_server::persistent_server;

  const State& state() const noexcept { return state_; }

  /// Runs `change(state)` and writes the state with this callback's batch.
  template <class F>
  void update(F&& change) {
    std::forward<F>(change)(state_);
    state_changed();
  }
  /// Replaces the state and writes it with this callback's batch.
  void set_state(State s) {
    state_ = std::move(s);
    state_changed();
  }

 private:
  kind stored_as() const noexcept final { return kind::state; }
  bool can_snapshot() const noexcept final { return true; }
  void restore_snapshot(std::string_view bytes) final { state_ = persist::decode<State>(bytes); }
  void replay_event(std::string_view) final {}
  std::string encode_state() const final { return persist::encode(state_); }

  State state_{};
};

}  // namespace bitactor::persist
