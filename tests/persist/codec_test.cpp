// codec<T>: the built-in codecs and the variant's named alternatives.
#include <gtest/gtest.h>

#include "account.hpp"

namespace bitactor::persist::testing {
namespace {

TEST(codec, built_in_types_round_trip) {
  EXPECT_EQ(decode<std::int64_t>(encode(std::int64_t{-42})), -42);
  EXPECT_EQ(decode<std::string>(encode(std::string("abc"))), "abc");
  EXPECT_EQ(decode<std::optional<int>>(encode(std::optional<int>(7))), 7);
  EXPECT_EQ(decode<std::optional<int>>(encode(std::optional<int>())), std::nullopt);
  term::term t = term::tuple(term::atom("ok"), term::term(1));
  EXPECT_EQ(decode<term::term>(persist::encode(t)), t);
  auto s = decode<account_state>(encode(account_state{12, 3}));
  EXPECT_EQ(s.balance, 12);
  EXPECT_EQ(s.events, 3u);
}

TEST(codec, a_variant_is_stored_by_the_name_of_its_alternative) {
  std::string bytes = encode(account_event(withdrawn{5}));
  EXPECT_EQ(bytes.substr(0, 10), "\x09withdrawn");
  auto back = decode<account_event>(bytes);
  ASSERT_TRUE(std::holds_alternative<withdrawn>(back));
  EXPECT_EQ(std::get<withdrawn>(back).amount, 5);
  // A variant listing the same alternatives in another order reads the same bytes.
  using reordered = std::variant<withdrawn, deposited>;
  EXPECT_EQ(std::get<withdrawn>(decode<reordered>(bytes)).amount, 5);
}

TEST(codec, bytes_that_do_not_decode_throw_decode_error_naming_the_type) {
  EXPECT_THROW(decode<std::int64_t>("abc"), decode_error);
  EXPECT_THROW(decode<account_event>(""), decode_error);
  try {
    decode<account_event>("\x07renamed");
    FAIL();
  } catch (const decode_error& e) {
    EXPECT_STREQ(e.what(), "unknown type 'renamed'");
  }
  try {
    // A term of the wrong shape for the alternative: an atom where an integer was stored.
    decode<account_event>("\x09withdrawn" + persist::encode(term::term(term::atom("x"))));
    FAIL();
  } catch (const decode_error& e) {
    EXPECT_NE(std::string(e.what()).find("'withdrawn' does not decode"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bitactor::persist::testing
