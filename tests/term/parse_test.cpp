#include <gtest/gtest.h>

#include <bitactor/term/order.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>

using namespace bitactor::term;

TEST(parse, atoms) {
  EXPECT_EQ(parse("ok"), term(atom("ok")));
  EXPECT_EQ(parse("'hello world'"), term(atom("hello world")));
  EXPECT_EQ(parse("'it\\'s'"), term(atom("it's")));
  EXPECT_EQ(parse("a@b"), term(atom("a@b")));
  EXPECT_EQ(parse("'\\x{3A9}'"), term(atom("Ω")));
}

TEST(parse, integers_in_every_notation) {
  EXPECT_EQ(parse("42"), term(42));
  EXPECT_EQ(parse("-42"), term(-42));
  EXPECT_EQ(parse("16#FF"), term(255));
  EXPECT_EQ(parse("-2#1010"), term(-10));
  EXPECT_EQ(parse("36#zz"), term(1295));
  EXPECT_EQ(parse("$a"), term(97));
  EXPECT_EQ(parse("$\\n"), term(10));
  EXPECT_EQ(parse("1_000_000"), term(1000000));
  EXPECT_EQ(parse("123456789012345678901234567890").as_big_integer().to_string(),
            "123456789012345678901234567890");
}

TEST(parse, floats) {
  EXPECT_EQ(parse("1.5"), term(1.5));
  EXPECT_EQ(parse("-2.0e-3"), term(-2.0e-3));
  EXPECT_EQ(parse("1.0e10"), term(1e10));
}

TEST(parse, strings_and_binaries) {
  EXPECT_EQ(parse("\"abc\""), string("abc"));
  EXPECT_EQ(parse("\"a\\nb\""), string("a\nb"));
  EXPECT_EQ(parse("\"ab\" \"cd\""), string("abcd"));
  EXPECT_EQ(parse("\"\""), term());
  EXPECT_EQ(parse("<<1,2>>"), binary(std::string_view("\x01\x02", 2)));
  EXPECT_EQ(parse("<<\"abc\">>"), binary("abc"));
  EXPECT_EQ(parse("<<>>"), binary(""));
  EXPECT_EQ(parse("<<\"a\",98,\"c\">>"), binary("abc"));
  const std::uint8_t bytes[] = {1, 0x40};
  EXPECT_EQ(parse("<<1,2:3>>"), bitstring(bytes, 11));
}

TEST(parse, containers) {
  EXPECT_EQ(parse("{ok, [1, 2, 3]}"), tuple(atom("ok"), list(1, 2, 3)));
  EXPECT_EQ(parse("[a | b]"), list_from({atom("a")}, atom("b")));
  EXPECT_EQ(parse("[1, 2 | [3]]"), list(1, 2, 3));
  EXPECT_EQ(parse("#{a => 1, \"k\" => {}}"), map({{atom("a"), 1}, {string("k"), tuple()}}));
  EXPECT_EQ(parse("#{}"), map({}));
  EXPECT_EQ(parse("{}"), tuple());
  EXPECT_EQ(parse("  {a}.  % comment\n"), tuple(atom("a")));
}

TEST(parse, errors_report_line_and_column) {
  try {
    parse("{ok,\n  [1, 2,, 3]}");
    FAIL() << "expected parse_error";
  } catch (const parse_error& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 9u);
  }
  EXPECT_THROW(parse(""), parse_error);
  EXPECT_THROW(parse("{a"), parse_error);
  EXPECT_THROW(parse("Var"), parse_error);
  EXPECT_THROW(parse("\"unterminated"), parse_error);
  EXPECT_THROW(parse("{a} b"), parse_error);
  EXPECT_THROW(parse("37#1"), parse_error);
  EXPECT_THROW(parse("#{a}"), parse_error);
  EXPECT_THROW(parse("<<1:0>>"), parse_error);
}

// erl_scan: a bare atom starts with a lower-case Latin-1 letter; an upper-case one (or '_')
// starts a variable; reserved words are keywords unless quoted.
TEST(parse, bare_atoms_follow_erl_scan_letter_classes_and_reserved_words) {
  EXPECT_EQ(parse("\u00e9lan"), term(atom("\u00e9lan")));
  EXPECT_EQ(parse("stra\u00dfe"), term(atom("stra\u00dfe")));
  EXPECT_THROW(parse("\u00c9lan"), parse_error);
  EXPECT_THROW(parse("_x"), parse_error);
  EXPECT_THROW(parse("end"), parse_error);
  EXPECT_THROW(parse("{ok, receive}"), parse_error);
  EXPECT_EQ(parse("'end'"), term(atom("end")));
  EXPECT_EQ(parse("ending"), term(atom("ending")));
  EXPECT_THROW(parse("\u03a9"), parse_error);  // not Latin-1: only quoted
  EXPECT_EQ(parse("'\u03a9'"), term(atom("\u03a9")));
  try {
    parse("{a, \u00d7}");
    FAIL() << "expected parse_error";
  } catch (const parse_error& e) {
    EXPECT_NE(std::string(e.what()).find("'\u00d7'"), std::string::npos) << e.what();
  }
}

// As erl: <<1180591620717411303425>> is <<1>>; a segment keeps the value's low bits.
TEST(parse, binary_segments_keep_the_low_bits_of_big_integers) {
  EXPECT_EQ(parse("<<1180591620717411303425>>"), binary(std::vector<std::uint8_t>{1}));
  EXPECT_EQ(parse("<<-1180591620717411303425:16>>"), binary(std::vector<std::uint8_t>{255, 255}));
  EXPECT_EQ(parse("<<18446744073709551617:64>>"),
            binary(std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(parse, printed_terms_parse_back) {
  const char* texts[] = {"{ok,[1,2,3]}", "[a|b]",     "#{1 => 2,a => 1}",
                         "<<\"abc\">>",  "<<1,2:3>>", "'hello world'",
                         "-1.0e-5",      "\"a\\tb\"", "123456789012345678901234567890",
                         "[]",           "{}"};
  for (const char* text : texts) EXPECT_EQ(to_string(parse(text)), text);
}

TEST(parse, deep_nesting_is_an_error_not_a_crash) {
  std::string deep(20000, '[');
  EXPECT_THROW(parse(deep), parse_error);
}
