// Seeded random terms for property and interop tests.
#pragma once

#include <bitactor/term/term.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace bitactor::term::testing {

struct gen_options {
  bool identifiers = true;  // pids, ports, refs, export funs
  bool bitstrings = true;
  bool unicode_atoms = true;
  bool large_maps = true;  // maps over 32 keys (erl encodes them in hash order)
  bool floats = true;
};

class term_generator {
 public:
  explicit term_generator(std::uint64_t seed, gen_options options = {})
      : rng_(seed), options_(options) {}

  term any(int depth = 4) {
    if (depth <= 0) return leaf();
    switch (pick(10)) {
      case 0:
      case 1:
        return leaf();
      case 2: {
        std::vector<term> v;
        std::size_t n = pick(6);
        for (std::size_t i = 0; i < n; ++i) v.push_back(any(depth - 1));
        return tuple_from(std::move(v));
      }
      case 3: {
        std::vector<term> v;
        std::size_t n = pick(6);
        for (std::size_t i = 0; i < n; ++i) v.push_back(any(depth - 1));
        term tail = pick(5) == 0 ? leaf() : term();
        if (tail.is_list()) tail = term();
        return list_from(std::move(v), tail);
      }
      case 4: {
        std::vector<std::pair<term, term>> v;
        std::size_t n = options_.large_maps && pick(8) == 0 ? 33 + pick(20) : pick(6);
        for (std::size_t i = 0; i < n; ++i) v.emplace_back(any(depth - 2), any(depth - 1));
        return map_from(std::move(v));
      }
      case 5:
        return string_term();
      case 6: {
        // Deep nesting.
        term t = leaf();
        std::size_t n = pick(40);
        for (std::size_t i = 0; i < n; ++i) t = pick(2) ? tuple(t) : list(t);
        return t;
      }
      default:
        return leaf();
    }
  }

  term leaf() {
    switch (pick(options_.identifiers ? 14 : 10)) {
      case 0:
        return term(static_cast<std::int64_t>(pick(256)));
      case 1:
        return term(static_cast<std::int64_t>(rng_()) >> pick(64));
      case 2:
        return big();
      case 3:
        return options_.floats ? term(real()) : term(std::int64_t{7});
      case 4:
      case 5:
        return term(random_atom());
      case 6:
        return bin();
      case 7:
        return term();
      case 8:
        return string_term();
      case 9:
        return term(static_cast<std::int32_t>(rng_()));
      case 10:
        return term(pid{node(), static_cast<std::uint32_t>(rng_()),
                        static_cast<std::uint32_t>(rng_()) >> pick(32),
                        static_cast<std::uint32_t>(rng_())});
      case 11: {
        reference r;
        r.node = node();
        r.creation = static_cast<std::uint32_t>(rng_());
        r.size = static_cast<std::uint8_t>(1 + pick(5));
        for (std::size_t i = 0; i < r.size; ++i) r.words[i] = static_cast<std::uint32_t>(rng_());
        return term(r);
      }
      case 12:
        return term(port{node(), rng_() >> pick(64), static_cast<std::uint32_t>(rng_())});
      default:
        return term(export_fun{random_atom(), random_atom(), static_cast<std::uint8_t>(pick(256))});
    }
  }

  term big() {
    std::size_t n = 9 + pick(pick(4) == 0 ? 300 : 24);
    std::vector<std::uint8_t> bytes(n);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng_());
    bytes.back() |= 1;
    return term(big_integer::from_le_bytes(pick(2) == 0, bytes));
  }

  double real() {
    switch (pick(4)) {
      case 0:
        return static_cast<double>(static_cast<std::int64_t>(rng_() >> 20)) / 1000.0;
      case 1:
        return std::uniform_real_distribution<double>(-1e300, 1e300)(rng_);
      case 2: {
        double d;
        do {
          std::uint64_t bits = rng_();
          std::memcpy(&d, &bits, sizeof d);
        } while (!std::isfinite(d));
        return d;
      }
      default:
        return static_cast<double>(pick(1000)) + 0.5;
    }
  }

  atom random_atom() {
    static const char* const kWords[] = {"ok",          "error", "a",         "hello_world",
                                         "Quoted Atom", "",      "node@host", "with'quote",
                                         "after",       "é",     "x1_@Z"};
    static const char* const kUnicode[] = {"Ω", "λx", "日本", "ünïcödé", "emoji😀"};
    if (options_.unicode_atoms && pick(6) == 0) return atom(kUnicode[pick(5)]);
    if (pick(4) == 0) {
      std::string s;
      std::size_t n = pick(pick(10) == 0 ? 255 : 12);
      for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + pick(26)));
      return atom(s);
    }
    return atom(kWords[pick(11)]);
  }

  atom node() {
    static const char* const kNodes[] = {"a@b", "node1@host", "peer@127.0.0.1", "ö@x"};
    return atom(kNodes[pick(4)]);
  }

  term bin() {
    std::size_t n = pick(4) == 0 ? pick(3000) : pick(20);
    std::vector<std::uint8_t> bytes(n);
    bool text = pick(2) == 0;
    for (auto& b : bytes) b = static_cast<std::uint8_t>(text ? 'a' + pick(26) : rng_());
    if (options_.bitstrings && n > 0 && pick(3) == 0) return bitstring(bytes, n * 8 - 1 - pick(7));
    return binary(bytes);
  }

  term string_term() {
    std::vector<term> chars;
    std::size_t n = pick(4) == 0 ? pick(300) : pick(12);
    bool latin = pick(3) != 0;
    for (std::size_t i = 0; i < n; ++i) {
      chars.emplace_back(static_cast<std::int64_t>(latin ? 32 + pick(95) : pick(300)));
    }
    return list_from(std::move(chars));
  }

  std::size_t pick(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }

 private:
  std::mt19937_64 rng_;
  gen_options options_;
};

}  // namespace bitactor::term::testing
