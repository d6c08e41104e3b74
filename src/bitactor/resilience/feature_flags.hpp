#pragma once
// Feature flags: named switches that code reads on its hot path and people (or a rollout
// plan) change at runtime, from any thread.
//
// Two types of flag:
//   boolean     on or off for everyone
//   percentage  on for a share (0..100 %, in steps of 0.01 %) of entity ids: users, accounts,
//               requests. Whether an id is in is decided by a stable hash of (flag name, id),
//               so the answer is the same after a restart and on every node, and raising the
//               share only adds ids (an id in at 10 % is in at 20 %).
//
//   resilience::feature_flags flags;
//   flags.define_percentage("new_checkout", 10);
//   resilience::feature_flag checkout = flags.flag("new_checkout");  // look up once ...
//   if (checkout.enabled_for(user_id)) ...                            // ... read in ns
//   flags.set_percentage("new_checkout", 30);                         // any thread
//
// A feature_flag handle reads one atomic (and hashes the id): no lock, no allocation. It stays
// valid for as long as the handle lives, even past the registry. Flags are never removed, only
// switched off.
//
// Config files. load_file() reads flags from a text file, one flag a line:
//
//   # flags.conf: name  type  value
//   new_checkout    percentage  30        # 0..100, decimals allowed (12.5)
//   dark_mode       boolean     on        # on / off / true / false
//
// Blank lines and text after '#' are ignored; names are letters, digits, '_', '-' and '.'.
// Each line defines the flag (or, if code already defined it with the same type, sets it).
// An unknown type, a value the type does not take (a percentage outside 0..100), a flag named
// twice in the file or a flag already defined with another type throws otp::config_file_error
// whose what() is "file:line: what is wrong"; nothing of a file with an error is applied.
// (Not TOML like application config files: otp::parse_config flattens values and keeps no
// line numbers, and every error here must name its line.)
//
// Events (events.hpp): each change emits {bitactor, feature_flag, changed} with metadata
// `flag`, `type` and measurement `percent` (a boolean is 0 or 100).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bitactor/core/error.hpp"

namespace bitactor::resilience {

enum class flag_type : std::uint8_t { boolean, percentage };
/// "boolean", "percentage".
const char* to_string(flag_type t) noexcept;

/// A flag is unknown, defined twice, or given a value its type does not take.
class flag_error : public error {
 public:
  using error::error;
};

/// Rollout shares are kept in hundredths of a percent: 10000 is everyone.
inline constexpr std::uint32_t flag_full_share = 10000;

/// The stable 64-bit hash behind percentage rollout: FNV-1a over the flag name, a zero byte
/// and the id's bytes, then a 64-bit finaliser (splitmix64's) so that the low digits used for
/// the bucket are well mixed. Fixed by this definition, never by the standard library, so it
/// is the same on every build and node. An integer id is hashed as its 8 little-endian bytes.
std::uint64_t rollout_hash(std::string_view flag, std::string_view id) noexcept;
std::uint64_t rollout_hash(std::string_view flag, std::uint64_t id) noexcept;
/// The id's bucket for the flag, 0..9999: the id is in when its bucket is below the share.
std::uint32_t rollout_bucket(std::string_view flag, std::string_view id) noexcept;
std::uint32_t rollout_bucket(std::string_view flag, std::uint64_t id) noexcept;

namespace detail {
// FNV-1a's state after the flag's name and the zero byte: a read hashes only the id.
std::uint64_t rollout_seed(std::string_view flag) noexcept;
std::uint32_t bucket_of(std::uint64_t seed, std::string_view id) noexcept;
std::uint32_t bucket_of(std::uint64_t seed, std::uint64_t id) noexcept;

struct flag_cell {
  std::string name;
  flag_type type = flag_type::boolean;
  std::uint64_t seed = 0;
  // The share in hundredths of a percent (a boolean: 0 or flag_full_share). Relaxed is
  // enough: a flag guards no other data, and a reader only needs some recent value.
  std::atomic<std::uint32_t> share{0};
};
}  // namespace detail

/// A flag looked up once by name; reads are lock-free. Copyable and cheap to copy.
class feature_flag {
 public:
  /// On for everyone: a boolean that is on, or a percentage at 100 %.
  bool enabled() const noexcept { return share() >= flag_full_share; }
  /// On for this id: its bucket is below the share (a boolean: on or off for all ids). Off
  /// and everyone need no hash.
  bool enabled_for(std::string_view id) const noexcept {
    const std::uint32_t s = share();
    return s >= flag_full_share || (s != 0 && detail::bucket_of(cell_->seed, id) < s);
  }
  bool enabled_for(std::uint64_t id) const noexcept {
    const std::uint32_t s = share();
    return s >= flag_full_share || (s != 0 && detail::bucket_of(cell_->seed, id) < s);
  }
  /// The share of ids it is on for, 0..100.
  double percent() const noexcept { return share() / 100.0; }
  const std::string& name() const noexcept { return cell_->name; }
  flag_type type() const noexcept { return cell_->type; }

 private:
  friend class feature_flags;
  explicit feature_flag(std::shared_ptr<const detail::flag_cell> c) : cell_(std::move(c)) {}
  std::uint32_t share() const noexcept { return cell_->share.load(std::memory_order_relaxed); }
  std::shared_ptr<const detail::flag_cell> cell_;
};

/// One flag's value, as a rollout phase or a listing gives it.
struct flag_setting {
  std::string flag{};
  double percent = 0;  // a boolean: 0 (off) or 100 (on)
};
/// A boolean flag's setting: on("x") is {"x", 100}, off("x") is {"x", 0}.
flag_setting on(std::string flag);
flag_setting off(std::string flag);

struct flag_info {
  std::string name{};
  flag_type type = flag_type::boolean;
  double percent = 0;
};

/// The registry. Every member is thread-safe; writers take a lock, handle reads do not.
class feature_flags {
 public:
  feature_flags() = default;
  feature_flags(const feature_flags&) = delete;
  feature_flags& operator=(const feature_flags&) = delete;

  /// Defines a flag; throws flag_error if the name is taken or empty, or the percentage is
  /// outside 0..100.
  void define_boolean(std::string name, bool on);
  void define_percentage(std::string name, double percent);

  /// The handle of a flag; throws flag_error if it is not defined.
  feature_flag flag(std::string_view name) const;
  std::optional<feature_flag> find(std::string_view name) const;
  /// One-off reads through the name (a lock and a lookup): for code that is not hot.
  bool enabled(std::string_view name) const { return flag(name).enabled(); }
  bool enabled_for(std::string_view name, std::string_view id) const {
    return flag(name).enabled_for(id);
  }

  /// Sets a flag; throws flag_error if it is unknown, set_percentage on a boolean flag that
  /// is not 0 or 100, or a percentage is outside 0..100.
  void set(std::string_view name, bool on);
  void set_percentage(std::string_view name, double percent);
  /// Sets several flags as one step: all are checked first, so a bad one changes none.
  void apply(const std::vector<flag_setting>& settings);

  /// Every flag, by name.
  std::vector<flag_info> list() const;

  /// Reads a config file (format above); throws otp::config_file_error.
  void load_file(const std::string& path);
  /// The same from text; `source_name` names it in errors.
  void load(std::string_view text, const std::string& source_name);

 private:
  std::shared_ptr<detail::flag_cell> find_locked(std::string_view name) const;
  void define_locked(std::string name, flag_type type, std::uint32_t share);

  mutable std::mutex lock_;  // writers and lookups; never taken by a handle's read
  std::map<std::string, std::shared_ptr<detail::flag_cell>, std::less<>> cells_;
};

}  // namespace bitactor::resilience
