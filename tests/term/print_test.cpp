#include <gtest/gtest.h>

#include <bitactor/term/print.hpp>
#include <sstream>

using namespace bitactor::term;

TEST(print, containers_print_like_erl) {
  EXPECT_EQ(to_string(tuple(atom("ok"), list(1, 2, 3))), "{ok,[1,2,3]}");
  EXPECT_EQ(to_string(tuple(atom("ok"), list(1, 2, 300))), "{ok,[1,2,300]}");
  EXPECT_EQ(to_string(list_from({atom("a")}, atom("b"))), "[a|b]");
  EXPECT_EQ(to_string(map({{atom("a"), 1}, {1, 2}})), "#{1 => 2,a => 1}");
  EXPECT_EQ(to_string(term()), "[]");
  EXPECT_EQ(to_string(tuple()), "{}");
}

TEST(print, printable_lists_print_as_strings) {
  EXPECT_EQ(to_string(string("abc")), "\"abc\"");
  EXPECT_EQ(to_string(string("a\nb\"c\\")), "\"a\\nb\\\"c\\\\\"");
  EXPECT_EQ(to_string(list(1, 2, 3)), "[1,2,3]");
  EXPECT_EQ(to_string(string("é")), "\"é\"");
  EXPECT_EQ(to_string(string("Ω")), "[937]");  // outside Latin-1: erl prints a list
}

TEST(print, binaries) {
  EXPECT_EQ(to_string(binary("abc")), "<<\"abc\">>");
  EXPECT_EQ(to_string(binary(std::string_view("\x01\x02", 2))), "<<1,2>>");
  EXPECT_EQ(to_string(binary("")), "<<>>");
  const std::uint8_t bytes[] = {1, 0x40};
  EXPECT_EQ(to_string(bitstring(bytes, 11)), "<<1,2:3>>");
}

TEST(print, atoms_are_quoted_when_needed) {
  EXPECT_EQ(to_string(term(atom("ok"))), "ok");
  EXPECT_EQ(to_string(term(atom("a@b_1"))), "a@b_1");
  EXPECT_EQ(to_string(term(atom("Ok"))), "'Ok'");
  EXPECT_EQ(to_string(term(atom("hello world"))), "'hello world'");
  EXPECT_EQ(to_string(term(atom(""))), "''");
  EXPECT_EQ(to_string(term(atom("after"))), "'after'");
  EXPECT_EQ(to_string(term(atom("it's"))), "'it\\'s'");
  EXPECT_EQ(to_string(term(atom("é"))), "é");
  EXPECT_EQ(to_string(term(atom("Ω"))), "'\\x{3A9}'");
  EXPECT_EQ(to_string(term(atom("\x01"))), "'\\001'");
}

TEST(print, floats_use_erl_shortest_form) {
  EXPECT_EQ(format_float(1.5), "1.5");
  EXPECT_EQ(format_float(0.1), "0.1");
  EXPECT_EQ(format_float(100.0), "100.0");
  EXPECT_EQ(format_float(1000.0), "1.0e3");
  EXPECT_EQ(format_float(123456789.0), "123456789.0");
  EXPECT_EQ(format_float(1e10), "1.0e10");
  EXPECT_EQ(format_float(1200.0), "1.2e3");
  EXPECT_EQ(format_float(120.0), "120.0");
  EXPECT_EQ(format_float(0.00012), "1.2e-4");
  EXPECT_EQ(format_float(0.012), "0.012");
  EXPECT_EQ(format_float(9007199254740990.0), "9007199254740990.0");
  EXPECT_EQ(format_float(9007199254740992.0), "9.007199254740992e15");  // from 2^53 on
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(1e-5), "1.0e-5");
  EXPECT_EQ(format_float(0.0025), "0.0025");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format_float(5e-324), "5.0e-324");
}

TEST(print, big_integers_and_identifiers) {
  EXPECT_EQ(to_string(term(*big_integer::from_string("-123456789012345678901234567890"))),
            "-123456789012345678901234567890");
  EXPECT_EQ(to_string(term(pid{atom("a@b"), 1, 2, 3})), "<a@b.1.2>");
  EXPECT_EQ(to_string(term(export_fun{atom("lists"), atom("map"), 2})), "fun lists:map/2");
  std::ostringstream os;
  os << tuple(1, 2);
  EXPECT_EQ(os.str(), "{1,2}");
}
