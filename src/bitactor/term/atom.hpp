// Interned atoms.
//
// An atom is an index into one process-wide table of names, so copying and comparing two atoms
// for equality is an integer operation. Names are UTF-8 of at most 255 code points, as in
// OTP 20+. Like the BEAM's atom table, entries are never freed, so the table is bounded
// (max_atoms) and a peer must not be able to fill it: decode() creates at most
// decode_options::max_decoded_atoms atoms from input over the life of the program (a quarter
// of the table by default), which keeps the rest for atoms the program itself creates, and
// decode_options::safe creates none.
#pragma once

#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace bitactor::term {

namespace detail {
// The atom table's storage, exposed so name() is an inline load: fixed blocks of entries that
// never move once published. Block 0 is static and holds '' at index 0, so even the default
// atom has a name before anything is interned.
struct atom_entry {
  const char* data;
  std::uint32_t size;
  bool latin1;
};
inline constexpr std::size_t atom_block_bits = 12;
inline constexpr std::size_t atom_block_size = std::size_t{1} << atom_block_bits;
inline constexpr std::size_t atom_blocks = (std::size_t{1} << 20) / atom_block_size;
extern std::atomic<atom_entry*> atom_table_blocks[atom_blocks];
}  // namespace detail

class atom {
 public:
  /// The empty atom ''.
  constexpr atom() noexcept = default;
  /// Interns `name`. Throws term_error if it is not valid UTF-8 or longer than 255 code points.
  explicit atom(std::string_view name);

  /// The atom if `name` has already been interned, without creating it.
  static std::optional<atom> existing(std::string_view name) noexcept;
  /// Interns a Latin-1 name (ATOM_EXT, SMALL_ATOM_EXT), converting it to UTF-8.
  static atom from_latin1(std::string_view latin1);

  /// The atom whose index() is `index`. `index` must come from index() of an existing atom.
  static constexpr atom from_index(std::uint32_t index) noexcept { return atom(index, 0); }

  /// UTF-8 bytes of the name; valid for the life of the program.
  [[nodiscard]] std::string_view name() const noexcept {
    const detail::atom_entry& e = entry();
    return {e.data, e.size};
  }
  /// Table index; stable for the life of the program, not across runs.
  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  /// True when every code point is below 256, i.e. the name can be written as ATOM_EXT.
  [[nodiscard]] bool is_latin1() const noexcept { return entry().latin1; }

  friend bool operator==(atom a, atom b) noexcept { return a.index_ == b.index_; }
  /// Erlang's atom order: by name, code point by code point (UTF-8 bytes compare the same way).
  friend std::strong_ordering operator<=>(atom a, atom b) noexcept;

 private:
  explicit constexpr atom(std::uint32_t index, int /*tag*/) noexcept : index_(index) {}
  // Acquire pairs with the release that published the block: an index reaches this thread
  // only after its entry was written.
  [[nodiscard]] const detail::atom_entry& entry() const noexcept {
    return detail::atom_table_blocks[index_ >> detail::atom_block_bits].load(
        std::memory_order_acquire)[index_ & (detail::atom_block_size - 1)];
  }
  std::uint32_t index_ = 0;
};

/// Number of atoms interned so far (including '').
std::size_t atom_count() noexcept;

/// Upper bound on the number of atoms, like erl's +t default (1,048,576). Creating more throws.
inline constexpr std::size_t max_atoms = detail::atom_blocks * detail::atom_block_size;

/// Number of atoms decode() has created from its input (names that were not atoms yet), over
/// the life of the program; decode_options::max_decoded_atoms bounds it.
std::size_t atoms_created_by_decoding() noexcept;

/// Checks an atom name: valid UTF-8 and at most 255 code points.
bool valid_atom_name(std::string_view utf8) noexcept;

}  // namespace bitactor::term

template <>
struct std::hash<bitactor::term::atom> {
  std::size_t operator()(bitactor::term::atom a) const noexcept { return a.index(); }
};
