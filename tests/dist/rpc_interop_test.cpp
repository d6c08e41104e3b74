// rpc across nodes against a real erl node (OTP 25), both ways: erl's rpc:call, erpc:call,
// rpc:cast and spawn/4 of C++ functions registered on a BitActor node, and BitActor's
// distributed_node::rpc and rpc_cast of Erlang functions, with erpc's results and exceptions
// on each side. The suite runs its own epmd on a free port and its own erl.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/core/inbox.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/internal/control.hpp>
#include <bitactor/dist/internal/flags.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/term/print.hpp>
#include <memory>
#include <stdexcept>

#include "dist_test_support.hpp"

using namespace bitactor;
using namespace bitactor::dist;
using namespace bitactor::dist::testing;
namespace t = bitactor::term;

namespace {

t::term atom(const char* a) { return t::atom(a); }

class dist_rpc : public erl_peer_suite<dist_rpc> {
 public:
  static constexpr const char* peer_name = "rpcpeer@localhost";
  static constexpr const char* cookie = "dist_rpc_cookie";

 protected:
  std::unique_ptr<distributed_node> start(const std::string& alive) {
    auto dn = std::make_unique<distributed_node>(config_for(alive), two_workers());
    // calc:add/2, and calc:fail/1, which raises as its argument says.
    dn->register_rpc("calc", "add", 2, [](std::span<const t::term> args) -> t::term {
      if (!args[0].is_small() || !args[1].is_small()) {
        throw erlang_exception::error(atom("badarith"));
      }
      return t::term(args[0].as_int() + args[1].as_int());
    });
    dn->register_rpc("calc", "fail", 1, [](std::span<const t::term> args) -> t::term {
      if (args[0].is_atom("error")) throw erlang_exception::error(atom("boom"));
      if (args[0].is_atom("exit")) throw erlang_exception::exit(atom("bye"));
      if (args[0].is_atom("throw")) throw erlang_exception::thrown(atom("ball"));
      throw std::runtime_error("not an Erlang exception");
    });
    return dn;
  }

  // erl: rpc:call(Node, M, F, A) and erpc:call(Node, M, F, A), a minute's timeout.
  t::term erl_rpc(const distributed_node& dn, const char* m, const char* f, t::term args) {
    return erl_->call(t::tuple(atom("rpc"), t::atom(dn.name()), atom(m), atom(f), args, 60000));
  }
  t::term erl_erpc(const distributed_node& dn, const char* m, const char* f, t::term args) {
    return erl_->call(t::tuple(atom("erpc"), t::atom(dn.name()), atom(m), atom(f), args, 60000));
  }
};

// What rpc() threw, for checks on its class and reason.
template <class F>
rpc_error rpc_failure(F&& f) {
  try {
    f();
  } catch (const rpc_error& e) {
    return e;
  }
  throw std::logic_error("the rpc did not fail");
}

}  // namespace

TEST_F(dist_rpc, erl_calls_a_registered_function_with_rpc_and_erpc) {
  auto dn = start("served");
  EXPECT_EQ(erl_rpc(*dn, "calc", "add", t::list(1, 2)), t::term(3));
  EXPECT_EQ(erl_erpc(*dn, "calc", "add", t::list(40, 2)), t::tuple(atom("return"), 42));
}

TEST_F(dist_rpc, a_function_not_registered_is_undef_in_erl) {
  auto dn = start("undef");
  // Not registered at all, and registered with another arity: both undef, as in BEAM, with
  // the call in the stack.
  for (const auto& [fn, args] : {std::pair{"nosuch", t::list(1)}, std::pair{"add", t::list(1)}}) {
    const t::term e = erl_erpc(*dn, "calc", fn, args);
    ASSERT_TRUE(e.is_tuple() && e.size() == 2) << t::to_string(e);
    EXPECT_TRUE(e[0].is_atom("error"));
    ASSERT_TRUE(e[1].is_tuple() && e[1].size() == 3) << t::to_string(e);
    EXPECT_TRUE(e[1][0].is_atom("exception"));
    EXPECT_TRUE(e[1][1].is_atom("undef"));
    EXPECT_EQ(e[1][2], t::list(t::tuple(atom("calc"), atom(fn), args, t::nil())));
  }
  const t::term r = erl_rpc(*dn, "calc", "nosuch", t::list(1));
  ASSERT_TRUE(r.is_tuple() && r.size() == 2 && r[0].is_atom("badrpc")) << t::to_string(r);
  EXPECT_TRUE(r[1].is_tuple() && r[1][0].is_atom("EXIT") && r[1][1][0].is_atom("undef"))
      << t::to_string(r);
}

TEST_F(dist_rpc, a_functions_exceptions_reach_erl_as_erlang_exceptions) {
  auto dn = start("raises");
  const t::term error = erl_erpc(*dn, "calc", "fail", t::list(atom("error")));
  ASSERT_TRUE(error.is_tuple() && error.size() == 2 && error[1].is_tuple()) << t::to_string(error);
  EXPECT_TRUE(error[0].is_atom("error"));
  EXPECT_TRUE(error[1][0].is_atom("exception"));
  EXPECT_TRUE(error[1][1].is_atom("boom"));
  EXPECT_EQ(erl_erpc(*dn, "calc", "fail", t::list(atom("exit"))),
            t::tuple(atom("exit"), t::tuple(atom("exception"), atom("bye"))));
  EXPECT_EQ(erl_erpc(*dn, "calc", "fail", t::list(atom("throw"))),
            t::tuple(atom("throw"), atom("ball")));
  // A C++ exception is the error {cpp_exception, <<Type>>, <<What>>}.
  const t::term cpp = erl_erpc(*dn, "calc", "fail", t::list(atom("other")));
  ASSERT_TRUE(cpp.is_tuple() && cpp.size() == 2 && cpp[1].is_tuple() && cpp[1].size() == 3)
      << t::to_string(cpp);
  const t::term& reason = cpp[1][1];
  ASSERT_TRUE(reason.is_tuple() && reason.size() == 3) << t::to_string(cpp);
  EXPECT_TRUE(reason[0].is_atom("cpp_exception"));
  EXPECT_EQ(reason[2], t::binary("not an Erlang exception"));
  // rpc:call: {badrpc, {'EXIT', ...}} for error and exit, the value for throw.
  const t::term bad = erl_rpc(*dn, "calc", "fail", t::list(atom("error")));
  ASSERT_TRUE(bad.is_tuple() && bad[0].is_atom("badrpc")) << t::to_string(bad);
  EXPECT_TRUE(bad[1][0].is_atom("EXIT") && bad[1][1][0].is_atom("boom")) << t::to_string(bad);
  EXPECT_EQ(erl_rpc(*dn, "calc", "fail", t::list(atom("exit"))),
            t::tuple(atom("badrpc"), t::tuple(atom("EXIT"), atom("bye"))));
  EXPECT_EQ(erl_rpc(*dn, "calc", "fail", t::list(atom("throw"))), atom("ball"));
  // Bad arguments are the function's business: here badarith.
  const t::term arith = erl_erpc(*dn, "calc", "add", t::list(atom("x"), 1));
  EXPECT_TRUE(arith[1][1].is_atom("badarith")) << t::to_string(arith);
}

TEST_F(dist_rpc, registering_again_replaces_and_unregistering_makes_it_undef) {
  auto dn = start("reregister");
  dn->register_rpc("calc", "add", 2, [](std::span<const t::term>) { return t::term(atom("v2")); });
  EXPECT_EQ(erl_rpc(*dn, "calc", "add", t::list(1, 2)), atom("v2"));
  EXPECT_TRUE(dn->unregister_rpc("calc", "add", 2));
  EXPECT_FALSE(dn->unregister_rpc("calc", "add", 2));
  EXPECT_TRUE(erl_erpc(*dn, "calc", "add", t::list(1, 2))[1][1].is_atom("undef"));
  EXPECT_THROW(dn->register_rpc("calc", "empty", 0, rpc_function{}), std::invalid_argument);
}

TEST_F(dist_rpc, erl_spawns_a_registered_function_as_a_plain_process) {
  auto dn = start("spawned");
  auto spawn_on = [&](const char* f, t::term args) {
    return erl_->call(t::tuple(atom("spawn_monitor_on"), t::atom(dn->name()), atom("calc"), atom(f),
                               args, 30000));
  };
  EXPECT_TRUE(spawn_on("add", t::list(1, 2)).is_atom("normal"));
  EXPECT_EQ(spawn_on("fail", t::list(atom("exit"))), atom("bye"));
  // As BEAM's spawn of an undefined function: {undef, [{M, F, Args, []}]}.
  EXPECT_EQ(spawn_on("nosuch", t::list(7)),
            t::tuple(atom("undef"),
                     t::list(t::tuple(atom("calc"), atom("nosuch"), t::list(7), t::nil()))));
}

TEST_F(dist_rpc, erl_casts_to_a_registered_function) {
  auto dn = start("castin");
  inbox box(dn->local());
  dn->register_rpc("sink", "put", 1, [&](std::span<const t::term> args) {
    dn->send(box.self(), args[0]);
    return t::term(atom("ok"));
  });
  EXPECT_TRUE(erl_->call(t::tuple(atom("rpc_cast"), t::atom(dn->name()), atom("sink"), atom("put"),
                                  t::list(t::tuple(atom("cast"), 1))))
                  .is_atom("true"));
  auto m = box.receive<t::term>(10s);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, t::tuple(atom("cast"), 1));
}

TEST_F(dist_rpc, bitactor_calls_erlang_functions) {
  auto dn = start("caller");
  EXPECT_EQ(dn->rpc(erl_->name(), "lists", "reverse", {t::list(1, 2, 3)}), t::list(3, 2, 1));
  EXPECT_EQ(dn->rpc(erl_->name(), "erlang", "node", {}), t::atom(erl_->name()));
  // A large argument and result go as fragments.
  const t::term big = t::binary(std::string(300'000, 'x'));
  EXPECT_EQ(dn->rpc(erl_->name(), "erlang", "iolist_to_binary", {t::list(big)}), big);
}

// What runs there prints to its group leader, this node's net_kernel, which answers the I/O
// protocol: io:format returns ok instead of waiting for an answer that never comes.
TEST_F(dist_rpc, an_erlang_function_that_prints_returns) {
  auto dn = start("printer");
  EXPECT_EQ(dn->rpc(erl_->name(), "io", "format",
                    {t::binary("rpc output from erl: ~p~n"), t::list(t::list(1, 2))}, 10s),
            atom("ok"));
  EXPECT_EQ(dn->rpc(erl_->name(), "io", "get_line", {t::binary("> ")}, 10s), atom("eof"));
}

TEST_F(dist_rpc, erlang_exceptions_reach_bitactor_as_erpc_raises_them) {
  auto dn = start("catcher");
  const std::string erl = erl_->name();
  auto error = rpc_failure([&] { dn->rpc(erl, "erlang", "error", {atom("boom")}); });
  EXPECT_EQ(error.cls(), exception_class::error);
  ASSERT_TRUE(error.reason().is_tuple() && error.reason().size() == 3);
  EXPECT_TRUE(error.reason()[0].is_atom("exception"));
  EXPECT_TRUE(error.reason()[1].is_atom("boom"));
  EXPECT_TRUE(error.erpc_failure().empty());
  EXPECT_NE(std::string(error.what()).find("erlang:error/1"), std::string::npos) << error.what();

  auto exit = rpc_failure([&] { dn->rpc(erl, "erlang", "exit", {atom("bye")}); });
  EXPECT_EQ(exit.cls(), exception_class::exit);
  EXPECT_EQ(exit.reason(), t::tuple(atom("exception"), atom("bye")));

  auto thrown = rpc_failure([&] { dn->rpc(erl, "erlang", "throw", {atom("ball")}); });
  EXPECT_EQ(thrown.cls(), exception_class::throw_);
  EXPECT_EQ(thrown.reason(), atom("ball"));

  auto undef = rpc_failure([&] { dn->rpc(erl, "no_such_module", "f", {1}); });
  EXPECT_EQ(undef.cls(), exception_class::error);
  EXPECT_TRUE(undef.reason()[1].is_atom("undef"));
}

TEST_F(dist_rpc, a_slow_call_times_out_and_the_next_call_is_unaffected) {
  auto dn = start("slow");
  auto late = rpc_failure([&] { dn->rpc(erl_->name(), "timer", "sleep", {3000}, 200ms); });
  EXPECT_EQ(late.erpc_failure(), "timeout");
  EXPECT_EQ(dn->rpc(erl_->name(), "erlang", "abs", {-5}), t::term(5));
}

TEST_F(dist_rpc, a_node_that_cannot_be_reached_or_is_lost_is_noconnection) {
  auto dn = start("lost");
  auto unreachable = rpc_failure([&] { dn->rpc("nobody@localhost", "m", "f", {}, 5s); });
  EXPECT_EQ(unreachable.erpc_failure(), "noconnection");
  // The function drops the connection it was called over: the call cannot end otherwise.
  auto dropped = rpc_failure(
      [&] { dn->rpc(erl_->name(), "erlang", "disconnect_node", {t::atom(dn->name())}, 30s); });
  EXPECT_EQ(dropped.erpc_failure(), "noconnection");
  // The next call connects again.
  EXPECT_EQ(dn->rpc(erl_->name(), "erlang", "abs", {-1}), t::term(1));
}

TEST_F(dist_rpc, bitactor_casts_to_erlang) {
  auto dn = start("castout");
  inbox box(dn->local());
  ASSERT_TRUE(dn->connect(erl_->name()));
  dn->rpc_cast(erl_->name(), "erlang", "send", {t::term(to_term(box.self())), atom("cast_back")});
  auto m = box.receive<t::term>(10s);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_atom("cast_back"));
}

TEST_F(dist_rpc, a_blocking_function_may_itself_call_other_nodes) {
  auto dn = start("nested");
  const std::string erl = erl_->name();
  dn->register_rpc("relay", "node_of_caller", 0,
                   // By value: nothing orders the test's end with this process but the network.
                   [node = dn.get(), erl](std::span<const t::term>) {
                     return node->rpc(erl, "erlang", "node", {});
                   },
                   {.blocking = true});
  EXPECT_EQ(erl_rpc(*dn, "relay", "node_of_caller", t::nil()), t::atom(erl));
}

TEST_F(dist_rpc, rpc_to_its_own_name_runs_the_local_function) {
  auto dn = start("self");
  EXPECT_EQ(dn->rpc(dn->name(), "calc", "add", {t::term(2), t::term(3)}), t::term(5));
  auto undef = rpc_failure([&] { dn->rpc(dn->name(), "calc", "nosuch", {}); });
  EXPECT_TRUE(undef.reason()[1].is_atom("undef"));
  auto thrown = rpc_failure([&] { dn->rpc(dn->name(), "calc", "fail", {atom("throw")}); });
  EXPECT_EQ(thrown.cls(), exception_class::throw_);
  std::atomic<int> casts{0};
  dn->register_rpc("count", "up", 0, [&](std::span<const t::term>) {
    ++casts;
    return t::term(atom("ok"));
  });
  dn->rpc_cast(dn->name(), "count", "up", {});
  for (auto deadline = steady::now() + 10s; casts.load() == 0 && steady::now() < deadline;) {
    std::this_thread::yield();
  }
  EXPECT_EQ(casts.load(), 1);
}

TEST_F(dist_rpc, a_peer_that_does_not_serve_spawns_is_notsup) {
  auto dn = start("notsup");
  raw_peer raw(dn->port(), "nospawn@localhost", dn->name(), cookie,
               flags::advertised & ~flags::spawn);
  auto e = rpc_failure([&] { dn->rpc("nospawn@localhost", "m", "f", {}, 10s); });
  EXPECT_EQ(e.erpc_failure(), "notsup");
}

TEST_F(dist_rpc, a_malformed_spawn_request_closes_only_its_connection) {
  auto dn = start("badspawn");
  EXPECT_EQ(erl_rpc(*dn, "calc", "add", t::list(1, 2)), t::term(3));
  raw_peer raw(dn->port(), "badspawn_raw@localhost", dn->name(), cookie, flags::advertised);
  // {29, ReqId, From, GL, {M, F, A}, Opts} with an atom for ReqId, and an argument list.
  const t::term args = t::list(1);
  raw.write(encode_frame(t::tuple(29, atom("not_a_ref"), atom("x"), atom("y"),
                                  t::tuple(atom("calc"), atom("add"), 1), t::nil()),
                         &args));
  EXPECT_TRUE(raw.closed_within(10s));
  EXPECT_EQ(erl_rpc(*dn, "calc", "add", t::list(2, 2)), t::term(4));
}
