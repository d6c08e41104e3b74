// Error types of the term layer.
//
// Construction and access errors are exceptions (term_error and its subclasses) because they
// are programming errors in the caller. Decoding untrusted bytes reports errors as data
// (decode_error, see decode.hpp) so a connection can reject a frame without unwinding.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace bitactor::term {

/// Base of every exception thrown by the term layer.
class term_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An accessor was called on a term of another type (e.g. as_int() on an atom).
class bad_term_access : public term_error {
 public:
  using term_error::term_error;
};

/// Text given to parse() is not a term. line and column are 1-based; column counts bytes.
class parse_error : public term_error {
 public:
  parse_error(std::size_t line, std::size_t column, const std::string& message)
      : term_error(std::to_string(line) + ":" + std::to_string(column) + ": " + message),
        line_(line),
        column_(column) {}
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  [[nodiscard]] std::size_t column() const noexcept { return column_; }

 private:
  std::size_t line_;
  std::size_t column_;
};

}  // namespace bitactor::term
