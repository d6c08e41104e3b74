// Nanoseconds per feature-flag read on the hot path: a handle looked up once, then a boolean
// read (one relaxed atomic load) or a percentage read for an id (the load plus the id's hash).
#include <benchmark/benchmark.h>

#include <bitactor/resilience/feature_flags.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace resilience = bitactor::resilience;

namespace {

void boolean_read(benchmark::State& state) {
  resilience::feature_flags flags;
  flags.define_boolean("dark_mode", true);
  const auto f = flags.flag("dark_mode");
  for (auto _ : state) benchmark::DoNotOptimize(f.enabled());
}
BENCHMARK(boolean_read);

void percentage_read_integer_id(benchmark::State& state) {
  resilience::feature_flags flags;
  flags.define_percentage("new_checkout", 30);
  const auto f = flags.flag("new_checkout");
  std::uint64_t id = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.enabled_for(id++));
}
BENCHMARK(percentage_read_integer_id);

void percentage_read_string_id(benchmark::State& state) {
  resilience::feature_flags flags;
  flags.define_percentage("new_checkout", 30);
  const auto f = flags.flag("new_checkout");
  // Ids of a realistic length ("account-12345"), built before timing.
  std::vector<std::string> ids;
  for (int i = 0; i < 1024; ++i) ids.push_back("account-" + std::to_string(10000 + i));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.enabled_for(ids[i++ & 1023]));
}
BENCHMARK(percentage_read_string_id);

// The slow path, for contrast: a lookup by name under the registry's lock.
void read_by_name(benchmark::State& state) {
  resilience::feature_flags flags;
  flags.define_boolean("dark_mode", true);
  for (auto _ : state) benchmark::DoNotOptimize(flags.enabled("dark_mode"));
}
BENCHMARK(read_by_name);

}  // namespace

BENCHMARK_MAIN();
