// The codec and the term order checked against a real erl (Debian's erlang-base, OTP 25).
// One erl process serves the whole suite (see erl_peer.hpp and term_peer.erl).
#include <gtest/gtest.h>

#include <algorithm>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/order.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>
#include <memory>

#include "erl_peer.hpp"
#include "term_gen.hpp"

using namespace bitactor::term;
using bitactor::term::testing::erl_peer;
using bitactor::term::testing::gen_options;
using bitactor::term::testing::term_generator;
using bytes = std::vector<std::uint8_t>;

namespace {

class interop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = std::make_unique<erl_peer>(TERM_PEER_BEAM_DIR); }
  static void TearDownTestSuite() { peer_.reset(); }
  void SetUp() override {
    // CI must not pass by skipping: without erl (Debian's erlang-base) the suite fails.
    if (!peer_->ok()) FAIL() << "erl is not on PATH: the interop suite needs erlang-base";
  }

  static bytes call(std::uint8_t op, const bytes& payload) {
    auto reply = peer_->call(op, payload);
    if (!reply) ADD_FAILURE() << "erl raised: " << peer_->last_error();
    return reply.value_or(bytes{});
  }

  static std::unique_ptr<erl_peer> peer_;
};
std::unique_ptr<erl_peer> interop::peer_;

bool has_large_map(const term& t) {
  switch (t.kind()) {
    case type::map:
      if (t.size() > 32) return true;
      for (const auto& [k, v] : t.as_map()) {
        if (has_large_map(k) || has_large_map(v)) return true;
      }
      return false;
    case type::tuple:
      for (const term& e : t.as_tuple()) {
        if (has_large_map(e)) return true;
      }
      return false;
    case type::list:
      for (const term& e : t.as_list().elements) {
        if (has_large_map(e)) return true;
      }
      return has_large_map(*t.as_list().tail);
    case type::fun:
      if (t.is_export()) return false;
      for (const term& e : t.as_local_fun().free_vars) {
        if (has_large_map(e)) return true;
      }
      return false;
    default:
      return false;
  }
}

// Where two encodings first differ, for readable failures.
std::string first_difference(const bytes& theirs, const bytes& mine) {
  std::size_t i = 0;
  while (i < theirs.size() && i < mine.size() && theirs[i] == mine[i]) ++i;
  if (i == theirs.size() && i == mine.size()) return "identical";
  auto window = [i](const bytes& b) {
    std::string s;
    for (std::size_t k = i; k < b.size() && k < i + 12; ++k) s += std::to_string(b[k]) + " ";
    return s;
  };
  return "first difference at byte " + std::to_string(i) + ": erl [" + window(theirs) + "] mine [" +
         window(mine) + "] sizes " + std::to_string(theirs.size()) + "/" +
         std::to_string(mine.size());
}

std::vector<bytes> frames(const bytes& b) {
  std::vector<bytes> out;
  std::size_t i = 0;
  while (i + 4 <= b.size()) {
    std::size_t n = (std::size_t{b[i]} << 24) | (std::size_t{b[i + 1]} << 16) |
                    (std::size_t{b[i + 2]} << 8) | b[i + 3];
    out.emplace_back(b.begin() + static_cast<std::ptrdiff_t>(i + 4),
                     b.begin() + static_cast<std::ptrdiff_t>(i + 4 + n));
    i += 4 + n;
  }
  return out;
}

}  // namespace

TEST_F(interop, cpp_encoding_matches_erl_byte_for_byte) {
  term_generator gen(1, gen_options{.large_maps = false});
  for (int i = 0; i < 1500; ++i) {
    term t = gen.any(5);
    bytes mine = encode(t);
    bytes theirs = call(1, mine);
    ASSERT_TRUE(theirs == mine) << first_difference(theirs, mine) << "\n" << to_string(t);
  }
}

TEST_F(interop, a_term_nested_100000_deep_round_trips_through_erl) {
  // erl's binary_to_term and term_to_binary have no depth limit, and neither have ours.
  term t;
  for (int i = 0; i < 100'000; ++i) t = i % 2 == 0 ? list(std::move(t)) : tuple(std::move(t), i);
  bytes mine = encode(t);
  bytes theirs = call(1, mine);
  ASSERT_TRUE(theirs == mine) << first_difference(theirs, mine);
  decode_result r = decode(theirs);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r.value() == t);
}

TEST_F(interop, cpp_encoding_with_erl_25_defaults_matches_byte_for_byte) {
  term_generator gen(2, gen_options{.large_maps = false});
  for (int i = 0; i < 1000; ++i) {
    term t = gen.any(5);
    bytes mine = encode(t, {.minor_version = 1});
    bytes theirs = call(2, mine);
    ASSERT_TRUE(theirs == mine) << first_difference(theirs, mine) << "\n" << to_string(t);
  }
}

TEST_F(interop, compressed_encoding_matches_erl_at_every_level) {
  term_generator gen(3, gen_options{.large_maps = false});
  for (int i = 0; i < 400; ++i) {
    term t = gen.any(5);
    auto level = static_cast<std::uint8_t>(i % 10);
    bytes mine = encode(t, {.compressed = true, .level = level});
    bytes request = {level};
    request.insert(request.end(), mine.begin(), mine.end());
    bytes theirs = call(3, request);
    ASSERT_TRUE(theirs == mine) << "level " << int{level} << ": " << first_difference(theirs, mine)
                                << "\n"
                                << to_string(t);
  }
}

// Long lists of numbers take encode()'s bounded size pass; erl must read the same bytes.
TEST_F(interop, long_number_lists_match_erl_byte_for_byte) {
  term_generator gen(9);
  for (int round = 0; round < 20; ++round) {
    std::vector<term> v;
    std::size_t n = 1024 + gen.pick(round % 4 == 0 ? 70000 : 3000);
    for (std::size_t k = 0; k < n; ++k) {
      switch (gen.pick(round % 3 == 0 ? 1 : 5)) {
        case 0:
          v.emplace_back(static_cast<std::int64_t>(gen.pick(256)));
          break;
        case 1:
          v.emplace_back(static_cast<std::int64_t>(gen.pick(1u << 31)) - (1 << 30));
          break;
        case 2:
          v.emplace_back(gen.real());
          break;
        case 3:
          v.emplace_back();
          break;
        default:
          v.emplace_back(INT64_MIN + static_cast<std::int64_t>(gen.pick(1000)));
          break;
      }
    }
    term t = round % 2 ? list_from(std::move(v)) : tuple(atom("samples"), list_from(std::move(v)));
    bytes mine = encode(t);
    bytes theirs = call(1, mine);
    ASSERT_TRUE(theirs == mine) << "round " << round << ": " << first_difference(theirs, mine);
  }
}

// erl's default encoding of a map over 32 keys walks its hash trie, whose order hangs on
// atom-table indexes and node addresses of that VM instance (erts utils.c,
// make_internal_hash): two BEAMs may encode one map differently, so no outside encoder can
// match it. term_to_binary(T, [deterministic]) writes such maps in key order, as BitActor
// always does, and that is compared byte for byte.
TEST_F(interop, large_maps_encode_like_erl_deterministic_byte_for_byte) {
  term_generator gen(4);
  int large = 0;
  for (int i = 0; i < 400; ++i) {
    term t = gen.any(4);
    large += has_large_map(t);
    bytes mine = encode(t);
    bytes theirs = call(8, mine);
    ASSERT_TRUE(theirs == mine) << first_difference(theirs, mine) << "\n" << to_string(t);
  }
  EXPECT_GT(large, 10);
}

TEST_F(interop, large_map_keys_that_nearly_tie_sort_as_erl_deterministic) {
  // Integers sort before floats as map keys (1 before 0.5, and 1 and 1.0 are two keys);
  // -0.0 and 0.0 are one key in OTP 25, where 0.0 =:= -0.0 (the later value wins, as in
  // maps:from_list/1); a large map is itself a key.
  std::vector<std::pair<term, term>> entries;
  for (int i = 0; i < 40; ++i) entries.emplace_back(term(i), term(i));
  term inner = map_from(entries);
  entries.emplace_back(term(1.0), atom("float_one"));
  entries.emplace_back(term(0.5), atom("half"));
  entries.emplace_back(term(-0.0), atom("negative_zero"));
  entries.emplace_back(term(0.0), atom("zero"));
  entries.emplace_back(parse("123456789012345678901234567890"), atom("big"));
  entries.emplace_back(parse("-123456789012345678901234567890"), atom("negative_big"));
  entries.emplace_back(inner, atom("large_map_key"));
  entries.emplace_back(parse("#{a => 1}"), atom("small_map_key"));
  entries.emplace_back(parse("<<1,5:3>>"), atom("bitstring"));
  entries.emplace_back(parse("<<1>>"), atom("binary"));
  entries.emplace_back(parse("\"abc\""), atom("string"));
  entries.emplace_back(parse("[a|b]"), atom("improper"));
  entries.emplace_back(parse("{}"), atom("empty_tuple"));
  entries.emplace_back(atom("z"), atom("atom"));
  term t = map_from(entries);
  EXPECT_EQ(*t.find(term(0.0)), term(atom("zero")));
  bytes mine = encode(t);
  bytes theirs = call(8, mine);
  EXPECT_TRUE(theirs == mine) << first_difference(theirs, mine) << "\n" << to_string(t);
}

TEST_F(interop, large_maps_in_erl_hash_order_decode_to_the_same_term) {
  term_generator gen(8);
  int large = 0;
  for (int i = 0; i < 400; ++i) {
    term t = gen.any(4);
    large += has_large_map(t);
    decode_result back = decode(call(1, encode(t)));
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    ASSERT_EQ(back.value(), t) << to_string(t);
  }
  EXPECT_GT(large, 10);
}

TEST_F(interop, erl_generated_terms_decode_and_re_encode_identically) {
  int compared = 0;
  int large = 0;
  for (std::uint32_t seed = 1; seed <= 1500; ++seed) {
    bytes request = {static_cast<std::uint8_t>(seed >> 24), static_cast<std::uint8_t>(seed >> 16),
                     static_cast<std::uint8_t>(seed >> 8), static_cast<std::uint8_t>(seed)};
    std::vector<bytes> encodings = frames(call(5, request));
    ASSERT_EQ(encodings.size(), 3u);
    decode_result v2 = decode(encodings[0]);
    ASSERT_TRUE(v2.ok()) << seed << ": " << v2.error().to_string();
    decode_result v1 = decode(encodings[1]);
    ASSERT_TRUE(v1.ok()) << seed << ": " << v1.error().to_string();
    decode_result packed = decode(encodings[2]);
    ASSERT_TRUE(packed.ok()) << seed << ": " << packed.error().to_string();
    EXPECT_EQ(v1.value(), v2.value()) << seed;
    EXPECT_EQ(packed.value(), v2.value()) << seed;
    bytes mine = encode(v2.value());
    if (has_large_map(v2.value())) {
      ++large;
      bytes theirs = call(8, encodings[0]);
      ASSERT_TRUE(mine == theirs) << seed << ": " << first_difference(theirs, mine);
      continue;
    }
    ++compared;
    ASSERT_TRUE(mine == encodings[0])
        << seed << ": " << first_difference(encodings[0], mine) << "\n"
        << to_string(v2.value());
    mine = encode(v1.value(), {.minor_version = 1});
    ASSERT_TRUE(mine == encodings[1]) << seed << ": " << first_difference(encodings[1], mine);
    mine = encode(v2.value(), {.compressed = true});
    ASSERT_TRUE(mine == encodings[2]) << seed << ": " << first_difference(encodings[2], mine);
  }
  EXPECT_GT(compared, 1000);
  EXPECT_GT(large, 50);
}

TEST_F(interop, sorting_agrees_with_lists_sort) {
  term_generator gen(5);
  for (int round = 0; round < 100; ++round) {
    std::vector<term> items;
    for (int i = 0; i < 60; ++i) items.push_back(gen.any(3));
    // Near-ties across types and numbers.
    items.emplace_back(1);
    items.emplace_back(1.5);
    items.emplace_back(std::int64_t{9007199254740993});
    items.emplace_back(9007199254740992.0);
    std::vector<term> sorted = items;
    std::stable_sort(sorted.begin(), sorted.end(), erlang_less{});
    decode_result theirs = decode(call(4, encode(list_from(items))));
    ASSERT_TRUE(theirs.ok());
    auto elems = theirs.value().as_list().elements;
    ASSERT_EQ(elems.size(), sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      ASSERT_TRUE(equal(elems[i], sorted[i]))
          << "round " << round << " index " << i << ": erl " << to_string(elems[i]) << " vs "
          << to_string(sorted[i]);
    }
  }
}

TEST_F(interop, equality_and_less_than_agree_with_erl) {
  term_generator gen(6);
  for (int i = 0; i < 1500; ++i) {
    term a = gen.any(2);
    term b = i % 3 == 0 ? a : gen.any(2);
    if (i % 5 == 0 && a.is_integer() && a.is_small()) b = term(static_cast<double>(a.as_int()));
    bytes r = call(7, encode(tuple(a, b)));
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0] == 1, equal(a, b)) << to_string(a) << " == " << to_string(b);
    EXPECT_EQ(r[1] == 1, exact_equal(a, b)) << to_string(a) << " =:= " << to_string(b);
    EXPECT_EQ(r[2] == 1, compare(a, b) < 0) << to_string(a) << " < " << to_string(b);
  }
}

TEST_F(interop, printing_matches_io_lib_print) {
  term_generator gen(7, gen_options{.identifiers = false, .large_maps = false});
  for (int i = 0; i < 1500; ++i) {
    term t = gen.any(4);
    bytes theirs = call(6, encode(t));
    EXPECT_EQ(to_string(t), std::string(theirs.begin(), theirs.end()));
  }
}
