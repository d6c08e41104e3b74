// erl_scan's character classes and reserved words (OTP 25), shared by the printer (which
// atoms print bare) and the parser (which bare words are atoms). Internal.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace bitactor::term::detail {

/// A lower-case Latin-1 letter: starts a bare atom.
constexpr bool latin1_lower(std::int64_t c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}

/// An upper-case Latin-1 letter: with '_', starts a variable.
constexpr bool latin1_upper(std::int64_t c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}

/// A character that may follow the first one of a bare atom.
constexpr bool latin1_name_char(std::int64_t c) noexcept {
  return latin1_lower(c) || latin1_upper(c) || (c >= '0' && c <= '9') || c == '_' || c == '@';
}

/// erl_scan:reserved_word/1: written bare these are keywords, not atoms.
constexpr bool reserved_word(std::string_view w) noexcept {
  constexpr std::array<std::string_view, 27> words = {
      "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
      "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
      "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
  for (std::string_view r : words) {
    if (r == w) return true;
  }
  return false;
}

}  // namespace bitactor::term::detail
