// The fuzz corpora run as plain tests (under every preset, ASan's included): each hostile
// seed of fuzz/make-hostile-corpus.py fails to decode with an error value, each valid one
// decodes, and every text seed parses or fails with parse_error.
#include <gtest/gtest.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

using namespace bitactor::term;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Hostile seeds that are valid terms (the decoder has no default depth limit, as erl).
const std::set<std::string> kValidHostile = {"hostile_nested_within_limit.etf",
                                             "hostile_deep_lists.etf", "hostile_deep_tuples.etf",
                                             "hostile_deep_maps.etf", "hostile_many_new_atoms.etf"};

}  // namespace

TEST(fuzz_corpus, every_hostile_decoder_seed_is_an_error_and_every_erl_seed_decodes) {
  std::size_t hostile = 0;
  std::size_t valid = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(FUZZ_CORPUS_DIR) / "term_decode")) {
    std::string name = entry.path().filename().string();
    decode_result r = decode(read_file(entry.path()));
    bool expect_ok = name.rfind("hostile_", 0) != 0 || kValidHostile.count(name) != 0;
    if (expect_ok) {
      ASSERT_TRUE(r.ok()) << name << ": " << r.error().to_string();
      EXPECT_TRUE(decode(encode(r.value())).value() == r.value()) << name;
      ++valid;
    } else {
      EXPECT_FALSE(r.ok()) << name << " decoded to " << to_string(r.value());
      ++hostile;
    }
  }
  EXPECT_GE(hostile, 40u);
  EXPECT_GE(valid, 50u);
}

TEST(fuzz_corpus, every_parser_seed_parses_or_fails_with_parse_error) {
  std::size_t parsed = 0;
  std::size_t refused = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(FUZZ_CORPUS_DIR) / "term_parse")) {
    std::vector<std::uint8_t> bytes = read_file(entry.path());
    std::string text(bytes.begin(), bytes.end());
    try {
      term t = parse(text);
      EXPECT_TRUE(parse(to_string(t)) == t) << entry.path().filename();
      ++parsed;
    } catch (const parse_error&) {
      ++refused;
    }
  }
  EXPECT_GE(parsed, 8u);
  EXPECT_GE(refused, 8u);
}
