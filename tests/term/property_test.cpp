// Properties over seeded random terms (RapidCheck picks the seeds and sizes).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/order.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>

#include "term_gen.hpp"

using namespace bitactor::term;
using bitactor::term::testing::gen_options;
using bitactor::term::testing::term_generator;

RC_GTEST_PROP(term_property, encode_then_decode_is_identity, (std::uint64_t seed, bool compress)) {
  term_generator gen(seed);
  term t = gen.any(5);
  auto bytes = encode(t, {.compressed = compress});
  decode_result r = decode(bytes);
  RC_ASSERT(r.ok());
  RC_ASSERT(r.value() == t);
  RC_ASSERT(encode(r.value(), {.compressed = compress}) == bytes);
}

RC_GTEST_PROP(term_property, minor_version_1_decodes_to_the_same_term, (std::uint64_t seed)) {
  term_generator gen(seed);
  term t = gen.any(5);
  RC_ASSERT(binary_to_term(encode(t, {.minor_version = 1})) == t);
}

RC_GTEST_PROP(term_property, print_then_parse_is_identity, (std::uint64_t seed)) {
  // Identifiers and funs have no literal syntax; everything else must round-trip.
  term_generator gen(seed, gen_options{.identifiers = false});
  term t = gen.any(5);
  std::string text = to_string(t);
  RC_ASSERT(parse(text) == t);
}

RC_GTEST_PROP(term_property, compare_is_a_consistent_total_order, (std::uint64_t seed)) {
  term_generator gen(seed);
  term a = gen.any(3);
  term b = gen.any(3);
  term c = gen.any(3);
  auto sign = [](auto ordering) { return ordering < 0 ? -1 : ordering > 0 ? 1 : 0; };
  int ab = sign(compare(a, b));
  RC_ASSERT(ab == -sign(compare(b, a)));
  RC_ASSERT(sign(compare(a, a)) == 0);
  if (ab <= 0 && sign(compare(b, c)) <= 0) RC_ASSERT(sign(compare(a, c)) <= 0);
  if (sign(exact_compare(a, b)) == 0) RC_ASSERT(a == b);
  if (a == b) RC_ASSERT(equal(a, b));
}
