#pragma once
// C++ functions that other nodes call as Module:Function/Arity (distributed_node::register_rpc):
// what such a function is, how it runs, and how it raises an Erlang exception.
//
//   dn.register_rpc("calc", "add", 2, [](std::span<const term::term> args) -> term::term {
//     if (!args[0].is_integer() || !args[1].is_integer())
//       throw dist::erlang_exception::error(term::atom("badarith"));
//     return term::term(args[0].as_int() + args[1].as_int());
//   });
//   // erl:  rpc:call('bitactor@localhost', calc, add, [1, 2])  ->  3

#include <exception>
#include <functional>
#include <span>
#include <string>
#include <utility>

#include "bitactor/dist/dist_error.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

/// A function callable from other nodes. It gets the call's arguments (as many as the arity it
/// was registered with) and returns the result. It runs in a process of its own, spawned for
/// the call (the process erpc monitors), so it may send, spawn and use the node like any
/// process's handler, from a scheduler worker: one that may block must be registered with
/// rpc_options::blocking.
using rpc_function = std::function<term::term(std::span<const term::term> args)>;

struct rpc_options {
  /// Run the function on the node's blocking pool (node::spawn_blocking), so it may block on
  /// I/O, a lock or a call to another node (distributed_node::call and rpc) without holding
  /// up scheduler workers.
  bool blocking = false;
};

/// Thrown by an rpc_function to raise an Erlang exception: the caller sees it as if the
/// function had called erlang:error/1, exit/1 or throw/1 with `reason` (rpc:call returns
/// `{badrpc, {'EXIT', ...}}` for error and exit, the thrown value for throw; erpc:call raises
/// it). Any other C++ exception escaping the function is raised as the error
/// `{cpp_exception, <<Type>>, <<What>>}`.
class erlang_exception : public std::exception {
 public:
  erlang_exception(exception_class cls, term::term reason)
      : cls_(cls), reason_(std::move(reason)), what_(term::to_string(reason_)) {}
  static erlang_exception error(term::term reason) {
    return {exception_class::error, std::move(reason)};
  }
  static erlang_exception exit(term::term reason) {
    return {exception_class::exit, std::move(reason)};
  }
  static erlang_exception thrown(term::term value) {
    return {exception_class::throw_, std::move(value)};
  }

  exception_class cls() const noexcept { return cls_; }
  const term::term& reason() const noexcept { return reason_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  exception_class cls_;
  term::term reason_;
  std::string what_;
};

}  // namespace bitactor::dist
