// What guarding a call costs: nanoseconds per call of a trivial function, bare and through
// a closed circuit breaker, a bulkhead with room, and a retry that succeeds at once; the
// breaker also from several threads at once (its closed-state path shares a few atomics).
// No events handler is attached, as in production without telemetry.
// Usage: resilience_bench [Google Benchmark flags, e.g. --benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <bitactor/resilience/bulkhead.hpp>
#include <bitactor/resilience/circuit_breaker.hpp>
#include <bitactor/resilience/retry.hpp>

namespace resilience = bitactor::resilience;

namespace {

int dependency(int x) {
  benchmark::DoNotOptimize(x);
  return x + 1;
}

void bare_call(benchmark::State& state) {
  int x = 0;
  for (auto _ : state) benchmark::DoNotOptimize(x = dependency(x));
}
BENCHMARK(bare_call);

resilience::circuit_breaker& shared_breaker() {
  static resilience::circuit_breaker b({.name = "bench", .window_size = 100, .minimum_calls = 10});
  return b;
}

void closed_breaker(benchmark::State& state) {
  resilience::circuit_breaker& b = shared_breaker();
  int x = 0;
  for (auto _ : state) benchmark::DoNotOptimize(x = b.call([x] { return dependency(x); }));
}
BENCHMARK(closed_breaker);
BENCHMARK(closed_breaker)->Threads(2)->UseRealTime();

void closed_breaker_with_slow_call_detection(benchmark::State& state) {
  static resilience::circuit_breaker b(
      {.name = "bench_slow", .slow_call_duration = std::chrono::seconds(1)});
  int x = 0;
  for (auto _ : state) benchmark::DoNotOptimize(x = b.call([x] { return dependency(x); }));
}
BENCHMARK(closed_breaker_with_slow_call_detection);

void bulkhead_pass(benchmark::State& state) {
  static resilience::bulkhead b({.name = "bench", .max_concurrent = 64});
  int x = 0;
  for (auto _ : state) benchmark::DoNotOptimize(x = b.call([x] { return dependency(x); }));
}
BENCHMARK(bulkhead_pass);

void retry_of_a_successful_call(benchmark::State& state) {
  const resilience::retry_policy policy{.max_attempts = 3, .seed = 1};
  int x = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(x = resilience::retry(policy, [x] { return dependency(x); }));
  }
}
BENCHMARK(retry_of_a_successful_call);

}  // namespace

BENCHMARK_MAIN();
