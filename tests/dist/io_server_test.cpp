// Erlang's I/O protocol as net_kernel answers it for the processes it is the group leader of.
#include <gtest/gtest.h>

#include <bitactor/dist/internal/io_server.hpp>
#include <bitactor/term/print.hpp>

using bitactor::dist::detail::io_reply;
namespace t = bitactor::term;

namespace {
t::term atom(const char* a) { return t::atom(a); }
t::term error(const char* why) { return t::tuple(atom("error"), atom(why)); }
}  // namespace

TEST(io_server, put_chars_writes_chardata_as_utf8) {
  std::string out;
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("unicode"), t::binary("bin ")), out),
            atom("ok"));
  // A deep list of code points and binaries, as io_lib:format returns it; é is 233.
  const t::term chars = t::list(t::list(104, 233), t::binary("!"), t::list(t::list(10)));
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("unicode"), chars), out), atom("ok"));
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), t::binary("old form")), out), atom("ok"));
  EXPECT_EQ(out, "bin h\xC3\xA9!\nold form");
}

TEST(io_server, what_it_cannot_do_is_an_error_reply_not_silence) {
  std::string out;
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("unicode"), atom("my_lib"), atom("fmt"),
                              t::list(t::binary("x"), t::nil())),
                     out),
            error("enotsup"));
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("unicode"), t::list(-1)), out),
            error("put_chars"));
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("unicode"), atom("nope")), out),
            error("put_chars"));
  EXPECT_EQ(io_reply(t::tuple(atom("get_line"), atom("unicode"), t::binary("> ")), out),
            atom("eof"));
  EXPECT_EQ(io_reply(t::tuple(atom("get_chars"), t::binary(""), 3), out), atom("eof"));
  EXPECT_EQ(io_reply(t::tuple(atom("setopts"), t::list(atom("binary"))), out), atom("ok"));
  EXPECT_EQ(io_reply(atom("getopts"), out), t::nil());
  EXPECT_EQ(io_reply(t::tuple(atom("what"), 1), out), error("request"));
  EXPECT_TRUE(out.empty());
}

TEST(io_server, requests_run_in_turn_up_to_the_first_error) {
  std::string out;
  const t::term put_a = t::tuple(atom("put_chars"), atom("unicode"), t::binary("a"));
  const t::term bad = t::tuple(atom("put_chars"), atom("unicode"), atom("bad"));
  const t::term put_b = t::tuple(atom("put_chars"), atom("unicode"), t::binary("b"));
  EXPECT_EQ(io_reply(t::tuple(atom("requests"), t::list(put_a, put_b)), out), atom("ok"));
  EXPECT_EQ(io_reply(t::tuple(atom("requests"), t::list(put_a, bad, put_b)), out),
            error("put_chars"));
  EXPECT_EQ(out, "aba");
}

TEST(io_server, deep_nesting_from_a_peer_fails_the_request_not_the_stack) {
  t::term deep = t::list(65);
  for (int i = 0; i < 10'000; ++i) deep = t::list(deep);
  std::string out;
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("unicode"), deep), out), error("put_chars"));
}

// io:format(Format, Args) sends {put_chars, unicode, io_lib, format, [Format, Args]}.
TEST(io_server, io_format_requests_are_formatted_here) {
  auto fmt = [](t::term format, t::term args, std::string& out) {
    return io_reply(t::tuple(atom("put_chars"), atom("unicode"), atom("io_lib"), atom("format"),
                             t::list(std::move(format), std::move(args))),
                    out);
  };
  std::string out;
  EXPECT_EQ(fmt(t::binary("~p and ~w, ~s/~s: ~b ~.16B ~c~~~n"),
                t::list(t::tuple(atom("ok"), 1), t::list(1, 2), t::binary("bin"), atom("atom"), -42,
                        255, 65),
                out),
            atom("ok"));
  EXPECT_EQ(out, "{ok,1} and [1,2], bin/atom: -42 FF A~\n");
  out.clear();
  // A format given as a char list, and ~P with its depth argument.
  EXPECT_EQ(fmt(t::list(126, 80, 33), t::list(t::list(1, 2, 3), 5), out), atom("ok"));
  EXPECT_EQ(out, "[1,2,3]!");
  // The form without the encoding, which io.erl sends to a node it takes for one without
  // DFLAG_UNICODE_IO.
  out.clear();
  EXPECT_EQ(io_reply(t::tuple(atom("put_chars"), atom("io_lib"), atom("format"),
                              t::list(t::binary("~p"), t::list(atom("x")))),
                     out),
            atom("ok"));
  EXPECT_EQ(out, "x");
  // Too few or too many arguments, a bad argument for ~s, an unknown control: the request
  // fails and nothing is written.
  out.clear();
  EXPECT_EQ(fmt(t::binary("~p ~p"), t::list(1), out), error("format"));
  EXPECT_EQ(fmt(t::binary("~p"), t::list(1, 2), out), error("format"));
  EXPECT_EQ(fmt(t::binary("~s"), t::list(t::tuple()), out), error("format"));
  EXPECT_EQ(fmt(t::binary("~y"), t::list(1), out), error("format"));
  EXPECT_TRUE(out.empty());
}
