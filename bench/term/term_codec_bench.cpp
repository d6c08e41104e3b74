// Encode/decode throughput of the external term format codec on three workloads, the same
// ones bench/peers/erlang/term_codec.erl runs on erl:
//   small  - {call, counter, 42, incr, 1234567}: a typical small message
//   binary - a 1 MiB binary
//   list   - lists:seq(1, 100000)
// Prints one machine-readable line per measurement:
//   bench=term_<encode|decode>_<small|binary|list> impl=bitactor workers=1 terms_per_s=N mb_per_s=M
// and, for the 1 MiB binary, the zero-copy APIs:
//   bench=term_encode_binary_iovec - encode_iovec(), which references the binary
//   bench=term_decode_binary_shared - decode_shared(), whose binary is a slice of the input
// MB/s counts encoded bytes (10^6 bytes per MB). Each figure is the median of 5 runs of at
// least 0.2 s. Usage: term_codec_bench [--quick] [--only NAME-SUBSTRING]
#include <algorithm>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace bitactor::term;
using clock_type = std::chrono::steady_clock;

// Keeps the optimiser from discarding results.
volatile std::size_t sink = 0;

template <class F>
double median_ops_per_sec(F&& op, double min_seconds, int runs) {
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    std::size_t n = 0;
    auto start = clock_type::now();
    double elapsed = 0;
    do {
      for (int i = 0; i < 16; ++i) op();
      n += 16;
      elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    } while (elapsed < min_seconds);
    rates.push_back(static_cast<double>(n) / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

void report(const char* op, const char* name, double terms_per_s, std::size_t bytes) {
  std::printf("bench=term_%s_%s impl=bitactor workers=1 terms_per_s=%.0f mb_per_s=%.1f\n", op, name,
              terms_per_s, terms_per_s * static_cast<double>(bytes) / 1e6);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string only;  // --only NAME: run the benchmarks whose name contains NAME (profiling)
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
  }
  double min_seconds = quick ? 0.02 : 0.2;
  int runs = quick ? 1 : 5;

  std::vector<term> seq;
  seq.reserve(100000);
  for (int i = 1; i <= 100000; ++i) seq.emplace_back(i);
  struct workload {
    const char* name;
    term value;
  };
  std::vector<workload> workloads = {
      {"small", tuple(atom("call"), atom("counter"), 42, atom("incr"), 1234567)},
      {"binary", binary(std::string(1u << 20, 'x'))},
      {"list", list_from(seq)},
  };

  auto wanted = [&](const char* op, const char* name) {
    return only.empty() || (std::string(op) + "_" + name).find(only) != std::string::npos;
  };
  for (const auto& w : workloads) {
    std::vector<std::uint8_t> bytes = encode(w.value);
    if (wanted("encode", w.name)) {
      double enc =
          median_ops_per_sec([&] { sink = sink + encode(w.value).size(); }, min_seconds, runs);
      report("encode", w.name, enc, bytes.size());
    }
    if (!wanted("decode", w.name)) continue;
    double dec = median_ops_per_sec(
        [&] {
          decode_result r = decode(bytes);
          sink = sink + r.consumed();
        },
        min_seconds, runs);
    report("decode", w.name, dec, bytes.size());
  }

  // The 1 MiB binary through the zero-copy APIs. erl's counterpart of encode_iovec() is
  // term_to_iovec/2, which references the binary too (term_codec.erl measures it under the
  // same name). erl has no decoder that shares its input, so decode_binary_shared has no erl
  // line: its counterpart is the copying binary_to_term of term_decode_binary.
  const term& big = workloads[1].value;
  auto big_bytes = std::make_shared<const std::vector<std::uint8_t>>(encode(big));
  if (wanted("encode", "binary_iovec")) {
    double enc =
        median_ops_per_sec([&] { sink = sink + encode_iovec(big).size(); }, min_seconds, runs);
    report("encode", "binary_iovec", enc, big_bytes->size());
  }
  if (wanted("decode", "binary_shared")) {
    double dec = median_ops_per_sec(
        [&] {
          decode_result r = decode_shared(big_bytes);
          sink = sink + r.consumed();
        },
        min_seconds, runs);
    report("decode", "binary_shared", dec, big_bytes->size());
  }
  return 0;
}
