#include <array>
#include <atomic>
#include <bitactor/term/atom.hpp>
#include <bitactor/term/detail/input_atoms.hpp>
#include <bitactor/term/errors.hpp>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace bitactor::term {

namespace {
// Block 0 is static so '' (index 0) has a name before the table is first used.
detail::atom_entry g_block0[detail::atom_block_size] = {{"", 0, true}};
}  // namespace

std::atomic<detail::atom_entry*> detail::atom_table_blocks[detail::atom_blocks] = {g_block0};

namespace {

using entry = detail::atom_entry;
constexpr std::size_t kBlockBits = detail::atom_block_bits;
constexpr std::size_t kBlockSize = detail::atom_block_size;

class atom_table {
 public:
  atom_table() {
    // '' is pre-filled in block 0; register it in the index.
    index_.emplace(std::string_view(), 0);
    count_.store(1, std::memory_order_release);
  }

  std::uint32_t intern(std::string_view name) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = index_.find(name); it != index_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    return insert_locked(name);
  }

  // intern() for a name read from decoded input: a new entry only while fewer than `budget`
  // atoms have been created that way.
  detail::input_atom intern_input(std::string_view name, std::size_t budget, std::uint32_t& out) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = index_.find(name); it != index_.end()) {
        out = it->second;
        return detail::input_atom::ok;
      }
    }
    std::unique_lock lock(mutex_);
    if (auto it = index_.find(name); it != index_.end()) {
      out = it->second;
      return detail::input_atom::ok;
    }
    if (input_created_.load(std::memory_order_relaxed) >= budget) {
      return detail::input_atom::over_budget;
    }
    if (count_.load(std::memory_order_relaxed) >= max_atoms) return detail::input_atom::table_full;
    out = insert_locked(name);
    input_created_.fetch_add(1, std::memory_order_relaxed);
    return detail::input_atom::ok;
  }

  std::size_t input_created() const noexcept {
    return input_created_.load(std::memory_order_relaxed);
  }

  std::optional<std::uint32_t> find(std::string_view name) const {
    std::shared_lock lock(mutex_);
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    return std::nullopt;
  }

  const entry& at(std::uint32_t index) const noexcept {
    return detail::atom_table_blocks[index >> kBlockBits].load(
        std::memory_order_acquire)[index & (kBlockSize - 1)];
  }

  std::size_t size() const noexcept { return count_.load(std::memory_order_acquire); }

 private:
  std::uint32_t insert_locked(std::string_view name) {
    std::size_t index = count_.load(std::memory_order_relaxed);
    if (index >= max_atoms) throw term_error("atom table full (" + std::to_string(max_atoms) + ")");
    std::size_t block = index >> kBlockBits;
    auto& blocks = detail::atom_table_blocks;
    if (blocks[block].load(std::memory_order_relaxed) == nullptr) {
      blocks[block].store(new entry[kBlockSize], std::memory_order_release);
    }
    auto* copy = new char[name.size() + 1];
    std::memcpy(copy, name.data(), name.size());
    copy[name.size()] = '\0';
    bool latin1 = true;
    // A UTF-8 lead byte above 0xC3 starts a code point >= 256.
    for (unsigned char c : name) latin1 = latin1 && c <= 0xC3;
    blocks[block].load(std::memory_order_relaxed)[index & (kBlockSize - 1)] = {
        copy, static_cast<std::uint32_t>(name.size()), latin1};
    index_.emplace(std::string_view(copy, name.size()), static_cast<std::uint32_t>(index));
    count_.store(index + 1, std::memory_order_release);
    return static_cast<std::uint32_t>(index);
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string_view, std::uint32_t> index_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::size_t> input_created_{0};  // written under mutex_, read anywhere
};

atom_table& table() {
  // Leaked on purpose: atoms may be used from static destructors of other objects.
  static atom_table* t = new atom_table();
  return *t;
}

// Per-thread direct-mapped cache in front of the shared table: decoding a message interns the
// same few atoms over and over, and this avoids the lock and the map probe for them. A slot
// holds the name itself for names of up to 16 bytes (as two words that together cover every
// byte), so a hit touches neither the table nor memcmp.
struct cache_slot {
  std::uint64_t w0 = 0;
  std::uint64_t w1 = 0;
  std::uint32_t size = UINT32_MAX;  // no name has this size: the slot is empty
  std::uint32_t index = 0;
};
thread_local std::array<cache_slot, 256> tl_cache{};

inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Two words that, with the length, identify a name of up to 16 bytes: the first and last 8
// (or 4) bytes, overlapping for shorter names; only the name's own bytes are read.
inline void key_words(std::string_view name, std::uint64_t& w0, std::uint64_t& w1) noexcept {
  const char* p = name.data();
  std::size_t n = name.size();
  if (n >= 8) {
    w0 = load64(p);
    w1 = load64(p + n - 8);
  } else if (n >= 4) {
    w0 = load32(p);
    w1 = load32(p + n - 4);
  } else {
    w0 = 0;
    for (std::size_t i = 0; i < n; ++i)
      w0 |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    w1 = 0;
  }
}

inline std::size_t slot_of(std::uint64_t w0, std::uint64_t w1, std::size_t n) noexcept {
  std::uint64_t h = (w0 ^ (w1 * 0x9E3779B97F4A7C15ull) ^ n) * 0xFF51AFD7ED558CCDull;
  return static_cast<std::size_t>(h >> 56);
}

// The index of an interned atom named `name`, from the cache; `validate` first checks the
// name when it is not cached (a cached name is valid: it was interned). With `Input`, a new
// name is a decoded one: created only within `budget` (table::intern_input).
template <bool Validate, bool Input = false>
detail::input_atom intern_cached(std::string_view name, std::uint32_t& out,
                                 std::size_t budget = 0) {
  std::uint64_t w0 = 0;
  std::uint64_t w1 = 0;
  std::size_t slot_index = 0;
  bool short_name = name.size() <= 16;
  if (short_name) {
    key_words(name, w0, w1);
  } else {
    // FNV-1a over the rest.
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    w0 = h;
  }
  slot_index = slot_of(w0, w1, name.size());
  cache_slot& slot = tl_cache[slot_index];
  auto& t = table();
  if (slot.size == name.size() && slot.w0 == w0 && slot.w1 == w1) {
    if (short_name) {
      out = slot.index;
      return detail::input_atom::ok;
    }
    const entry& e = t.at(slot.index);
    if (std::memcmp(e.data, name.data(), name.size()) == 0) {
      out = slot.index;
      return detail::input_atom::ok;
    }
  }
  if (Validate && !valid_atom_name(name)) return detail::input_atom::invalid;
  std::uint32_t index = 0;
  if constexpr (Input) {
    if (auto r = t.intern_input(name, budget, index); r != detail::input_atom::ok) return r;
  } else {
    index = t.intern(name);
  }
  slot = {w0, w1, static_cast<std::uint32_t>(name.size()), index};
  out = index;
  return detail::input_atom::ok;
}

std::size_t count_code_points_checked(std::string_view s) noexcept {
  // Returns SIZE_MAX on invalid UTF-8 (overlong forms, surrogates, > U+10FFFF).
  std::size_t count = 0;
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned c = p[i];
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return SIZE_MAX;
    }
    if (i + len > s.size()) return SIZE_MAX;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return SIZE_MAX;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return SIZE_MAX;
    i += len;
    ++count;
  }
  return count;
}

}  // namespace

bool valid_atom_name(std::string_view utf8) noexcept {
  // Fast path: almost every atom is short ASCII.
  if (utf8.size() <= 255) {
    bool ascii = true;
    for (unsigned char c : utf8) ascii = ascii && c < 0x80;
    if (ascii) return true;
  }
  std::size_t n = count_code_points_checked(utf8);
  return n != SIZE_MAX && n <= 255;
}

atom::atom(std::string_view name) {
  if (intern_cached<true>(name, index_) != detail::input_atom::ok) {
    throw term_error("invalid atom name (not UTF-8 or longer than 255 characters)");
  }
}

std::optional<atom> atom::existing(std::string_view name) noexcept {
  auto index = table().find(name);
  if (!index) return std::nullopt;
  return atom(*index, 0);
}

atom atom::from_latin1(std::string_view latin1) {
  bool ascii = true;
  for (unsigned char c : latin1) ascii = ascii && c < 0x80;
  if (ascii) return atom(latin1);
  std::string utf8;
  utf8.reserve(latin1.size() * 2);
  for (unsigned char c : latin1) {
    if (c < 0x80) {
      utf8.push_back(static_cast<char>(c));
    } else {
      utf8.push_back(static_cast<char>(0xC0 | (c >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return atom(utf8);
}

std::strong_ordering operator<=>(atom a, atom b) noexcept {
  if (a.index_ == b.index_) return std::strong_ordering::equal;
  std::string_view x = a.name();
  std::string_view y = b.name();
  int c = std::memcmp(x.data(), y.data(), std::min(x.size(), y.size()));
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return x.size() <=> y.size();
}

std::size_t atom_count() noexcept { return table().size(); }

std::size_t atoms_created_by_decoding() noexcept { return table().input_created(); }

detail::input_atom detail::intern_input_atom(std::string_view name, std::size_t budget,
                                             std::uint32_t& index) {
  return intern_cached<true, true>(name, index, budget);
}

}  // namespace bitactor::term
