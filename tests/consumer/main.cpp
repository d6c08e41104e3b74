// A program outside the tree built against the installed package: it uses every layer
// (term, core, otp, dist) through the installed headers and libraries and checks the answers,
// reports included (read as terms, with no spdlog in sight).
#include <bitactor/core/inbox.hpp>
#include <bitactor/core/node.hpp>
#include <bitactor/dist/dist_config.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>
#include <cstdio>
#include <string>

namespace otp = bitactor::otp;

struct twice {
  int n;
  using reply = int;
};

class doubler : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match([](twice& t) { return t.n * 2; });
  }
};

static int fail(const char* what) {
  std::printf("consumer: FAILED: %s\n", what);
  return 1;
}

int main() {
  namespace term = bitactor::term;
  term::term t = term::parse("{ok, [1, 2, 3], <<\"bin\">>}");
  if (term::binary_to_term(term::encode(t)) != t) return fail("term round trip");

  bitactor::node node;
  bitactor::inbox box(node);
  bitactor::pid echo = node.spawn([](bitactor::actor& self, bitactor::message& m) {
    if (auto* p = m.get_if<std::pair<bitactor::pid, int>>()) self.send(p->first, p->second * 2);
  });
  node.send(echo, std::pair{box.self(), 21});
  auto answer = box.receive<int>();
  if (!answer || *answer != 42) return fail("core send and receive");

  otp::report_capture reports;
  otp::set_default_sink_level(otp::report_level::warning);  // no progress text on stderr
  otp::supervisor_spec spec{
      .flags = {.strategy = otp::restart_strategy::one_for_one},
      .children = {otp::child_spec{"doubler", otp::start_link_named_fn<doubler>("doubler")}}};
  auto sup = otp::start_supervisor(node, spec, "sup");
  if (!sup.ok()) return fail("supervisor start");
  if (otp::call(node, "doubler", twice{21}) != 42) return fail("gen_server call");
  // The supervisor logged a progress report for its child before start_supervisor returned.
  auto progress = reports.of_kind(otp::report::kind::progress);
  if (progress.size() != 1 || !progress[0].find("child")->is_atom("doubler") ||
      *progress[0].find("child_pid") !=
          term::term(bitactor::to_term_pid(node.whereis("doubler").value_or(bitactor::pid{})))) {
    return fail("progress report fields");
  }

  // The distribution layer: its configuration is checked (no network needed for that), and
  // pids map to terms and back.
  namespace dist = bitactor::dist;
  dist::dist_config dc;
  dc.name = "consumer@localhost";
  dc.cookie = "consumer-cookie";
  if (dist::resolve(dc).node_name != "consumer@localhost") return fail("dist config");
  dc.name = "not a node name!";
  bool refused = false;
  try {
    dist::resolve(dc);
  } catch (const dist::dist_error&) {
    refused = true;
  }
  if (!refused) return fail("dist config refuses a bad name");
  if (dist::from_term(dist::to_term(echo)) != echo) return fail("dist pid mapping");

  std::printf("consumer: find_package(BitActor) works: %s, 42, 42\n", term::to_string(t).c_str());
  return 0;
}
