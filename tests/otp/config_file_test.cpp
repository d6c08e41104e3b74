// Config files (application.hpp's read_config_file, OTP's sys.config role, in TOML) that are
// hostile or wrong are refused with a file:line error instead of crashing the process or
// silently giving a different configuration.
#include <gtest/gtest.h>

#include <bitactor/otp/application.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

using namespace bitactor;
using namespace bitactor::otp;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

/// The error read_config_file gives for `text`, or "" if it reads it.
config_file_error read_error(const std::string& name, const std::string& text) {
  auto path = write_file(name, text);
  try {
    read_config_file(path);
  } catch (const config_file_error& e) {
    return e;
  }
  return config_file_error(path, 0, "<no error>");
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

// --- nesting ---------------------------------------------------------------------------------

TEST(config_file, deeply_nested_arrays_are_refused_naming_the_line_instead_of_crashing) {
  auto e = read_error("deep_arrays.toml", "[chat]\nok = 1\nrooms = " + repeat("[", 200000) +
                                              repeat("]", 200000) + "\n");
  EXPECT_EQ(e.line(), 3u) << e.what();
  EXPECT_NE(std::string(e.what()).find("nest deeper than 64"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).rfind(e.file() + ":3: ", 0), 0u) << e.what();
}

TEST(config_file, deeply_nested_inline_tables_are_refused_naming_the_line) {
  auto e = read_error("deep_tables.toml",
                      "[chat]\n\nlimits = " + repeat("{a = ", 100000) + "1" + repeat("}", 100000));
  EXPECT_EQ(e.line(), 3u) << e.what();
  EXPECT_NE(std::string(e.what()).find("nest deeper than 64"), std::string::npos) << e.what();
}

TEST(config_file, dotted_keys_and_headers_with_too_many_parts_are_refused) {
  auto e = read_error("deep_key.toml", "[chat]\n" + repeat("a.", 100000) + "b = 1\n");
  EXPECT_EQ(e.line(), 2u) << e.what();
  EXPECT_NE(std::string(e.what()).find("more than 64 parts"), std::string::npos) << e.what();
  e = read_error("deep_header.toml", "# a\n[chat." + repeat("a.", 100000) + "b]\nx = 1\n");
  EXPECT_EQ(e.line(), 2u) << e.what();
  EXPECT_NE(std::string(e.what()).find("more than 64 parts"), std::string::npos) << e.what();
}

TEST(config_file,
     nesting_up_to_the_limit_is_read_and_brackets_in_strings_and_comments_do_not_count) {
  // 63 levels of inline tables under [chat], with brackets, quotes and dots in strings and
  // comments that a careless scan would count.
  std::string text = "[chat]\n# [[[[[[[[ {{{{{{ a.b.c.d\n";
  text += "motd = \"[[[[{{{{ \\\" ]]] a.b.c\"\n";
  text += "path = 'C:\\[[[[[['\n";
  text += "banner = \"\"\"\n[[[[[[[[[[[[\n{{{{{{{{\"\"\"\n";
  text += "raw = '''\n[[[[[[[[[[[[\n'''\n";
  text += "deep = " + repeat("{a = ", 63) + "7" + repeat("}", 63) + "\n";
  text += repeat("k.", 62) + "leaf = 3\n";
  auto path = write_file("deep_ok.toml", text);
  config c = read_config_file(path);
  EXPECT_EQ(c["chat"]["motd"], env_value(std::string("[[[[{{{{ \" ]]] a.b.c")));
  std::string deep_key = "deep";
  for (int i = 0; i < 63; ++i) deep_key += ".a";
  EXPECT_EQ(c["chat"][deep_key], env_value(std::int64_t{7}));
  std::string dotted = repeat("k.", 62) + "leaf";
  EXPECT_EQ(c["chat"][dotted], env_value(std::int64_t{3}));
}

// --- integers --------------------------------------------------------------------------------

TEST(config_file, integers_past_64_bits_are_errors_naming_the_line_not_capped) {
  for (const char* v : {"99999999999999999999", "-99999999999999999999", "9223372036854775808",
                        "-9_223_372_036_854_775_809", "0xFFFFFFFFFFFFFFFFFF", "0x8000000000000000",
                        "0o7777777777777777777777"}) {
    auto e = read_error("big_int.toml", std::string("[chat]\n\nport = ") + v + "\n");
    EXPECT_EQ(e.line(), 3u) << v << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("does not fit in 64 bits"), std::string::npos)
        << v << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("chat.port"), std::string::npos) << e.what();
  }
}

// toml11 reads a binary integer by doubling a signed place value per digit, which overflows
// from the 63rd digit on: such literals are refused before it sees them.
TEST(config_file, binary_integers_longer_than_62_digits_are_refused_naming_the_line) {
  for (const std::string& v :
       {"0b" + repeat("1", 65), "0b" + repeat("0", 70) + "1", "0b1" + repeat("_0", 62)}) {
    auto e = read_error("long_binary.toml", "[chat]\n# 0b" + repeat("1", 80) + "\nmask = " + v +
                                                "\nquoted = \"0b" + repeat("1", 80) + "\"\n");
    EXPECT_EQ(e.line(), 3u) << v << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("binary integer of"), std::string::npos) << e.what();
  }
  auto path = write_file("ok_binary.toml",
                         "[chat]\nmask = 0b" + repeat("1", 62) + "\nsmall = 0b1_0_1\n0b111 = 1\n");
  config c = read_config_file(path);
  EXPECT_EQ(c["chat"]["mask"], env_value(std::int64_t{(std::int64_t{1} << 62) - 1}));
  EXPECT_EQ(c["chat"]["small"], env_value(std::int64_t{5}));
  EXPECT_EQ(c["chat"]["0b111"], env_value(std::int64_t{1}));
}

TEST(config_file, integers_at_the_64_bit_limits_are_read_exactly) {
  auto path = write_file("edge_int.toml",
                         "[chat]\nmax = 9_223_372_036_854_775_807\nmin = -9223372036854775808\n"
                         "hex = 0x7FFFFFFFFFFFFFFF\nsmall = { n = -5 }\n");
  config c = read_config_file(path);
  EXPECT_EQ(c["chat"]["max"], env_value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(c["chat"]["min"], env_value(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(c["chat"]["hex"], env_value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(c["chat"]["small.n"], env_value(std::int64_t{-5}));
}

// --- keys that flatten to one name ----------------------------------------------------------

TEST(config_file, two_keys_flattening_to_the_same_name_are_an_error_naming_both) {
  auto e = read_error("clash.toml", "[chat]\n\"limits.rooms\" = 1\n[chat.limits]\nrooms = 2\n");
  const std::string what = e.what();
  EXPECT_EQ(e.line(), 4u) << what;
  EXPECT_NE(what.find("chat.\"limits.rooms\""), std::string::npos) << what;
  EXPECT_NE(what.find("chat.limits.rooms"), std::string::npos) << what;
  EXPECT_NE(what.find("(line 2)"), std::string::npos) << what;
}

TEST(config_file, same_key_in_two_applications_is_no_clash) {
  auto path = write_file("no_clash.toml", "[chat]\nport = 1\n[store]\nport = 2\n");
  config c = read_config_file(path);
  EXPECT_EQ(c["chat"]["port"], env_value(std::int64_t{1}));
  EXPECT_EQ(c["store"]["port"], env_value(std::int64_t{2}));
}

// --- what is not a file ----------------------------------------------------------------------

TEST(config_file, a_directory_is_an_error_not_an_empty_config) {
  auto dir = testing::TempDir() + "config_dir.toml";
  std::filesystem::create_directories(dir);
  try {
    read_config_file(dir);
    FAIL() << "a directory was read as a config file";
  } catch (const config_file_error& e) {
    EXPECT_EQ(std::string(e.what()), dir + ": is a directory, not a config file");
    EXPECT_EQ(e.line(), 0u);
  }
}

TEST(config_file, an_empty_file_is_an_empty_config) {
  auto path = write_file("empty.toml", "");
  EXPECT_TRUE(read_config_file(path).empty());
}
