#pragma once
// Errors the runtime reports to callers. Like Erlang's badarg / system_limit, each names the
// operation and the offending input so a person can read what went wrong.

#include <stdexcept>
#include <string>

namespace bitactor {

/// Base of every error thrown by BitActor.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An argument was invalid for the operation (Erlang: `badarg`), e.g. registering a taken
/// name or sending to an unregistered name.
class badarg : public error {
 public:
  using error::error;
};

/// A configured limit was reached (Erlang: `system_limit`), e.g. the process limit on spawn.
class system_limit : public error {
 public:
  using error::error;
};

/// The node configuration is invalid; thrown by the node constructor.
class config_error : public error {
 public:
  using error::error;
};

/// A thread-side wait (inbox receive; otp::call, start or a task await from a plain thread)
/// was made inside a process's handler, where it would hold a scheduler thread and deadlock.
class would_block : public error {
 public:
  using error::error;
};

/// The operation needs a running node but the node is stopping or stopped.
class node_stopped : public error {
 public:
  using error::error;
};

}  // namespace bitactor
