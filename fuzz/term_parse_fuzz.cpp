// libFuzzer target for the text parser (term::parse).
//
// Any input must either fail with parse_error or give a term whose printed text parses back
// to an equal term (print and parse are inverse on the types that have a literal syntax),
// and which survives an encode/decode round trip. Run via scripts/fuzz-term.
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/errors.hpp>
#include <bitactor/term/parse.hpp>
#include <bitactor/term/print.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bitactor::term;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  term t;
  try {
    t = parse(text);
  } catch (const parse_error&) {
    return 0;
  }
  std::string printed = to_string(t);
  try {
    term again = parse(printed);
    if (!(again == t)) {
      std::fprintf(stderr, "printed text parses to another term: %s\n", printed.c_str());
      std::abort();
    }
  } catch (const parse_error& e) {
    std::fprintf(stderr, "printed text does not parse (%s): %s\n", e.what(), printed.c_str());
    std::abort();
  }
  // The parser nests at most 1000 deep; decode must accept what it builds.
  decode_result r = decode(encode(t), {.max_depth = 1001});
  if (!r.ok() || !(r.value() == t)) std::abort();
  return 0;
}
