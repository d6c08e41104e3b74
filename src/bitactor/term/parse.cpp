#include <bitactor/term/detail/erl_scan.hpp>
#include <bitactor/term/detail/utf8.hpp>
#include <bitactor/term/parse.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace bitactor::term {
namespace {

// Nesting limit: the parser is recursive, and text is often untrusted (config, consoles).
constexpr int kMaxDepth = 1000;

// The low 64 bits of `v` in two's complement.
std::uint64_t low_64_bits(const big_integer& v) noexcept {
  auto limbs = v.limbs();
  std::uint64_t mag = limbs.empty() ? 0 : limbs[0];
  if (limbs.size() > 1) mag |= std::uint64_t{limbs[1]} << 32;
  return v.negative() ? 0 - mag : mag;
}

class parser {
 public:
  explicit parser(std::string_view text) : text_(text) {}

  term parse_all() {
    skip_space();
    term t = parse_term(0);
    skip_space();
    if (peek() == '.') {
      ++pos_;
      skip_space();
    }
    if (pos_ != text_.size()) fail("unexpected text after the term");
    return t;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { fail_at(pos_, message); }
  [[noreturn]] void fail_at(std::size_t at, const std::string& message) const {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw parse_error(line, column, message);
  }

  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool at_end() const { return pos_ >= text_.size(); }

  void skip_space() {
    while (!at_end()) {
      char c = peek();
      if (c == '%') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  void expect(char c, const char* what) {
    skip_space();
    if (peek() != c) fail(std::string("expected ") + what);
    ++pos_;
  }

  term parse_term(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    skip_space();
    if (at_end()) fail("unexpected end of input, expected a term");
    char c = peek();
    if (c == '{') return parse_tuple(depth);
    if (c == '[') return parse_list(depth);
    if (c == '#' && peek(1) == '{') return parse_map(depth);
    if (c == '<' && peek(1) == '<') return parse_binary();
    if (c == '"') return parse_strings();
    if (c == '\'') return term(atom(read_quoted('\'')));
    if (c == '$') {
      ++pos_;
      return term(read_char_literal());
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+') && std::isdigit(static_cast<unsigned char>(peek(1))))) {
      return parse_number();
    }
    if ((c == '-' || c == '+') && peek(1) == '$') {
      pos_ += 2;
      std::int64_t v = read_char_literal();
      return term(c == '-' ? -v : v);
    }
    std::size_t after = pos_;
    std::int64_t cp = detail::next_code_point(text_, after);
    if (detail::latin1_lower(cp)) return parse_bare_atom();
    if (detail::latin1_upper(cp) || cp == '_') fail("variables are not terms");
    if (cp < 0) fail("invalid UTF-8");
    fail("unexpected character '" + std::string(text_.substr(pos_, after - pos_)) + "'");
  }

  term parse_tuple(int depth) {
    ++pos_;
    std::vector<term> elems;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return tuple_from({});
    }
    for (;;) {
      elems.push_back(parse_term(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return tuple_from(std::move(elems));
      }
      fail("expected ',' or '}' in tuple");
    }
  }

  term parse_list(int depth) {
    ++pos_;
    std::vector<term> elems;
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return term();
    }
    for (;;) {
      elems.push_back(parse_term(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '|') {
        ++pos_;
        term tail = parse_term(depth + 1);
        expect(']', "']' after the tail of a list");
        return list_from(std::move(elems), std::move(tail));
      }
      if (peek() == ']') {
        ++pos_;
        return list_from(std::move(elems));
      }
      fail("expected ',', '|' or ']' in list");
    }
  }

  term parse_map(int depth) {
    pos_ += 2;
    std::vector<std::pair<term, term>> entries;
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return map_from({});
    }
    for (;;) {
      term key = parse_term(depth + 1);
      skip_space();
      if (peek() != '=' || peek(1) != '>') fail("expected '=>' in map");
      pos_ += 2;
      term value = parse_term(depth + 1);
      entries.emplace_back(std::move(key), std::move(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return map_from(std::move(entries));
      }
      fail("expected ',' or '}' in map");
    }
  }

  // <<E1, E2, ...>> where E is Int, Int:Size or "string" (Latin-1 characters).
  term parse_binary() {
    pos_ += 2;
    std::vector<std::uint8_t> bytes;
    std::size_t bits = 0;
    auto put_bits = [&](std::uint64_t value, unsigned size) {
      for (unsigned i = size; i-- > 0;) {
        if (bits % 8 == 0) bytes.push_back(0);
        if ((value >> i) & 1) bytes.back() |= static_cast<std::uint8_t>(0x80 >> (bits % 8));
        ++bits;
      }
    };
    skip_space();
    if (peek() == '>' && peek(1) == '>') {
      pos_ += 2;
      return binary(std::string_view());
    }
    for (;;) {
      skip_space();
      std::size_t start = pos_;
      if (peek() == '"') {
        std::string s = read_string_code_points_latin1(start);
        for (char ch : s) put_bits(static_cast<unsigned char>(ch), 8);
      } else {
        term v = parse_term(kMaxDepth);
        if (!v.is_integer()) fail_at(start, "binary elements must be integers or strings");
        // As erl: an integer too wide for its segment keeps its low bits.
        std::uint64_t value =
            v.is_small() ? static_cast<std::uint64_t>(v.as_int()) : low_64_bits(v.as_big_integer());
        unsigned size = 8;
        skip_space();
        if (peek() == ':') {
          ++pos_;
          skip_space();
          std::size_t size_at = pos_;
          term s = parse_number();
          if (!s.is_small() || s.as_int() < 1 || s.as_int() > 64) {
            fail_at(size_at, "bit size must be an integer from 1 to 64");
          }
          size = static_cast<unsigned>(s.as_int());
        }
        put_bits(value, size);
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '>' && peek(1) == '>') {
        pos_ += 2;
        return bitstring(bytes, bits);
      }
      fail("expected ',' or '>>' in binary");
    }
  }

  std::string read_string_code_points_latin1(std::size_t start) {
    std::vector<std::int64_t> cps = read_string_code_points('"');
    std::string out;
    for (std::int64_t cp : cps) {
      if (cp > 255) fail_at(start, "binary string characters must be Latin-1");
      out.push_back(static_cast<char>(cp));
    }
    return out;
  }

  term parse_strings() {
    std::vector<term> chars;
    for (;;) {
      for (std::int64_t cp : read_string_code_points('"')) chars.emplace_back(cp);
      skip_space();
      if (peek() != '"') break;
    }
    return list_from(std::move(chars));
  }

  term parse_bare_atom() {
    std::size_t start = pos_;
    while (!at_end()) {
      std::size_t next = pos_;
      if (!detail::latin1_name_char(detail::next_code_point(text_, next))) break;
      pos_ = next;
    }
    std::string_view name = text_.substr(start, pos_ - start);
    if (detail::reserved_word(name)) {
      fail_at(start, "'" + std::string(name) + "' is a reserved word; quote it to make an atom");
    }
    if (!valid_atom_name(name)) fail_at(start, "invalid atom");
    return term(atom(name));
  }

  std::string read_quoted(char quote) {
    std::size_t start = pos_;
    std::string out;
    for (std::int64_t cp : read_string_code_points(quote)) {
      detail::append_utf8(out, static_cast<std::uint32_t>(cp));
    }
    if (!valid_atom_name(out)) fail_at(start, "atom longer than 255 characters");
    return out;
  }

  std::vector<std::int64_t> read_string_code_points(char quote) {
    std::size_t start = pos_;
    ++pos_;
    std::vector<std::int64_t> out;
    for (;;) {
      if (at_end()) fail_at(start, "unterminated quoted text");
      char c = peek();
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        ++pos_;
        out.push_back(read_escape());
      } else {
        std::size_t at = pos_;
        std::int64_t cp = detail::next_code_point(text_, pos_);
        if (cp < 0) fail_at(at, "invalid UTF-8");
        out.push_back(cp);
      }
    }
  }

  std::int64_t read_char_literal() {
    if (at_end()) fail("unexpected end of input after '$'");
    if (peek() == '\\') {
      ++pos_;
      return read_escape();
    }
    std::size_t at = pos_;
    std::int64_t cp = detail::next_code_point(text_, pos_);
    if (cp < 0) fail_at(at, "invalid UTF-8");
    return cp;
  }

  // After a backslash; erl_scan's escapes.
  std::int64_t read_escape() {
    if (at_end()) fail("unexpected end of input in escape");
    char c = peek();
    ++pos_;
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'v':
        return '\v';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'e':
        return 27;
      case 's':
        return ' ';
      case 'd':
        return 127;
      case '^': {
        if (at_end()) fail("unexpected end of input in escape");
        char k = peek();
        ++pos_;
        return k & 31;
      }
      case 'x': {
        std::size_t at = pos_;
        std::string_view digits;
        if (peek() == '{') {
          std::size_t close = text_.find('}', pos_);
          if (close == std::string_view::npos) fail_at(at, "unterminated \\x{...}");
          digits = text_.substr(pos_ + 1, close - pos_ - 1);
          pos_ = close + 1;
        } else {
          std::size_t n = 0;
          while (n < 2 && std::isxdigit(static_cast<unsigned char>(peek(n)))) ++n;
          digits = text_.substr(pos_, n);
          pos_ += n;
        }
        std::int64_t v = 0;
        auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
        if (digits.empty() || r.ptr != digits.data() + digits.size() ||
            !detail::valid_code_point(v)) {
          fail_at(at, "bad \\x escape");
        }
        return v;
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      std::int64_t v = c - '0';
      for (int i = 0; i < 2 && peek() >= '0' && peek() <= '7'; ++i)
        v = v * 8 + (text_[pos_++] - '0');
      return v;
    }
    // Any other escaped character stands for itself (\\, \', \", ...).
    --pos_;
    std::size_t at = pos_;
    std::int64_t cp = detail::next_code_point(text_, pos_);
    if (cp < 0) fail_at(at, "invalid UTF-8");
    return cp;
  }

  term parse_number() {
    std::size_t start = pos_;
    bool negative = false;
    if (peek() == '-' || peek() == '+') {
      negative = peek() == '-';
      ++pos_;
    }
    std::string digits = read_digits(10);
    if (digits.empty()) fail_at(start, "expected digits");
    if (peek() == '#') {
      std::size_t base_at = pos_;
      unsigned base = 0;
      std::from_chars(digits.data(), digits.data() + digits.size(), base);
      if (base < 2 || base > 36) fail_at(start, "base must be from 2 to 36");
      ++pos_;
      std::string value = read_digits(base);
      if (value.empty()) fail_at(base_at, "expected digits after '#'");
      auto big = big_integer::from_string(value, base);
      if (!big) fail_at(base_at, "bad digits for base");
      return term(negative ? -*big : *big);
    }
    if (peek() == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))) {
      ++pos_;
      std::string text = (negative ? "-" : "") + digits + "." + read_digits(10);
      if (peek() == 'e' || peek() == 'E') {
        std::size_t save = pos_;
        ++pos_;
        std::string exp;
        if (peek() == '-' || peek() == '+') exp.push_back(text_[pos_++]);
        std::string exp_digits = read_digits(10);
        if (exp_digits.empty()) {
          pos_ = save;
        } else {
          text += "e" + exp + exp_digits;
        }
      }
      double d = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), d);
      if (r.ec != std::errc() || !std::isfinite(d)) fail_at(start, "float out of range");
      return term(d);
    }
    auto big = big_integer::from_string(digits, 10);
    return term(negative ? -*big : *big);
  }

  // Digits valid in `base`, allowing single underscores between digits (OTP 23+).
  std::string read_digits(unsigned base) {
    std::string out;
    while (!at_end()) {
      char c = peek();
      unsigned d = 99;
      if (c >= '0' && c <= '9')
        d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'z')
        d = static_cast<unsigned>(c - 'a') + 10;
      else if (c >= 'A' && c <= 'Z')
        d = static_cast<unsigned>(c - 'A') + 10;
      if (d < base) {
        out.push_back(c);
        ++pos_;
      } else if (c == '_' && !out.empty() && pos_ + 1 < text_.size()) {
        char n = text_[pos_ + 1];
        unsigned nd = (n >= '0' && n <= '9')   ? static_cast<unsigned>(n - '0')
                      : (n >= 'a' && n <= 'z') ? static_cast<unsigned>(n - 'a') + 10
                      : (n >= 'A' && n <= 'Z') ? static_cast<unsigned>(n - 'A') + 10
                                               : 99;
        if (nd >= base) break;
        ++pos_;
      } else {
        break;
      }
    }
    return out;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

term parse(std::string_view text) { return parser(text).parse_all(); }

}  // namespace bitactor::term
