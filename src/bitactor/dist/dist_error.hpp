#pragma once
// Errors of the distribution layer.

#include <cstdint>
#include <string>
#include <string_view>

#include "bitactor/core/error.hpp"
#include "bitactor/core/exit_reason.hpp"
#include "bitactor/term/print.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist {

/// Distribution could not start or an operation failed: the message names what and why
/// (bad configuration, epmd unreachable, the node name taken, the listen port in use, ...).
class dist_error : public bitactor::error {
 public:
  using bitactor::error::error;
};

/// A call to a server on another node (distributed_node::call) failed; `reason()` is what
/// gen_server:call would exit with: `timeout`, `noproc` (no process has the name there),
/// `noconnection` (the node cannot be reached or went down mid-call), or the server's own exit
/// reason when it ended before replying.
class remote_call_error : public dist_error {
 public:
  remote_call_error(exit_reason reason, const std::string& call)
      : dist_error(call + " failed: " + reason.to_string()), reason_(std::move(reason)) {}
  const exit_reason& reason() const noexcept { return reason_; }

 private:
  exit_reason reason_;
};

/// Erlang's exception classes (`Class:Reason` in a catch clause).
enum class exception_class : std::uint8_t { error, exit, throw_ };

/// An rpc (distributed_node::rpc) that did not return a value. cls() and reason() are the
/// exception erpc:call/5 raises in the caller (kernel erpc.erl, result/4):
///   throw_, Value                        the function threw Value
///   exit,   {exception, Reason}          the function exited with Reason
///   exit,   {signal, Reason}             the process running it ended with Reason otherwise
///   error,  {exception, Reason, Stack}   the function raised an error (undef: no such function)
///   error,  {erpc, Why}                  the rpc itself failed: noconnection (the node cannot be
///                                        reached or was lost), timeout, notsup, system_limit,
///                                        badarg
class rpc_error : public dist_error {
 public:
  rpc_error(exception_class cls, term::term reason, const std::string& call)
      : dist_error(call + " failed: " + class_name(cls) + ":" + term::to_string(reason)),
        cls_(cls),
        reason_(std::move(reason)) {}
  exception_class cls() const noexcept { return cls_; }
  const term::term& reason() const noexcept { return reason_; }
  /// Why of an `{erpc, Why}` failure (`"noconnection"`, `"timeout"`, ...); empty when the
  /// function itself raised.
  std::string_view erpc_failure() const noexcept {
    if (cls_ == exception_class::error && reason_.is_tuple() && reason_.size() == 2 &&
        reason_[0].is_atom("erpc") && reason_[1].is_atom()) {
      return reason_[1].as_atom().name();
    }
    return {};
  }

 private:
  static std::string class_name(exception_class c) {
    switch (c) {
      case exception_class::error:
        return "error";
      case exception_class::exit:
        return "exit";
      case exception_class::throw_:
        return "throw";
    }
    return "error";
  }
  exception_class cls_;
  term::term reason_;
};

}  // namespace bitactor::dist
