// libFuzzer target for the external term format decoder.
//
// Any input must either fail with a decode_error or produce a term that re-encodes to bytes
// which decode to an equal term (and print without crashing). decode_shared() must agree
// with decode() (it charges no more of the budget, so it succeeds whenever decode() does), and
// encode_iovec() must join to encode()'s bytes. Run via scripts/fuzz-term.
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <bitactor/term/print.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bitactor::term;
  // A small budget keeps each run fast and exercises the too_large paths; the depth limit is
  // above the 48 levels the decoder recurses for, so both its recursive and its explicit-stack
  // paths run, and too_deep too.
  decode_options options{.max_depth = 4096, .max_bytes = 16u << 20};
  decode_result r = decode(std::span<const std::uint8_t>(data, size), options);
  if (!r.ok()) {
    (void)r.error().to_string();
    return 0;
  }
  const term& t = r.value();
  (void)to_string(t);
  auto shared = std::make_shared<const std::vector<std::uint8_t>>(data, data + size);
  decode_result s = decode_shared(shared, options);
  if (!s.ok() || !(s.value() == t)) std::abort();
  if (encode_iovec(t).flatten() != encode(t)) std::abort();
  decode_result again = decode(encode(t), options);
  if (!again.ok() || !(again.value() == t)) std::abort();
  decode_result packed = decode(encode(t, {.compressed = true, .level = 1}), options);
  if (!packed.ok() || !(packed.value() == t)) std::abort();
  return 0;
}
