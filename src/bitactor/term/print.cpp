#include <bitactor/term/detail/erl_scan.hpp>
#include <bitactor/term/detail/nodes.hpp>
#include <bitactor/term/detail/utf8.hpp>
#include <bitactor/term/detail/work_stack.hpp>
#include <bitactor/term/print.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ostream>
#include <string_view>

namespace bitactor::term {
namespace {

// io_lib's printable Latin-1 characters (printable_latin1_list/1).
bool printable_latin1(std::int64_t c) {
  return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || c == '\n' || c == '\r' || c == '\t' ||
         c == '\v' || c == '\b' || c == '\f' || c == 27;
}

// One character inside "..." or '...', escaped as io_lib does.
void put_char(std::string& out, std::int64_t c, char quote) {
  switch (c) {
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case 27:
      out += "\\e";
      return;
    case '\\':
      out += "\\\\";
      return;
    default:
      break;
  }
  if (c == quote) {
    out.push_back('\\');
    out.push_back(quote);
  } else if (c >= 32 && c <= 126) {
    out.push_back(static_cast<char>(c));
  } else if (c < 160) {
    out.push_back('\\');
    out.push_back(static_cast<char>('0' + ((c >> 6) & 7)));
    out.push_back(static_cast<char>('0' + ((c >> 3) & 7)));
    out.push_back(static_cast<char>('0' + (c & 7)));
  } else if (c <= 255) {
    detail::append_utf8(out, static_cast<std::uint32_t>(c));
  } else {
    char buf[16];
    auto r = std::to_chars(buf, buf + sizeof buf, c, 16);
    out += "\\x{";
    for (char* p = buf; p != r.ptr; ++p) out.push_back(static_cast<char>(std::toupper(*p)));
    out += "}";
  }
}

void print_integer(std::string& out, const term& t) {
  if (t.is_small()) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, t.as_int());
    out.append(buf, r.ptr);
  } else {
    out += t.as_big_integer().to_string();
  }
}

void print_bits(std::string& out, const term& t) {
  auto bytes = t.as_bytes();
  std::size_t bits = t.bit_size();
  out += "<<";
  bool whole = bits % 8 == 0;
  bool printable = whole && !bytes.empty();
  for (std::uint8_t b : bytes) printable = printable && printable_latin1(b);
  if (printable) {
    out.push_back('"');
    for (std::uint8_t b : bytes) put_char(out, b, '"');
    out.push_back('"');
  } else {
    std::size_t full = bits / 8;
    for (std::size_t i = 0; i < full; ++i) {
      if (i != 0) out.push_back(',');
      out += std::to_string(bytes[i]);
    }
    if (!whole) {
      if (full != 0) out.push_back(',');
      unsigned tail = bits % 8;
      out += std::to_string(bytes[full] >> (8 - tail));
      out.push_back(':');
      out += std::to_string(tail);
    }
  }
  out += ">>";
}

// A container being printed: what has been opened and what is left of it. The walk keeps
// these on an explicit stack, so a term nested 100,000 deep costs no C++ stack.
struct open_term {
  enum class kind : std::uint8_t { tuple, list, map, fun };
  kind k;
  std::size_t i;  // sub-terms printed so far (map: keys and values)
  std::size_t n;  // sub-terms in all (map: 2 * entries; fun: 2)
  const term* t;  // the container
};
using open_stack = detail::work_stack<open_term>;

// True when io_lib prints the list as "...": proper, every element a printable character.
bool printable_list(const list_view& v) {
  if (!v.proper()) return false;
  for (const term& e : v.elements) {
    if (!e.is_small() || !printable_latin1(e.as_int())) return false;
  }
  return true;
}

// Prints `t`, or for a container its opening, pushing the rest on `open`.
void print_shallow(std::string& out, const term& t, open_stack& open) {
  switch (t.kind()) {
    case type::integer:
      print_integer(out, t);
      return;
    case type::floating:
      out += format_float(t.as_float());
      return;
    case type::atom:
      print_atom(out, t.as_atom());
      return;
    case type::nil:
      out += "[]";
      return;
    case type::list: {
      list_view v = t.as_list();
      if (printable_list(v)) {
        out.push_back('"');
        for (const term& e : v.elements) put_char(out, e.as_int(), '"');
        out.push_back('"');
        return;
      }
      out.push_back('[');
      open.push({open_term::kind::list, 0, v.elements.size(), &t});
      return;
    }
    case type::tuple:
      out.push_back('{');
      open.push({open_term::kind::tuple, 0, t.as_tuple().size(), &t});
      return;
    case type::map:
      out += "#{";
      open.push({open_term::kind::map, 0, 2 * t.as_map().size(), &t});
      return;
    case type::bitstring:
      print_bits(out, t);
      return;
    case type::pid: {
      const pid& p = t.as_pid();
      out.push_back('<');
      print_atom(out, p.node);
      out += "." + std::to_string(p.id) + "." + std::to_string(p.serial) + ">";
      return;
    }
    case type::port: {
      const port& p = t.as_port();
      out += "#Port<";
      print_atom(out, p.node);
      out += "." + std::to_string(p.id) + ">";
      return;
    }
    case type::reference: {
      const reference& r = t.as_reference();
      out += "#Ref<";
      print_atom(out, r.node);
      for (std::size_t i = r.size; i-- > 0;) out += "." + std::to_string(r.words[i]);
      out.push_back('>');
      return;
    }
    case type::fun: {
      if (t.is_fun() && detail::builder::tag_of(t) == detail::builder::tag::exp) {
        const export_fun& f = t.as_export();
        out += "fun ";
        print_atom(out, f.module);
        out.push_back(':');
        print_atom(out, f.function);
        out += "/" + std::to_string(f.arity);
      } else {
        const local_fun& f = t.as_local_fun();
        out += "#Fun<";
        print_atom(out, f.module);
        open.push({open_term::kind::fun, 0, 2, &t});
      }
      return;
    }
    case type::local:
      out += "#Local<" + std::to_string(t.as_local().size()) + ">";
      return;
  }
}

// The next sub-term of the innermost open container, or null when it is done (its closing
// text, and for an improper list the '|' before the tail, are written here).
const term* next_child(std::string& out, open_term& o) {
  switch (o.k) {
    case open_term::kind::tuple:
      if (o.i == o.n) {
        out.push_back('}');
        return nullptr;
      }
      if (o.i != 0) out.push_back(',');
      return &o.t->as_tuple()[o.i++];
    case open_term::kind::list: {
      list_view v = o.t->as_list();
      if (o.i < o.n) {
        if (o.i != 0) out.push_back(',');
        return &v.elements[o.i++];
      }
      if (o.i == o.n && !v.proper()) {
        ++o.i;
        out.push_back('|');
        return v.tail;
      }
      out.push_back(']');
      return nullptr;
    }
    case open_term::kind::map: {
      if (o.i == o.n) {
        out.push_back('}');
        return nullptr;
      }
      const auto& e = o.t->as_map()[o.i / 2];
      if (o.i++ % 2 == 0) {
        if (o.i != 1) out.push_back(',');
        return &e.first;
      }
      out += " => ";
      return &e.second;
    }
    case open_term::kind::fun: {
      const local_fun& f = o.t->as_local_fun();
      if (o.i == o.n) {
        out.push_back('>');
        return nullptr;
      }
      out.push_back('.');
      return o.i++ == 0 ? &f.old_index : &f.old_uniq;
    }
  }
  return nullptr;
}

void print_term(std::string& out, const term& t) {
  open_stack open;
  print_shallow(out, t, open);
  while (!open.empty()) {
    const term* child = next_child(out, open.top());
    if (child == nullptr) {
      open.pop();
    } else {
      print_shallow(out, *child, open);
    }
  }
}

}  // namespace

void print_atom(std::string& out, atom a) {
  std::string_view name = a.name();
  bool bare = !name.empty();
  bool first = true;
  for (std::size_t i = 0; bare && i < name.size();) {
    std::int64_t c = detail::next_code_point(name, i);
    bare = first ? detail::latin1_lower(c) : detail::latin1_name_char(c);
    first = false;
  }
  bare = bare && !detail::reserved_word(name);
  if (bare) {
    out += name;
    return;
  }
  out.push_back('\'');
  for (std::size_t i = 0; i < name.size();) put_char(out, detail::next_code_point(name, i), '\'');
  out.push_back('\'');
}

std::string format_float(double d) {
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  // io_lib_format:insert_decimal/3: the shorter of plain and exponent notation (plain on a
  // tie), except that magnitudes from 2^53 up always use the exponent to hint at lost precision.
  int len = static_cast<int>(digits.size());
  std::string exp_digits = std::to_string(exp10);
  int exp_cost = static_cast<int>(exp_digits.size()) + 2;
  int dot = len == 1 ? 1 : 0;  // "1.0e3" spends a character on the ".0"
  auto exp_form = [&] {
    out.push_back(digits[0]);
    out.push_back('.');
    out += len > 1 ? digits.substr(1) : "0";
    out += "e" + exp_digits;
  };
  if (exp10 >= 0 && exp10 < len - 1) {
    auto point = static_cast<std::size_t>(exp10 + 1);
    out += digits.substr(0, point) + "." + digits.substr(point);
  } else if (exp10 < 0) {
    int zeros = -exp10 - 1;
    if (zeros + 2 <= exp_cost + dot) {
      out += "0." + std::string(static_cast<std::size_t>(zeros), '0') + digits;
    } else {
      exp_form();
    }
  } else {
    int zeros = exp10 - (len - 1);
    if (zeros + 2 <= exp_cost + dot && std::fabs(d) < 9007199254740992.0) {
      out += digits + std::string(static_cast<std::size_t>(zeros), '0') + ".0";
    } else {
      exp_form();
    }
  }
  return out;
}

void print(std::string& out, const term& t) { print_term(out, t); }

std::string to_string(const term& t) {
  std::string out;
  print_term(out, t);
  return out;
}

std::ostream& operator<<(std::ostream& os, const term& t) { return os << to_string(t); }

}  // namespace bitactor::term
