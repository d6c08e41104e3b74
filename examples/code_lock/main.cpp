// The code lock of OTP's gen_statem guide: presses a wrong code, the right one, and waits
// for the door to lock itself again. Runs on the deterministic policy so the 10 s of the
// state timeout pass in virtual time and the program ends at once.
#include <bitactor/core/inbox.hpp>
#include <bitactor/otp/call.hpp>
#include <iostream>

#include "code_lock.hpp"

int main() {
  using namespace std::chrono_literals;
  bitactor::node node(bitactor::node_config::deterministic(1));
  bitactor::inbox door(node);  // stands in for the lock's hardware: prints what it is told
  auto print_lock_events = [&] {
    while (auto e = door.receive<code_lock::lock_event>(0ms)) std::cout << "  " << e->what << "\n";
  };

  auto started = bitactor::otp::start<code_lock::code_lock>(node, {.name = "code_lock"},
                                                            std::string("1234"), door.self());
  if (!started.ok()) {
    std::cerr << "code_lock did not start: " << started.to_string() << "\n";
    return 1;
  }
  node.run_until_idle();
  print_lock_events();
  // [call]
  std::cout << "code length: " << bitactor::otp::call(node, "code_lock", code_lock::code_length{})
            << "\n";
  // [call]

  std::cout << "pressing 9 9 1 2 3 4\n";
  for (char d : std::string("991234")) {
    bitactor::otp::cast(node, "code_lock", code_lock::button{d});
  }
  node.run_until_idle();
  print_lock_events();

  std::cout << "waiting 10 s (virtual) for the state timeout\n";
  node.advance_time(code_lock::open_time);
  print_lock_events();
  return 0;
}
