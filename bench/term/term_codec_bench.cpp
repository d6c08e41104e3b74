// Encode/decode throughput of the external term format codec on three workloads, the same
// ones bench/peers/erlang/term_codec.erl runs on erl:
//   small  - {call, counter, 42, incr, 1234567}: a typical small message
//   binary - a 1 MiB binary
//   list   - lists:seq(1, 100000)
// Prints one machine-readable line per measurement:
//   bench=term_<encode|decode>_<small|binary|list> impl=bitactor workers=1 terms_per_s=N mb_per_s=M
// MB/s counts encoded bytes (10^6 bytes per MB). Each figure is the median of 5 runs of at
// least 0.2 s. Usage: term_codec_bench [--quick]
#include <algorithm>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
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
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
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

  for (const auto& w : workloads) {
    std::vector<std::uint8_t> bytes = encode(w.value);
    double enc =
        median_ops_per_sec([&] { sink = sink + encode(w.value).size(); }, min_seconds, runs);
    report("encode", w.name, enc, bytes.size());
    double dec = median_ops_per_sec(
        [&] {
          decode_result r = decode(bytes);
          sink = sink + r.consumed();
        },
        min_seconds, runs);
    report("decode", w.name, dec, bytes.size());
  }
  return 0;
}
