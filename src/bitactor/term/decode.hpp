// External term format -> term (erlang:binary_to_term/2), hardened for untrusted input.
//
// Every read is bounds-checked; a count (list length, tuple arity, binary size, ...) larger
// than the bytes left in the input is rejected before anything is reserved for it, so a
// 6-byte input cannot make the decoder allocate gigabytes; compressed payloads must declare an
// uncompressed size within max_bytes before anything is inflated; nesting costs no C++ stack
// (containers are decoded with an explicit stack charged to max_bytes, and max_depth can
// bound it further); new atoms are bounded program-wide (max_decoded_atoms); NaN and
// infinite floats are rejected.
//
// All OTP 25 tags are read, including the older ones erl no longer writes (FLOAT_EXT,
// ATOM_EXT, SMALL_ATOM_EXT, PID_EXT, PORT_EXT, NEW_REFERENCE_EXT, REFERENCE_EXT). Funs
// (NEW_FUN_EXT) decode to local_fun and re-encode to the same bytes. A LOCAL_EXT term is kept
// as an opaque value holding the rest of the input; it is accepted only as the whole term,
// because its length is not self-describing. ATOM_CACHE_REF only exists inside distribution
// headers: it is read only when decode_options::atom_cache_refs gives the header's atoms. The old
// FUN_EXT is refused as `unsupported`, as erl has done since OTP 23.
#pragma once

#include <bitactor/term/errors.hpp>
#include <bitactor/term/term.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace bitactor::term {

enum class decode_errc : std::uint8_t {
  truncated,        ///< input ends inside a term
  bad_version,      ///< first byte is not 131
  unknown_tag,      ///< a tag byte this decoder does not know
  unsupported,      ///< a known tag not valid here (ATOM_CACHE_REF, nested LOCAL_EXT, ...)
  bad_value,        ///< malformed field (bad UTF-8 atom, NaN float, bad sign byte, ...)
  duplicate_key,    ///< a map with the same key twice
  too_deep,         ///< nesting exceeds decode_options::max_depth
  too_large,        ///< the allocation budget decode_options::max_bytes is exhausted
  bad_compression,  ///< zlib error or size mismatch in a compressed term
  unknown_atom,     ///< decode_options::safe and the atom does not exist yet
  trailing_bytes,   ///< bytes after the term (and allow_trailing is false)
  too_many_atoms,   ///< a new atom, and decode_options::max_decoded_atoms are spent
};

/// Why decoding failed: what, at which tag, and where. `offset` counts bytes from the start of
/// the input; inside a compressed term it counts bytes of the inflated payload and
/// `in_compressed` is set.
struct decode_error {
  decode_errc kind = decode_errc::truncated;
  std::uint8_t tag = 0;  ///< the tag being decoded, 0 when none
  std::size_t offset = 0;
  bool in_compressed = false;
  std::string message;

  /// "bad_value at offset 12 (tag 100): atom is not valid UTF-8"
  [[nodiscard]] std::string to_string() const;
};

const char* to_string(decode_errc kind) noexcept;

/// decode_options::max_decoded_atoms by default: a quarter of the atom table (262,144).
inline constexpr std::size_t default_max_decoded_atoms = max_atoms / 4;

struct decode_options {
  /// Maximum nesting of tuples, lists, maps and funs (too_deep beyond). None by default, as in
  /// erl: the decoder keeps open containers on a heap stack, not the C++ stack, and charges
  /// each to max_bytes while it is open, so depth is bounded by the budget.
  std::size_t max_depth = SIZE_MAX;
  /// Budget for everything the decoder allocates (term arrays, binaries, big integers, the
  /// inflated payload of a compressed term), in bytes.
  std::size_t max_bytes = std::size_t{256} << 20;
  /// Refuse atoms that do not exist yet, like binary_to_term(B, [safe]).
  bool safe = false;
  /// Atoms are never freed, so input that names new atoms fills a bounded table (max_atoms)
  /// for good, and then atom() fails in unrelated code. Decoding therefore creates a new atom
  /// only while fewer than this many atoms have been created by decoding in the whole program
  /// (atoms_created_by_decoding(), all threads and calls together); past that, a new atom
  /// fails the decode with decode_errc::too_many_atoms, while atoms that exist already still
  /// decode and atom() in program code keeps working. The default leaves three quarters of
  /// the table to the program; max_atoms gives erl's behaviour (input may fill the table).
  std::size_t max_decoded_atoms = default_max_decoded_atoms;
  /// Accept bytes after the term (see decode_result::consumed), like binary_to_term(B, [used]).
  bool allow_trailing = false;
  /// decode_shared(): binaries of at least this many bytes become slices of the input buffer;
  /// smaller ones are copied (a small copy is cheaper than sharing the buffer's ownership).
  std::size_t share_min_bytes = 64;
  /// What ATOM_CACHE_REF (tag 82) index i stands for: the atom list a distribution header
  /// gives the terms after it (erl_ext_dist.html, "Distribution Header"). Empty (the default):
  /// ATOM_CACHE_REF is refused as `unsupported`, as outside such a header. The atoms must
  /// outlive the decode call.
  std::span<const atom> atom_cache_refs = {};
};

/// Either a term or a decode_error.
class decode_result {
 public:
  decode_result(term value, std::size_t consumed) : value_(std::move(value)), consumed_(consumed) {}
  explicit decode_result(decode_error error) : error_(std::move(error)) {}

  [[nodiscard]] bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  /// The decoded term; [] when !ok().
  [[nodiscard]] const term& value() const& noexcept { return value_; }
  [[nodiscard]] term&& value() && noexcept { return std::move(value_); }
  /// Bytes of input used by the term.
  [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }
  /// Only meaningful when !ok().
  [[nodiscard]] const decode_error& error() const noexcept { return *error_; }

 private:
  term value_;
  std::size_t consumed_ = 0;
  std::optional<decode_error> error_;
};

/// Decodes one term that starts with the version byte 131.
decode_result decode(std::span<const std::uint8_t> bytes, const decode_options& options = {});

/// Input bytes together with the owner that keeps them alive.
struct shared_bytes {
  std::span<const std::uint8_t> bytes;
  std::shared_ptr<const void> owner;
};

/// decode() for a buffer the caller shares rather than lends: binaries (BINARY_EXT) of at
/// least options.share_min_bytes are not copied but refer into `input.bytes`, and each holds
/// a reference to `input.owner`, so the bytes stay alive as long as any such binary does,
/// after the caller has dropped its own handle. The bytes must not change afterwards. Such a
/// binary is charged to max_bytes as its node only. Like a sub-binary in erl, a small binary
/// kept from a large buffer keeps the whole buffer alive: copy it (binary(b.as_bytes())) to
/// let the buffer go. Compressed input is inflated and decoded as by decode().
decode_result decode_shared(const shared_bytes& input, const decode_options& options = {});
decode_result decode_shared(std::shared_ptr<const std::vector<std::uint8_t>> buffer,
                            const decode_options& options = {});

/// Thrown by binary_to_term().
class decode_exception : public term_error {
 public:
  explicit decode_exception(decode_error e) : term_error(e.to_string()), error_(std::move(e)) {}
  [[nodiscard]] const decode_error& error() const noexcept { return error_; }

 private:
  decode_error error_;
};

/// decode() that throws decode_exception on failure.
term binary_to_term(std::span<const std::uint8_t> bytes, const decode_options& options = {});

}  // namespace bitactor::term
