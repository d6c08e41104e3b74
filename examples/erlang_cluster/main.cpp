// A BitActor node that joins an Erlang cluster (docs/tutorials/join_an_erlang_cluster.md).
// It serves Erlang nodes (a registered process, a gen_server, C++ functions for rpc, a C++
// type that crosses as a term), and when an Erlang node connects it calls that node's `prices`
// gen_server and one of its functions (prices.erl). It ends when that node goes away.
//
//   build/release/examples/erlang_cluster/erlang_cluster [NAME [COOKIE]]
//   (defaults: cluster@localhost, tutorial)

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/system_messages.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/term/codec.hpp>
#include <bitactor/term/match.hpp>
#include <bitactor/term/print.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>

namespace dist = bitactor::dist;
namespace otp = bitactor::otp;
namespace term = bitactor::term;

// [codec]
/// A C++ type that crosses nodes as a term: an order is {order, <<"ACME">>, 10} there.
struct order {
  std::string symbol;
  std::int64_t quantity = 0;
};

template <>
struct bitactor::term::codec<order> {
  static constexpr std::string_view tag = "order";
  static term encode(const order& o) {
    return tuple(atom("order"), binary(o.symbol), term(o.quantity));
  }
  static std::optional<order> decode(const term& t) {
    std::string symbol;
    std::int64_t quantity = 0;
    if (!match(t, tuple(atom("order"), bind(symbol), bind(quantity)))) return std::nullopt;
    return order{symbol, quantity};
  }
};
// [codec]

namespace {

std::string show(const term::term& t) { return term::to_string(t); }

// [echo]
/// Answers `{From, Msg}` with `{echo, Msg}` to From; prints what it gets.
void echo(bitactor::actor& self, bitactor::message& m) {
  auto* t = m.get_if<term::term>();
  if (t == nullptr) return;
  std::printf("echo: got %s\n", show(*t).c_str());
  if (t->is_tuple() && t->size() == 2 && (*t)[0].is_pid()) {
    self.send(dist::from_term((*t)[0].as_pid()), term::tuple(term::atom("echo"), (*t)[1]));
  }
}
// [echo]

// [counter]
/// gen_server:call({counter, Node}, incr) -> 1, 2, ...; get -> the count.
class counter : public otp::gen_server {
 protected:
  void handle_call(otp::call_context& c) override {
    c.match([&](term::term& request) -> term::term {
      if (request.is_atom("incr")) return term::term(++count_);
      if (request.is_atom("get")) return term::term(count_);
      return term::tuple(term::atom("error"), term::tuple(term::atom("unknown"), request));
    });
  }

 private:
  std::int64_t count_ = 0;
};
// [counter]

// [order-book]
/// Takes orders sent to it as messages; gen_server:call({orders, Node}, last) answers the last.
class order_book : public otp::gen_server {
 protected:
  void handle_info(bitactor::message& m) override {
    if (auto* o = m.get_if<order>()) {  // an {order, ...} term from Erlang arrives as an order
      std::printf("orders: %lld x %s\n", static_cast<long long>(o->quantity), o->symbol.c_str());
      last_ = *o;
    }
  }
  void handle_call(otp::call_context& c) override {
    c.match([&](term::term&) -> order { return last_; });  // goes back as its term
  }

 private:
  order last_;
};
// [order-book]

// [call-erlang]
/// Calls the Erlang node's `prices` server (prices.erl) and one of its functions.
void call_erlang(dist::distributed_node& dn, const std::string& peer) {
  try {
    term::term request = term::tuple(term::atom("price"), term::binary("ACME"));
    term::term reply = dn.call("prices", peer, request);  // gen_server:call({prices, Peer}, ...)
    std::printf("call {prices, %s} %s -> %s\n", peer.c_str(), show(request).c_str(),
                show(reply).c_str());

    term::term lines = term::list(term::tuple(term::binary("ACME"), 10));
    term::term total = dn.rpc(peer, "prices", "total", {lines});  // erpc:call(Peer, prices, ...)
    std::printf("rpc prices:total(%s) -> %s\n", show(lines).c_str(), show(total).c_str());
  } catch (const dist::remote_call_error& e) {  // noproc, noconnection, timeout, its exit
    std::printf("call failed: %s\n", show(e.reason().as_term()).c_str());
  } catch (const dist::rpc_error& e) {
    std::printf("rpc failed: %s\n", e.what());
  }
}
// [call-erlang]

// [rpc-error]
const char* class_name(dist::exception_class c) {
  switch (c) {
    case dist::exception_class::error:
      return "error";
    case dist::exception_class::exit:
      return "exit";
    case dist::exception_class::throw_:
      return "throw";
  }
  return "?";
}

/// An rpc of a function the Erlang node does not have: what erpc:call would raise.
void call_undefined(dist::distributed_node& dn, const std::string& peer) {
  try {
    dn.rpc(peer, "prices", "nope", {});
  } catch (const dist::rpc_error& e) {
    std::printf("rpc prices:nope() raised %s %s\n", class_name(e.cls()), show(e.reason()).c_str());
  }
}
// [rpc-error]

// [whereis]
/// The pid of `prices` on the peer (erlang:whereis(prices) run there), to monitor it.
std::optional<bitactor::pid> whereis_prices(dist::distributed_node& dn, const std::string& peer) {
  try {
    term::term where = dn.rpc(peer, "erlang", "whereis", {term::atom("prices")});
    if (where.is_pid()) return dist::from_term(where.as_pid());
  } catch (const dist::rpc_error&) {
  }
  return std::nullopt;
}
// [whereis]

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, also into a pipe
  // [start]
  dist::dist_config config;
  config.name = argc > 1 ? argv[1] : "cluster@localhost";
  config.cookie = argc > 2 ? argv[2] : "tutorial";
  // Registers with epmd (on $ERL_EPMD_PORT, else 4369), starting one if none answers.
  dist::distributed_node dn(config);
  std::printf("node %s up (creation %u, port %u)\n", dn.name().c_str(), dn.creation(),
              static_cast<unsigned>(dn.port()));
  // [start]

  // [register]
  dn.local().register_name("echo", dn.local().spawn(echo));
  otp::start<counter>(dn.local(), {.name = "counter"});
  dn.register_codec<order>();
  otp::start<order_book>(dn.local(), {.name = "orders"});
  // [register]

  // [serve-rpc]
  dn.register_rpc("calc", "add", 2, [](std::span<const term::term> args) -> term::term {
    if (!args[0].is_small() || !args[1].is_small()) {
      throw dist::erlang_exception::error(term::atom("badarith"));
    }
    return term::term(args[0].as_int() + args[1].as_int());
  });
  dn.register_rpc("calc", "divide", 2, [](std::span<const term::term> args) -> term::term {
    if (!args[0].is_small() || !args[1].is_small() || args[1].as_int() == 0) {
      throw dist::erlang_exception::error(term::atom("badarith"));
    }
    return term::term(args[0].as_int() / args[1].as_int());
  });
  // [serve-rpc]

  // [monitor-nodes]
  // This node is hidden, so every connection to it is hidden too: ask for all node types.
  bitactor::inbox events(dn.local());
  dn.monitor_nodes(events.self(), {.type = dist::node_type::all, .nodedown_reason = true});
  // [monitor-nodes]
  std::printf("ready: echo, counter, orders, calc:add/2, calc:divide/2\n");

  // [events]
  std::string peer;  // the first Erlang node that connects
  while (true) {
    bitactor::message_ptr m = events.receive_any(std::chrono::hours(24));
    if (!m) continue;
    if (auto* t = m->get_if<term::term>()) {  // {nodeup, N, Info} or {nodedown, N, Info}
      std::printf("%s\n", show(*t).c_str());
      if ((*t)[0].is_atom("nodeup") && peer.empty()) {
        peer = std::string((*t)[1].as_atom().name());
        call_erlang(dn, peer);
        call_undefined(dn, peer);
        if (auto prices = whereis_prices(dn, peer)) {
          events.monitor(*prices);
          std::printf("monitoring prices %s\n", show(dist::to_term(*prices)).c_str());
        }
      } else if ((*t)[0].is_atom("nodedown") && (*t)[1].is_atom(peer)) {
        break;
      }
    } else if (auto* down = m->get_if<bitactor::down_msg>()) {
      std::printf("DOWN %s: %s\n", show(dist::to_term(down->process)).c_str(),
                  show(down->reason.as_term()).c_str());
    }
  }
  // [events]

  // [after-loss]
  try {
    dn.rpc(peer, "prices", "total", {term::nil()});
  } catch (const dist::rpc_error& e) {
    std::printf("rpc after nodedown: %s\n", show(e.reason()).c_str());
  }
  // [after-loss]
  std::printf("bye\n");
}
