#pragma once
// The bank account the persistent-process tests (and the crash harness) drive: an
// event-sourced balance with deposits, withdrawals that may be refused, and a command that
// crashes it.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>

#include "bitactor/persist/event_sourced.hpp"

namespace bitactor::persist::testing {

struct deposited {
  std::int64_t amount = 0;
};
struct withdrawn {
  std::int64_t amount = 0;
};
using account_event = std::variant<deposited, withdrawn>;

struct account_state {
  std::int64_t balance = 0;
  std::uint64_t events = 0;  // events folded in (snapshot or replay or live)
};

// Commands.
struct deposit {
  std::int64_t amount = 0;
  using reply = std::int64_t;  // the new balance
};
struct withdraw {
  std::int64_t amount = 0;
  using reply = std::int64_t;  // the new balance, or -1 when refused
};
struct balance {
  using reply = std::int64_t;
};
struct replayed {
  using reply = std::uint64_t;  // events applied since this incarnation started
};
struct crash {
  using reply = otp::ok_t;
};
struct take_snapshot {
  using reply = otp::ok_t;
};

}  // namespace bitactor::persist::testing

template <>
struct bitactor::persist::codec<bitactor::persist::testing::deposited> {
  static constexpr std::string_view name = "deposited";
  static term::term to_term(const testing::deposited& e) { return term::term(e.amount); }
  static testing::deposited from_term(const term::term& t) { return {t.as_int()}; }
};
template <>
struct bitactor::persist::codec<bitactor::persist::testing::withdrawn> {
  static constexpr std::string_view name = "withdrawn";
  static term::term to_term(const testing::withdrawn& e) { return term::term(e.amount); }
  static testing::withdrawn from_term(const term::term& t) { return {t.as_int()}; }
};
template <>
struct bitactor::persist::codec<bitactor::persist::testing::account_state> {
  static term::term to_term(const testing::account_state& s) {
    return term::tuple(term::term(s.balance), term::term(s.events));
  }
  static testing::account_state from_term(const term::term& t) {
    return {t[0].as_int(), static_cast<std::uint64_t>(t[1].as_int())};
  }
};

namespace bitactor::persist::testing {

class account : public event_sourced<account_state, account_event> {
 public:
  account(persistence& p, persistent_options options) : event_sourced(p, std::move(options)) {}

 protected:
  void apply(const account_event& e) override {
    if (const auto* d = std::get_if<deposited>(&e)) state().balance += d->amount;
    if (const auto* w = std::get_if<withdrawn>(&e)) state().balance -= w->amount;
    ++state().events;
    ++applied_;
  }
  void handle_command(command_context& c) override {
    c.match(
        [&](deposit& d) {
          persist(deposited{d.amount});
          return state().balance;
        },
        [&](withdraw& w) -> std::int64_t {
          if (w.amount > state().balance) return -1;  // refused: nothing persisted
          persist(withdrawn{w.amount});
          return state().balance;
        },
        [&](balance&) { return state().balance; }, [&](replayed&) { return applied_; },
        [&](take_snapshot&) {
          snapshot_now();
          return otp::ok;
        },
        [&](crash&) -> otp::ok_t { throw std::runtime_error("asked to crash"); });
  }

 private:
  std::uint64_t applied_ = 0;
};

}  // namespace bitactor::persist::testing
