// Tutorial 5 (docs/tutorials/bank_account.md): a bank account that survives kill -9. Its state
// is the fold of the events it persisted to a RocksDB journal; a supervisor restarts it after a
// crash with the same balance, and a deposit retried with its key is applied once.
//
//   bank_account <directory> deposit <key> <amount>   prints the new balance
//   bank_account <directory> balance
//   bank_account <directory> run <count>              deposits 1 <count> times, printing each
//                                                     acknowledged balance (kill -9 it)
//   bank_account <directory> tour                     the tutorial's walk-through
#include <bitactor/core/node.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <bitactor/persist/event_sourced.hpp>
#include <bitactor/persist/rocksdb_storage.hpp>
#include <cstdint>
#include <iostream>
#include <string>
#include <thread>
#include <variant>

namespace otp = bitactor::otp;
namespace persist = bitactor::persist;
namespace term = bitactor::term;

// [events]
struct deposited {
  std::int64_t amount;
};
struct withdrawn {
  std::int64_t amount;
};
using account_event = std::variant<deposited, withdrawn>;

// How an event is stored: a name that stays fixed, and the amount as an Erlang term.
template <>
struct persist::codec<deposited> {
  static constexpr std::string_view name = "deposited";
  static term::term to_term(const deposited& e) { return term::term(e.amount); }
  static deposited from_term(const term::term& t) { return {t.as_int()}; }
};
template <>
struct persist::codec<withdrawn> {
  static constexpr std::string_view name = "withdrawn";
  static term::term to_term(const withdrawn& e) { return term::term(e.amount); }
  static withdrawn from_term(const term::term& t) { return {t.as_int()}; }
};
// [events]

// [commands]
struct deposit {
  std::int64_t amount;
  using reply = std::int64_t;  // the balance after it
};
struct withdraw {
  std::int64_t amount;
  using reply = std::int64_t;  // the balance after it, or -1 when refused
};
struct get_balance {
  using reply = std::int64_t;
};
struct crash {
  using reply = otp::ok_t;
};
// [commands]

// [account]
class account : public persist::event_sourced<std::int64_t, account_event> {
 public:
  account(persist::persistence& p, std::string id)
      : event_sourced(p, {.persistence_id = std::move(id), .snapshot_every = 1000}) {}

 protected:
  void apply(const account_event& e) override {
    if (const auto* d = std::get_if<deposited>(&e)) state() += d->amount;
    if (const auto* w = std::get_if<withdrawn>(&e)) state() -= w->amount;
  }
  void handle_command(persist::command_context& c) override {
    c.match(
        [&](deposit& d) {
          persist(deposited{d.amount});
          return state();
        },
        [&](withdraw& w) -> std::int64_t {
          if (w.amount > state()) return -1;
          persist(withdrawn{w.amount});
          return state();
        },
        [&](get_balance&) { return state(); },
        [&](crash&) -> otp::ok_t { throw std::runtime_error("crashed on purpose"); });
  }
};
// [account]

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " <directory> deposit <key> <amount> | balance | "
              << "run <count> | tour\n";
    return 1;
  }
  // [start]
  bitactor::node node;
  persist::rocksdb_storage store(argv[1]);
  persist::persistence persistence(store);
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one,
                .intensity = 3,
                .period = std::chrono::seconds(5)},
      .children = {otp::child_spec::worker<account>("account", std::ref(persistence),
                                                    std::string("account-1"))
                       .registered_as("account")}};
  auto sup = otp::start_supervisor(node, spec, "bank");
  // [start]
  if (!sup.ok()) {
    std::cerr << "the account did not start: " << sup.to_string() << "\n";
    return 1;
  }
  std::string what = argv[2];
  auto balance = [&] { return otp::call(node, "account", get_balance{}); };
  if (what == "balance") {
    std::cout << "balance = " << balance() << "\n";
  } else if (what == "deposit" && argc == 5) {
    // [keyed]
    persist::keyed<deposit> d{argv[3], {std::stoll(argv[4])}};
    std::cout << "balance = " << otp::call(node, "account", std::move(d)) << "\n";
    // [keyed]
  } else if (what == "run" && argc == 4) {
    for (long i = 0, n = std::stol(argv[3]); i < n; ++i) {
      std::cout << "acknowledged balance = " << otp::call(node, "account", deposit{1}) << std::endl;
    }
  } else if (what == "tour") {
    std::int64_t before = balance();
    std::cout << "balance at start = " << before << "\n";
    otp::call(node, "account", deposit{100});
    try {
      otp::call(node, "account", crash{});
    } catch (const otp::call_error& e) {
      std::cout << "crashed: " << e.reason().to_string() << "\n";
    }
    // The supervisor restarts it and the new incarnation replays the journal; until it is
    // registered again a call finds no process, so a client retries for a while.
    std::int64_t after = -1;
    for (int attempt = 0; after < 0; ++attempt) {
      try {
        after = balance();
      } catch (const otp::call_error&) {
        if (attempt == 1000) throw;
        std::this_thread::yield();
      }
    }
    std::cout << "after the restart: balance = " << after << " (was " << before + 100 << ")\n";
    persist::keyed<deposit> once{"tour-payment", {5}};
    std::cout << "keyed deposit: " << otp::call(node, "account", once) << "\n";
    std::cout << "same key again: " << otp::call(node, "account", once) << "\n";
  } else {
    std::cerr << "unknown command\n";
    return 1;
  }
  node.stop();  // before the persistence goes: the processes write through it
}
