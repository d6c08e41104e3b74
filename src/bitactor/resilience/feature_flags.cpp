#include "bitactor/resilience/feature_flags.hpp"

#include <bitactor/otp/application.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "bitactor/resilience/events.hpp"

namespace bitactor::resilience {

namespace {

constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) noexcept {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= fnv_prime;
  }
  return h;
}

// FNV-1a alone leaves the low bits of short, similar ids (user-1, user-2, ...) correlated;
// the bucket is taken modulo 10000, so the hash goes through splitmix64's finaliser first.
std::uint64_t finish(std::uint64_t h) noexcept {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

std::uint64_t absorb(std::uint64_t h, std::uint64_t id) noexcept {
  for (int i = 0; i < 8; ++i) {
    h ^= (id >> (8 * i)) & 0xffU;
    h *= fnv_prime;
  }
  return h;
}

std::uint32_t share_of(double percent, std::string_view flag) {
  if (!(percent >= 0 && percent <= 100)) {  // also refuses NaN
    std::ostringstream os;
    os << "flag '" << flag << "': percentage " << percent << " is outside 0..100";
    throw flag_error(os.str());
  }
  return static_cast<std::uint32_t>(std::lround(percent * 100));
}

void announce(const detail::flag_cell& c, std::uint32_t share) {
  emit_with([&] {
    return event{.name = {"bitactor", "feature_flag", "changed"},
                 .measurements = {{"percent", share / 100.0}},
                 .metadata = {{"flag", c.name}, {"type", to_string(c.type)}}};
  });
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// One line of a config file, read and checked.
struct parsed_flag {
  std::string name;
  flag_type type = flag_type::boolean;
  std::uint32_t share = 0;
  std::size_t line = 0;
};

parsed_flag parse_line(const std::vector<std::string_view>& w, const std::string& source,
                       std::size_t line) {
  auto fail = [&](const std::string& what) -> otp::config_file_error {
    return otp::config_file_error(source, line, what);
  };
  if (w.size() != 3) {
    throw fail("expected 'name type value' (e.g. 'new_checkout percentage 30'), found " +
               std::to_string(w.size()) + " word" + (w.size() == 1 ? "" : "s"));
  }
  parsed_flag f;
  f.name = std::string(w[0]);
  f.line = line;
  for (char c : f.name) {
    if (!name_char(c)) {
      throw fail("flag name '" + f.name + "' may hold only letters, digits, '_', '-' and '.'");
    }
  }
  const std::string_view type = w[1], value = w[2];
  if (type == "boolean") {
    f.type = flag_type::boolean;
    if (value == "on" || value == "true") {
      f.share = flag_full_share;
    } else if (value == "off" || value == "false") {
      f.share = 0;
    } else {
      throw fail("boolean flag '" + f.name + "' has value '" + std::string(value) +
                 "' (expected on, off, true or false)");
    }
  } else if (type == "percentage") {
    f.type = flag_type::percentage;
    double p = 0;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, p);
    if (ec != std::errc() || ptr != end) {
      throw fail("percentage flag '" + f.name + "' has value '" + std::string(value) +
                 "', not a number");
    }
    if (!(p >= 0 && p <= 100)) {
      throw fail("percentage flag '" + f.name + "' has value " + std::string(value) +
                 ", outside 0..100");
    }
    f.share = static_cast<std::uint32_t>(std::lround(p * 100));
  } else {
    throw fail("flag '" + f.name + "' has unknown type '" + std::string(type) +
               "' (expected boolean or percentage)");
  }
  return f;
}

}  // namespace

const char* to_string(flag_type t) noexcept {
  return t == flag_type::boolean ? "boolean" : "percentage";
}

namespace detail {

std::uint64_t rollout_seed(std::string_view flag) noexcept {
  return fnv1a(fnv1a(fnv_offset, flag), std::string_view("\0", 1));
}
std::uint32_t bucket_of(std::uint64_t seed, std::string_view id) noexcept {
  return static_cast<std::uint32_t>(finish(fnv1a(seed, id)) % flag_full_share);
}
std::uint32_t bucket_of(std::uint64_t seed, std::uint64_t id) noexcept {
  return static_cast<std::uint32_t>(finish(absorb(seed, id)) % flag_full_share);
}

}  // namespace detail

std::uint64_t rollout_hash(std::string_view flag, std::string_view id) noexcept {
  return finish(fnv1a(detail::rollout_seed(flag), id));
}
std::uint64_t rollout_hash(std::string_view flag, std::uint64_t id) noexcept {
  return finish(absorb(detail::rollout_seed(flag), id));
}
std::uint32_t rollout_bucket(std::string_view flag, std::string_view id) noexcept {
  return detail::bucket_of(detail::rollout_seed(flag), id);
}
std::uint32_t rollout_bucket(std::string_view flag, std::uint64_t id) noexcept {
  return detail::bucket_of(detail::rollout_seed(flag), id);
}

flag_setting on(std::string flag) { return {.flag = std::move(flag), .percent = 100}; }
flag_setting off(std::string flag) { return {.flag = std::move(flag), .percent = 0}; }

void feature_flags::define_boolean(std::string name, bool on) {
  define_locked(std::move(name), flag_type::boolean, on ? flag_full_share : 0);
}

void feature_flags::define_percentage(std::string name, double percent) {
  const std::uint32_t share = share_of(percent, name);
  define_locked(std::move(name), flag_type::percentage, share);
}

void feature_flags::define_locked(std::string name, flag_type type, std::uint32_t share) {
  if (name.empty()) throw flag_error("a flag needs a name");
  auto cell = std::make_shared<detail::flag_cell>();
  cell->name = name;
  cell->type = type;
  cell->seed = detail::rollout_seed(name);
  cell->share.store(share, std::memory_order_relaxed);
  {
    std::lock_guard guard(lock_);
    if (!cells_.try_emplace(std::move(name), cell).second) {
      throw flag_error("flag '" + cell->name + "' is already defined");
    }
  }
  announce(*cell, share);
}

std::shared_ptr<detail::flag_cell> feature_flags::find_locked(std::string_view name) const {
  auto it = cells_.find(name);
  return it == cells_.end() ? nullptr : it->second;
}

feature_flag feature_flags::flag(std::string_view name) const {
  if (auto f = find(name)) return *f;
  throw flag_error("flag '" + std::string(name) + "' is not defined");
}

std::optional<feature_flag> feature_flags::find(std::string_view name) const {
  std::lock_guard guard(lock_);
  auto cell = find_locked(name);
  if (!cell) return std::nullopt;
  return feature_flag(std::move(cell));
}

void feature_flags::set(std::string_view name, bool on) {
  apply({{.flag = std::string(name), .percent = on ? 100.0 : 0.0}});
}

void feature_flags::set_percentage(std::string_view name, double percent) {
  apply({{.flag = std::string(name), .percent = percent}});
}

void feature_flags::apply(const std::vector<flag_setting>& settings) {
  std::vector<std::pair<std::shared_ptr<detail::flag_cell>, std::uint32_t>> changes;
  {
    std::lock_guard guard(lock_);
    for (const flag_setting& s : settings) {
      auto cell = find_locked(s.flag);
      if (!cell) throw flag_error("flag '" + s.flag + "' is not defined");
      const std::uint32_t share = share_of(s.percent, s.flag);
      if (cell->type == flag_type::boolean && share != 0 && share != flag_full_share) {
        throw flag_error("flag '" + s.flag + "' is boolean: set it to 0 or 100, not " +
                         std::to_string(s.percent));
      }
      changes.emplace_back(std::move(cell), share);
    }
    for (auto& [cell, share] : changes) cell->share.store(share, std::memory_order_relaxed);
  }
  for (auto& [cell, share] : changes) announce(*cell, share);
}

std::vector<flag_info> feature_flags::list() const {
  std::lock_guard guard(lock_);
  std::vector<flag_info> out;
  out.reserve(cells_.size());
  for (const auto& [name, cell] : cells_) {
    out.push_back({.name = name,
                   .type = cell->type,
                   .percent = cell->share.load(std::memory_order_relaxed) / 100.0});
  }
  return out;
}

void feature_flags::load_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw otp::config_file_error(path, 0, "is a directory, not a flag file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw otp::config_file_error(path, 0, "cannot open the flag file");
  std::ostringstream text;
  if (in.peek() != std::ifstream::traits_type::eof()) text << in.rdbuf();
  if (in.bad()) throw otp::config_file_error(path, 0, "cannot read the flag file");
  load(text.str(), path);
}

void feature_flags::load(std::string_view text, const std::string& source_name) {
  // Read and check the whole file first: a file with an error applies nothing.
  std::vector<parsed_flag> parsed;
  std::map<std::string, std::size_t, std::less<>> first_line;
  std::size_t line = 0;
  while (!text.empty()) {
    ++line;
    const std::size_t nl = text.find('\n');
    std::string_view row = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (auto hash = row.find('#'); hash != std::string_view::npos) row = row.substr(0, hash);
    const auto w = words(row);
    if (w.empty()) continue;
    parsed_flag f = parse_line(w, source_name, line);
    if (auto [it, fresh] = first_line.try_emplace(f.name, line); !fresh) {
      throw otp::config_file_error(source_name, line,
                                   "flag '" + f.name + "' is defined twice (first at line " +
                                       std::to_string(it->second) + ")");
    }
    parsed.push_back(std::move(f));
  }
  std::vector<std::pair<std::shared_ptr<detail::flag_cell>, std::uint32_t>> changes;
  {
    std::lock_guard guard(lock_);
    for (const parsed_flag& f : parsed) {
      if (auto cell = find_locked(f.name); cell && cell->type != f.type) {
        throw otp::config_file_error(source_name, f.line,
                                     "flag '" + f.name + "' is " + to_string(f.type) +
                                         " here but already defined as " + to_string(cell->type));
      }
    }
    for (const parsed_flag& f : parsed) {
      auto cell = find_locked(f.name);
      if (!cell) {
        cell = std::make_shared<detail::flag_cell>();
        cell->name = f.name;
        cell->type = f.type;
        cell->seed = detail::rollout_seed(f.name);
        cells_.emplace(f.name, cell);
      }
      cell->share.store(f.share, std::memory_order_relaxed);
      changes.emplace_back(std::move(cell), f.share);
    }
  }
  for (auto& [cell, share] : changes) announce(*cell, share);
}

}  // namespace bitactor::resilience
