#pragma once
// The one error type of the resilience layer. Every component (retry, circuit breaker,
// bulkhead, error tracker) classifies a failure as a resilience::error before deciding what
// to do with it, so the decision "is this worth retrying / does it count against the
// dependency" is made in one place, from the category:
//
//   category        meaning                                        retryable by default
//   infrastructure  a dependency or the platform failed (I/O, crash)   yes
//   timeout         no answer in time                                  yes
//   unavailable     nobody to answer (noproc, open breaker, shutdown)  yes
//   rejected        refused for load (full bulkhead, rate limit)       yes
//   business        the request was valid and the answer is "no"       no
//   validation      the request itself is wrong                        no
//   internal        a bug on our side (an unexpected exception)        no
//
// An error also has a code (a short snake_case word such as `database_timeout`, printed as an
// atom: keep the set of codes small and fixed, atoms are never freed), a message for people,
// and context (key/value pairs). Retryability can be overridden per error.
//
// Errors are data; `failure` is the exception that carries one through code that throws.
// As a term it reads `{error, Category, Code, Message, #{Key => Value}}` with Message and the
// context's keys and values as binaries.

#include <bitactor/core/error.hpp>
#include <bitactor/core/exit_reason.hpp>
#include <bitactor/term/term.hpp>
#include <cstdint>
#include <exception>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitactor::otp {
class call_error;
}

namespace bitactor::resilience {

enum class error_category : std::uint8_t {
  infrastructure,
  business,
  validation,
  timeout,
  unavailable,
  rejected,
  internal,
};

/// The category's name as written in terms and text: "infrastructure", "business", ...
std::string_view to_string(error_category c) noexcept;
/// Whether errors of this category are retried unless an error says otherwise (table above).
bool retryable_by_default(error_category c) noexcept;

class error {
 public:
  using context_entry = std::pair<std::string, std::string>;

  error(error_category category, std::string code, std::string message = {});

  /// Adds a context entry (later entries with the same key replace earlier ones).
  error& with(std::string key, std::string value);
  /// Overrides whether this error is retried.
  error& retryable(bool yes) noexcept {
    retryable_ = yes;
    return *this;
  }

  error_category category() const noexcept { return category_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// Context entries in the order they were added.
  const std::vector<context_entry>& context() const noexcept { return context_; }
  /// The value of a context entry, or nullptr.
  const std::string* context_value(std::string_view key) const noexcept;
  /// The override if one was given, else the category's default.
  bool is_retryable() const noexcept {
    return retryable_.value_or(retryable_by_default(category_));
  }

  /// `{error, Category, Code, <<Message>>, #{<<Key>> => <<Value>>}}`.
  term::term as_term() const;
  /// `timeout database_timeout: no answer in 5000 ms (table=orders)`.
  std::string to_string() const;

  /// From the reason a process or a call ended with: `timeout` is a timeout; noproc,
  /// noconnection and shutdown are unavailable; killed and other reasons are infrastructure
  /// (the dependency crashed); `{exception, ...}` is internal. The code is the reason's atom
  /// (or the first atom of its tuple); the context holds the whole reason.
  static error from_exit_reason(const exit_reason& reason);
  /// From a failed otp::call: the exit reason's classification, the call's text as message.
  static error from_call_error(const otp::call_error& e);
  /// From a thrown exception: a failure gives its error; call_error as above;
  /// std::invalid_argument / std::domain_error / std::out_of_range are validation;
  /// std::system_error and bitactor::node_stopped are infrastructure / unavailable; anything
  /// else is internal (a bug: not retried). Null gives an internal `no_exception` error.
  static error from_exception(std::exception_ptr e);

  friend bool operator==(const error&, const error&) = default;

 private:
  error_category category_;
  std::string code_;
  std::string message_;
  std::vector<context_entry> context_;
  std::optional<bool> retryable_;
};

std::ostream& operator<<(std::ostream& os, const error& e);

/// The exception that carries a resilience::error (what an open breaker or a full bulkhead
/// throws; throw one from a guarded function to classify its failure yourself).
class failure : public bitactor::error {
 public:
  explicit failure(resilience::error e);
  const resilience::error& details() const noexcept { return error_; }

 private:
  resilience::error error_;
};

}  // namespace bitactor::resilience
