#pragma once
// OTP's code lock (gen_statem(3) and the "gen_statem Behaviour" guide), ported: a door
// with a keypad. In `locked`, buttons are collected; the right code opens the door. In
// `open`, a state timeout locks it again after 10 s. Entering a state is where the lock is
// (un)locked: the state enter calls do it, so no transition can forget to.
//
//   locked --(right code)--> open --(state_timeout 10 s)--> locked
//   locked: a wrong or incomplete code is kept; 30 s without a button forgets it

#include <bitactor/otp/gen_statem.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace code_lock {

struct button {
  char digit;
};
/// A call: how many digits the code has (code_length/0 in the OTP example).
struct code_length {
  using reply = std::size_t;
};
/// What the lock tells its observer (do_lock() / do_unlock() in the OTP example).
struct lock_event {
  std::string what;  // "locked" or "unlocked"
};

// [states]
/// The lock's states (the atoms locked and open in the OTP example). An enum: a misspelt
/// state does not compile, and a state's callback is found by index.
enum class lock_state { locked, open };
/// Names the states in reports and in state().
inline const char* to_string(lock_state s) { return s == lock_state::locked ? "locked" : "open"; }
// [states]

inline constexpr std::chrono::milliseconds open_time = std::chrono::seconds(10);
inline constexpr std::chrono::milliseconds button_time = std::chrono::seconds(30);

class code_lock : public bitactor::otp::gen_statem {
 public:
  code_lock(std::string code, bitactor::pid observer)
      : code_(std::move(code)), observer_(observer) {}

 protected:
  // [init]
  void init() override {
    state_enter(true);  // callback_mode() -> [state_functions, state_enter]
    on_state(lock_state::locked, &code_lock::locked);
    on_state(lock_state::open, &code_lock::open);
    start_in(lock_state::locked);
  }
  // [init]

  // [locked]
  void locked(bitactor::otp::event& e) {
    using bitactor::otp::event_type;
    if (e.is_enter()) {
      do_lock();
      buttons_.clear();
    } else if (e.type() == event_type::state_timeout) {
      buttons_.clear();  // no button for 30 s: forget the digits
    } else if (auto* b = e.get_if<button>()) {
      if (buttons_.size() >= code_.size()) buttons_.erase(buttons_.begin());
      buttons_.push_back(b->digit);
      if (buttons_ == code_) {
        next_state(lock_state::open);
      } else {
        state_timeout(button_time);
      }
    } else {
      common(e);
    }
  }
  // [locked]

  // [open]
  void open(bitactor::otp::event& e) {
    using bitactor::otp::event_type;
    if (e.is_enter()) {
      do_unlock();
      state_timeout(open_time);
    } else if (e.type() == event_type::state_timeout) {
      next_state(lock_state::locked);
    } else if (e.get_if<button>() != nullptr) {
      // Buttons pressed while open are ignored ({next_state, open, Data}).
    } else {
      common(e);
    }
  }
  // [open]

  // [common]
  /// Events handled the same in every state (handle_common/3 in the OTP example).
  void common(bitactor::otp::event& e) {
    if (e.get_if<code_length>() != nullptr) e.reply(code_.size());
  }
  // [common]

  void terminate(const bitactor::exit_reason&) override {
    if (!in(lock_state::locked)) do_lock();
  }

 private:
  void do_lock() { send(observer_, lock_event{"locked"}); }
  void do_unlock() { send(observer_, lock_event{"unlocked"}); }

  std::string code_;
  std::string buttons_;
  bitactor::pid observer_;
};

}  // namespace code_lock
