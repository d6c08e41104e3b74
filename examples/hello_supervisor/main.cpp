// The README's first example: a counter gen_server under a supervisor. A call crashes it on
// purpose, the caller gets the crash reason, the supervisor restarts it, and calls go on.
// [readme]
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <iostream>

namespace otp = bitactor::otp;

struct bump {
  int by;
  using reply = int;
};  // a request names its reply type
struct boom {
  using reply = int;
};

class counter : public otp::gen_server {
  int total_ = 0;
  void handle_call(otp::call_context& c) override {
    c.match([&](bump& b) { return total_ += b.by; },
            [&](boom&) -> int { throw std::runtime_error("asked to crash"); });
  }
};

int main() {
  bitactor::node node;
  auto sup = otp::start_supervisor(
      node, {.flags = {.strategy = otp::restart_strategy::one_for_one},
             .children = {{"counter", otp::start_link_named_fn<counter>("counter")}}});
  std::cout << otp::call(node, "counter", bump{40}) << "\n";  // 40
  try {
    otp::call(node, "counter", boom{});
  } catch (const otp::call_error& e) {
    std::cout << e.reason() << "\n";  // {exception,<<"std::runtime_error">>,<<"asked to crash">>}
  }
  otp::which_children(node, sup.process);                    // answered once it has restarted
  std::cout << otp::call(node, "counter", bump{2}) << "\n";  // 2: a fresh counter
}
// [readme]
