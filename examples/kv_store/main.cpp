// Tutorial 1 (docs/tutorials/kv_store.md): a key-value store gen_server under a supervisor.
// Crash it and watch the supervisor restart it (OTP design principles: "Supervisor
// Behaviour").
#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace otp = bitactor::otp;

// The requests the store understands. Each names its reply type.
// [requests]
struct put {
  std::string key;
  std::string value;
  using reply = otp::ok_t;
};
struct get {
  std::string key;
  using reply = std::optional<std::string>;
};
struct crash {  // a cast: the store fails on purpose
};
// [requests]

// [server]
class kv_store : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match(
        [&](put& p) {
          data_[p.key] = p.value;
          return otp::ok;
        },
        [&](get& g) -> std::optional<std::string> {
          auto it = data_.find(g.key);
          if (it == data_.end()) return std::nullopt;
          return it->second;
        });
  }
  void handle_cast(bitactor::message& m) override {
    if (m.is<crash>()) throw std::runtime_error("the store was asked to crash");
  }

 private:
  std::map<std::string, std::string> data_;  // lost on a crash: a restart starts afresh
};
// [server]

int main() {
  bitactor::node node;
  // [supervisor]
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one,
                .intensity = 3,
                .period = std::chrono::seconds(5)},
      .children = {otp::child_spec{"kv", otp::start_link_named_fn<kv_store>("kv")}}};
  auto sup = otp::start_supervisor(node, spec, "kv_sup");
  // [supervisor]
  if (!sup.ok()) {
    std::cerr << "supervisor failed to start: " << sup.to_string() << "\n";
    return 1;
  }

  otp::call(node, "kv", put{"language", "Erlang"});
  std::cout << "language = " << *otp::call(node, "kv", get{"language"}) << "\n";

  bitactor::pid before = *node.whereis("kv");
  bitactor::inbox watcher(node);
  watcher.monitor(before);
  // [crash]
  otp::cast(node, "kv", crash{});
  // [crash]
  auto down = watcher.receive<bitactor::down_msg>();
  std::cout << "kv " << before << " exited: " << down->reason << "\n";

  // The store's exit signal reached the supervisor before its DOWN reached us, so this call
  // is handled after the restart (a supervisor answers no call while it restarts a child).
  bitactor::pid after = otp::which_children(node, sup.process).value().at(0).process;
  std::cout << "restarted as " << after << "; language = "
            << otp::call(node, "kv", get{"language"}).value_or("(gone: state is not kept)") << "\n";
  return 0;
}
