#include "bitactor/dist/internal/io_server.hpp"

#include <cstdint>

#include "bitactor/term/print.hpp"

namespace bitactor::dist::detail {

namespace {

term::term error(const char* why) { return term::tuple(term::atom("error"), term::atom(why)); }

void put_utf8(std::uint32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// unicode:characters_to_binary/1 of chardata: binaries as they are (UTF-8), code points
// encoded. Depth-bounded: a hostile peer's nesting fails the request, not the stack.
bool chardata(const term::term& t, std::string& out, int depth = 0) {
  if (depth > 100) return false;
  if (t.is_binary()) {
    out += t.as_binary_view();
    return true;
  }
  if (!t.is_list()) return false;
  const auto list = t.as_list();
  for (const term::term& e : list.elements) {
    if (e.is_small()) {
      const auto c = e.as_int();
      if (c < 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
      put_utf8(static_cast<std::uint32_t>(c), out);
    } else if (!chardata(e, out, depth + 1)) {
      return false;
    }
  }
  return list.tail->is_nil() || (list.tail->is_binary() && chardata(*list.tail, out, depth + 1));
}

// The text of a ~s argument: chardata, or an atom's name.
bool string_arg(const term::term& t, std::string& out) {
  if (t.is_atom()) {
    out += t.as_atom().name();
    return true;
  }
  return chardata(t, out);
}

// io_lib:format(Format, Args) for what io:format sends as {put_chars, Enc, io_lib, format,
// [Format, Args]}: the control sequences ~p ~P ~w ~W ~s ~n ~~ ~c ~b ~B ~i ~e ~f ~g, with
// field width, precision and pad read and applied only as precision for ~b (the base) and
// ~P/~W's depth argument taken. Terms print as term::to_string prints them (~p does not
// break lines). Anything else is nullopt: the request fails as the standard io server fails
// a bad format, instead of printing something else.
std::optional<std::string> format(const term::term& fmt_term, const term::term& args_term) {
  std::string fmt;
  if (!string_arg(fmt_term, fmt) || !args_term.is_list() || !args_term.as_list().proper()) {
    return std::nullopt;
  }
  const auto args = args_term.as_list().elements;
  std::size_t next = 0;
  auto take = [&]() -> const term::term* { return next < args.size() ? &args[next++] : nullptr; };
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '~') {
      out += fmt[i];
      continue;
    }
    // ~F.P.PadModC: width, precision and pad are digits or '*' (an argument), the pad any char.
    std::optional<std::int64_t> precision;
    int field = 0;
    while (++i < fmt.size()) {
      const char c = fmt[i];
      if (c == '.') {
        ++field;
        if (field == 3 && i + 1 < fmt.size()) ++i;  // the pad character itself
        continue;
      }
      if (c >= '0' && c <= '9') {
        if (field == 1) precision = precision.value_or(0) * 10 + (c - '0');
        continue;
      }
      if (c == '*') {
        const term::term* a = take();
        if (a == nullptr || !a->is_small()) return std::nullopt;
        if (field == 1) precision = a->as_int();
        continue;
      }
      if (c == 't' || c == 'l' || c == 'k') continue;  // modifiers
      break;
    }
    if (i >= fmt.size()) return std::nullopt;
    const char control = fmt[i];
    if (control == 'n') {
      out += '\n';
      continue;
    }
    if (control == '~') {
      out += '~';
      continue;
    }
    const term::term* a = take();
    if (a == nullptr) return std::nullopt;
    switch (control) {
      case 'p':
      case 'w':
        out += term::to_string(*a);
        break;
      case 'P':
      case 'W':
        if (take() == nullptr) return std::nullopt;  // the depth
        out += term::to_string(*a);
        break;
      case 's':
        if (!string_arg(*a, out)) return std::nullopt;
        break;
      case 'c':
        if (!a->is_small() || a->as_int() < 0 || a->as_int() > 0x10FFFF) return std::nullopt;
        put_utf8(static_cast<std::uint32_t>(a->as_int()), out);
        break;
      case 'b':
      case 'B': {
        if (!a->is_small()) return std::nullopt;
        const std::int64_t base = precision.value_or(10);
        if (base < 2 || base > 36) return std::nullopt;
        std::int64_t v = a->as_int();
        std::string digits;
        const bool negative = v < 0;
        std::uint64_t u =
            negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
        do {
          const auto d = static_cast<int>(u % static_cast<std::uint64_t>(base));
          digits.insert(
              digits.begin(),
              static_cast<char>(d < 10 ? '0' + d : (control == 'b' ? 'a' : 'A') + d - 10));
          u /= static_cast<std::uint64_t>(base);
        } while (u != 0);
        if (negative) out += '-';
        out += digits;
        break;
      }
      case 'i':
        break;
      case 'e':
      case 'f':
      case 'g':
        if (!a->is_float()) return std::nullopt;
        out += term::format_float(a->as_float());
        break;
      default:
        return std::nullopt;
    }
  }
  if (next != args.size()) return std::nullopt;  // arguments left over: badarg in io_lib
  return out;
}

bool is_get(const term::term& r) {
  const term::term& head = r.is_tuple() && r.size() > 0 ? r[0] : r;
  return head.is_atom("get_chars") || head.is_atom("get_line") || head.is_atom("get_until");
}

}  // namespace

term::term io_reply(const term::term& request, std::string& output) {
  if (request.is_tuple() && request.size() >= 2 && request[0].is_atom("put_chars")) {
    // {put_chars, Enc, M, F, A}, or {put_chars, M, F, A} as io.erl sends it to a node it
    // takes for one without DFLAG_UNICODE_IO: only io_lib:format is known here.
    if (request.size() == 5 || request.size() == 4) {
      const std::size_t m = request.size() - 3;
      const term::term& a = request[m + 2];
      if (!request[m].is_atom("io_lib") || !request[m + 1].is_atom("format") || !a.is_list() ||
          !a.as_list().proper() || a.size() != 2) {
        return error("enotsup");
      }
      auto text = format(a[0], a[1]);
      if (!text) return error("format");
      output += *text;
      return term::atom("ok");
    }
    if (request.size() > 3) return error("request");
    std::string chars;
    if (!chardata(request[request.size() - 1], chars)) return error("put_chars");
    output += chars;
    return term::atom("ok");
  }
  if (is_get(request)) return term::atom("eof");
  if (request.is_tuple() && request.size() == 2 && request[0].is_atom("setopts")) {
    return term::atom("ok");
  }
  if (request.is_atom("getopts")) return term::nil();
  if (request.is_tuple() && request.size() == 2 && request[0].is_atom("requests") &&
      request[1].is_list() && request[1].as_list().proper()) {
    term::term reply = term::atom("ok");
    for (const term::term& r : request[1].as_list().elements) {
      reply = io_reply(r, output);
      if (reply.is_tuple() && reply.size() == 2 && reply[0].is_atom("error")) break;
    }
    return reply;
  }
  return error("request");
}

}  // namespace bitactor::dist::detail
