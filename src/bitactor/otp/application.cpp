#include "bitactor/otp/application.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <toml.hpp>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {
namespace {

// --- the controller's process (OTP: application_controller + application_master) -----------

struct start_app {
  running_application app;
  supervisor_spec spec;
  using reply = start_result;
};
struct stop_app {
  std::string name;
  using reply = bool;
};
struct which_apps {
  using reply = std::vector<running_application>;
};
struct await_node_stop {
  using reply = exit_reason;
};

void application_report(const std::string& app, const char* status, const exit_reason* reason,
                        start_type type) {
  if (!report_wanted(spdlog::level::info)) return;
  report r;
  r.type = report::kind::application;
  r.level = spdlog::level::info;
  r.add("application", app).add("status", status);
  if (reason != nullptr) r.add("reason", reason->to_string());
  r.add("type", to_string(type));
  log_report(r);
}

class controller_server : public gen_server {
 protected:
  void init() override { trap_exit(true); }

  void handle_call(call_context& c) override {
    c.match([&](start_app& s) { do_start(c.defer(), std::move(s)); },
            [&](stop_app& s) { do_stop(c.defer(), s.name); }, [&](which_apps&) { return running_; },
            [&](await_node_stop&) {
              if (node_stop_) {
                c.reply(*node_stop_);
              } else {
                waiters_.push_back(c.defer());
              }
            });
  }

  void handle_info(message& m) override {
    auto* e = m.get_if<exit_msg>();
    if (e == nullptr) return;
    auto it = std::find_if(running_.begin(), running_.end(), [&](const running_application& a) {
      return a.top_supervisor == e->from;
    });
    if (it == running_.end()) return;  // a top supervisor that failed to start, or stopped
    running_application app = *it;
    running_.erase(it);
    application_report(app.name, "exited", &e->reason, app.type);
    // application(3), start/2: what an application's exit does to the node.
    const bool fatal = app.type == start_type::permanent ||
                       (app.type == start_type::transient && !e->reason.is_normal());
    if (fatal) shutdown_node(app.name, e->reason);
  }

 private:
  async do_start(from caller, start_app s) {
    start_fn fn = start_link_fn<supervisor>(s.spec);
    start_result r = co_await start_child_process(fn);
    if (r.ok()) {
      s.app.top_supervisor = r.process;
      running_.push_back(s.app);
      application_report(s.app.name, "started", nullptr, s.app.type);
    }
    reply(caller, r);
  }

  async do_stop(from caller, std::string name) {
    auto it = std::find_if(running_.begin(), running_.end(),
                           [&](const running_application& a) { return a.name == name; });
    if (it == running_.end()) {
      reply(caller, false);
      co_return;
    }
    running_application app = *it;
    running_.erase(it);  // its exit is now expected, not an application exit
    co_await stop_top(app, exit_reason::error("stopped"));
    reply(caller, true);
  }

  async stop_top(running_application app, exit_reason reported) {
    // The top supervisor's parent is this process: its exit signal makes it shut down its
    // children in reverse order, then exit.
    exit(app.top_supervisor, exit_reason::shutdown());
    detail::wait_spec until_exit{ref{}, ref{}, app.top_supervisor, infinity};
    co_await wait(until_exit);
    application_report(app.name, "exited", &reported, app.type);
  }

  async shutdown_node(std::string app, exit_reason why) {
    exit_reason reason = exit_reason::error(
        term::tuple(term::atom("application_terminated"), term::atom(app), why.as_term()));
    while (!running_.empty()) {
      running_application last = running_.back();
      running_.pop_back();
      co_await stop_top(last, exit_reason::shutdown());
    }
    node_stop_ = reason;
    for (const auto& w : waiters_) reply(w, reason);
    waiters_.clear();
  }

  std::vector<running_application> running_;  // in start order
  std::optional<exit_reason> node_stop_;
  std::vector<from> waiters_;
};

// --- config files -----------------------------------------------------------------------------

std::size_t line_of(const toml::value& v) { return v.location().line(); }

// Refuses what toml11 cannot be handed safely, before it sees the text:
//  - nesting deeper than max_config_nesting: its parser recurses once per array, inline
//    table and dotted-key part, so a file of a million '[' would overflow the stack;
//  - binary integers of more than max_binary_digits digits: it reads them by doubling a
//    signed 64-bit place value once per digit, which overflows (undefined behaviour) from
//    the 63rd digit on, whatever the value.
// Strings and comments are skipped, so brackets, dots and digits inside them do not count.
class config_prescan {
 public:
  config_prescan(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  void run() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\n') {
        newline();
      } else if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
        continue;
      } else if (c == '"' || c == '\'') {
        skip_string(c);
        continue;
      } else if (c == '[' && line_start_ && open_.empty()) {
        header();
        continue;
      } else if (c == '[' || c == '{') {
        open_.push_back(c);
        if (static_cast<int>(open_.size()) > max_config_nesting) {
          fail("arrays and inline tables nest deeper than " + std::to_string(max_config_nesting) +
               " levels");
        }
        key_start(c == '{');
      } else if (c == ']' || c == '}') {
        if (!open_.empty()) open_.pop_back();
        in_key_ = false;
      } else if (c == ',') {
        key_start(!open_.empty() && open_.back() == '{');
      } else if (c == '=') {
        in_key_ = false;
      } else if (c == '.' && in_key_) {
        key_part();
      } else if (c == '0' && !in_key_ && i_ + 1 < text_.size() && text_[i_ + 1] == 'b' &&
                 (i_ == 0 || !word_char(text_[i_ - 1]))) {
        binary_integer();
        continue;
      }
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') line_start_ = false;
      ++i_;
    }
  }

 private:
  static constexpr int max_binary_digits = 62;

  static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '.';
  }
  void binary_integer() {
    i_ += 2;
    int digits = 0;
    for (; i_ < text_.size() && (text_[i_] == '0' || text_[i_] == '1' || text_[i_] == '_'); ++i_) {
      if (text_[i_] != '_') ++digits;
    }
    line_start_ = false;
    if (digits > max_binary_digits) {
      throw config_file_error(source_, line_,
                              "binary integer of " + std::to_string(digits) + " digits: at most " +
                                  std::to_string(max_binary_digits) +
                                  " are read (write larger values in hex or decimal)");
    }
  }
  void newline() {
    ++line_;
    line_start_ = true;
    if (open_.empty()) key_start(true);  // a new line at the top level starts a key
  }
  void key_start(bool is_key) {
    in_key_ = is_key;
    parts_ = 1;
  }
  void key_part() {
    if (++parts_ > max_config_nesting) {
      fail("a dotted key or table header has more than " + std::to_string(max_config_nesting) +
           " parts");
    }
  }
  // [a.b.c] or [[a.b.c]]: count the parts up to the closing bracket.
  void header() {
    line_start_ = false;
    parts_ = 1;
    ++i_;
    while (i_ < text_.size() && text_[i_] != ']' && text_[i_] != '\n') {
      const char c = text_[i_];
      if (c == '"' || c == '\'') {
        skip_string(c);
        continue;
      }
      if (c == '.') key_part();
      ++i_;
    }
    while (i_ < text_.size() && text_[i_] == ']') ++i_;
    in_key_ = false;
  }
  // Basic strings (double quotes, with escapes) and literal ones (single quotes) end at their
  // quote or the line's end; multi-line ones (three quotes) at their closing three quotes.
  void skip_string(char quote) {
    const std::string triple(3, quote);
    const bool multi = text_.compare(i_, 3, triple) == 0;
    i_ += multi ? 3 : 1;
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\\' && quote == '"') {
        if (i_ + 1 < text_.size() && text_[i_ + 1] == '\n') ++line_;
        i_ += 2;
        continue;
      }
      if (c == '\n') {
        if (!multi) return;  // an unterminated string: the parser reports it
        ++line_;
      }
      if (c == quote && (!multi || text_.compare(i_, 3, triple) == 0)) {
        i_ += multi ? 3 : 1;
        line_start_ = false;
        return;
      }
      ++i_;
    }
  }
  [[noreturn]] void fail(const std::string& what) {
    throw config_file_error(source_, line_, what + " (the most a config file may nest)");
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::vector<char> open_;  // the '[' and '{' open around the current position
  bool line_start_ = true;
  bool in_key_ = true;
  int parts_ = 1;
};

// toml11 3.7 caps a decimal integer past 64 bits at INT64_MAX/INT64_MIN and wraps a binary
// one, where TOML 1.0 says an integer that cannot be represented losslessly must be an
// error. So the integer's own text is read again here; nullopt: it fits (or the text cannot
// be found, which leaves toml11's value).
std::optional<std::string> integer_out_of_range(const toml::value& v) {
  const toml::source_location at = v.location();
  const std::string line = at.line_str();
  if (at.column() == 0 || at.column() - 1 + at.region() > line.size()) return std::nullopt;
  const std::string text = line.substr(at.column() - 1, at.region());
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  unsigned radix = 10;
  if (i + 1 < text.size() && text[i] == '0') {
    const char p = text[i + 1];
    radix = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
    if (radix != 10) i += 2;
  }
  constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  const std::uint64_t limit = negative ? most + 1 : most;
  std::uint64_t value = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') continue;
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;  // not an integer's text after all
    }
    if (digit >= radix) return std::nullopt;
    if (value > (limit - digit) / radix) return text;
    value = value * radix + digit;
  }
  return std::nullopt;
}

// How a key path is written in TOML: bare parts as they are, others quoted.
std::string spelled(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& part : path) {
    if (!out.empty()) out += '.';
    const bool bare = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    });
    out += bare ? part : "\"" + part + "\"";
  }
  return out;
}

// Where each flattened name of one application came from, to name both keys of a clash.
struct flattened_key {
  std::vector<std::string> path;
  std::size_t line;
};

void flatten(const toml::value& table, std::vector<std::string>& path, const std::string& app,
             const std::string& source, environment& out,
             std::map<std::string, flattened_key>& seen) {
  for (const auto& [key, v] : table.as_table()) {
    path.push_back(key);
    std::string name;
    for (std::size_t i = 1; i < path.size(); ++i) name += (i > 1 ? "." : "") + path[i];
    if (v.type() != toml::value_t::table) {
      flattened_key here{path, line_of(v)};
      auto [it, fresh] = seen.try_emplace(name, here);
      if (!fresh) {
        // Tables are not kept in file order: report at the later of the two lines.
        const flattened_key& first = it->second.line <= here.line ? it->second : here;
        const flattened_key& second = it->second.line <= here.line ? here : it->second;
        throw config_file_error(source, second.line,
                                "key " + spelled(second.path) + " and key " + spelled(first.path) +
                                    " (line " + std::to_string(first.line) + ") both name '" + app +
                                    "." + name + "'");
      }
    }
    switch (v.type()) {
      case toml::value_t::boolean:
        out[name] = v.as_boolean();
        break;
      case toml::value_t::integer:
        if (auto text = integer_out_of_range(v)) {
          throw config_file_error(source, line_of(v),
                                  "integer " + *text + " of '" + app + "." + name +
                                      "' does not fit in 64 bits (-9223372036854775808 to "
                                      "9223372036854775807)");
        }
        out[name] = static_cast<std::int64_t>(v.as_integer());
        break;
      case toml::value_t::floating:
        out[name] = static_cast<double>(v.as_floating());
        break;
      case toml::value_t::string:
        out[name] = static_cast<std::string>(v.as_string());
        break;
      case toml::value_t::table:
        flatten(v, path, app, source, out, seen);
        break;
      default:
        throw config_file_error(source, line_of(v),
                                "value of '" + app + "." + name +
                                    "' is not a boolean, integer, float, string or table");
    }
    path.pop_back();
  }
}

std::string first_line(std::string text) {
  if (auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  const std::string tag = "[error] ";
  if (text.rfind(tag, 0) == 0) text.erase(0, tag.size());
  return text;
}

}  // namespace

std::string to_string(const env_value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "\"" + x + "\"";
        } else {
          std::ostringstream os;
          os << x;
          return os.str();
        }
      },
      v);
}

const char* to_string(start_type t) noexcept {
  switch (t) {
    case start_type::temporary:
      return "temporary";
    case start_type::transient:
      return "transient";
    case start_type::permanent:
      return "permanent";
  }
  return "unknown";
}

config_file_error::config_file_error(std::string file, std::size_t line, const std::string& what)
    : application_error(file + (line != 0 ? ":" + std::to_string(line) : std::string()) + ": " +
                        what),
      file_(std::move(file)),
      line_(line) {}

config parse_config(std::string_view text, const std::string& source_name) {
  config_prescan(text, source_name).run();
  std::istringstream in{std::string(text)};
  toml::value root;
  try {
    root = toml::parse(in, source_name);
  } catch (const toml::syntax_error& e) {
    throw config_file_error(source_name, e.location().line(), first_line(e.what()));
  }
  config out;
  for (const auto& [app, v] : root.as_table()) {
    if (!v.is_table()) {
      throw config_file_error(
          source_name, line_of(v),
          "top-level key '" + app + "' is not an application table (write [" + app + "])");
    }
    std::vector<std::string> path{app};
    std::map<std::string, flattened_key> seen;
    flatten(v, path, app, source_name, out[app], seen);
  }
  return out;
}

config read_config_file(const std::string& path) {
  // A directory opens as an ifstream on Linux and reads as nothing: an empty config, silently.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw config_file_error(path, 0, "is a directory, not a config file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_file_error(path, 0, "cannot open the config file");
  std::ostringstream text;
  if (in.peek() != std::ifstream::traits_type::eof()) text << in.rdbuf();
  if (in.bad()) throw config_file_error(path, 0, "cannot read the config file");
  return parse_config(text.str(), path);
}

// --- the controller, for plain threads ------------------------------------------------------

application_controller::application_controller(node& n) : node_(n) {
  start_result r = otp::start<controller_server>(n, {});
  if (!r.ok()) throw application_error("application controller did not start: " + r.to_string());
  server_ = r.process;
}

application_controller::~application_controller() {
  if (!node_.is_alive(server_)) return;  // the node has stopped
  try {
    stop_all();
  } catch (const std::exception& e) {
    report_logger()->error("application controller: stopping applications failed: {}", e.what());
  }
  node_.exit(server_, exit_reason::shutdown());
}

void application_controller::load(application_spec spec) {
  if (spec.name.empty()) throw application_error("application spec without a name");
  if (!spec.top) throw application_error("application '" + spec.name + "' has no top function");
  std::lock_guard guard(lock_);
  if (specs_.count(spec.name) != 0) {
    throw application_error("application '" + spec.name + "' is already loaded");
  }
  // Defaults go under what a config file or set_env may already have given.
  environment& env = env_[spec.name];
  for (const auto& [k, v] : spec.env) env.try_emplace(k, v);
  const std::string name = spec.name;
  specs_.emplace(name, std::move(spec));
}

bool application_controller::is_loaded(const std::string& name) const {
  std::lock_guard guard(lock_);
  return specs_.count(name) != 0;
}

void application_controller::load_config(const std::string& path) {
  load_config(read_config_file(path));
}

void application_controller::load_config(const config& c) {
  std::lock_guard guard(lock_);
  for (const auto& [app, env] : c) {
    for (const auto& [k, v] : env) env_[app][k] = v;
  }
}

std::vector<std::string> application_controller::start(const std::string& name,
                                                       app_start_options opts) {
  std::vector<std::string> started;
  std::vector<std::string> path;
  start_one(name, opts, started, path);
  return started;
}

void application_controller::start_one(const std::string& name, const app_start_options& opts,
                                       std::vector<std::string>& started,
                                       std::vector<std::string>& path) {
  if (std::find(path.begin(), path.end(), name) != path.end()) {
    std::string cycle;
    for (const auto& p : path) cycle += p + " -> ";
    throw application_error("applications depend on each other in a cycle: " + cycle + name);
  }
  if (is_running(name)) return;
  application_spec spec;
  {
    std::lock_guard guard(lock_);
    auto it = specs_.find(name);
    if (it == specs_.end()) {
      if (path.empty()) throw application_error("application '" + name + "' is not loaded");
      throw application_error("cannot start application '" + path.back() + "': it depends on '" +
                              name + "', which is not loaded");
    }
    spec = it->second;
  }
  path.push_back(name);
  for (const auto& dep : spec.dependencies) start_one(dep, {opts.type, {}}, started, path);
  path.pop_back();

  environment env;
  {
    std::lock_guard guard(lock_);
    for (const auto& [k, v] : opts.overrides) env_[name][k] = v;
    env = env_[name];
  }
  supervisor_spec top;
  try {
    top = spec.top(env);
  } catch (const std::exception& e) {
    throw application_error("application '" + name + "': its top function failed: " + e.what());
  }
  start_app request{{name, spec.description, spec.version, opts.type, pid{}}, std::move(top)};
  start_result r = call(node_, server_, std::move(request), infinity);
  if (!r.ok()) {
    throw application_error("application '" + name + "' failed to start: " + r.to_string());
  }
  started.push_back(name);
}

void application_controller::stop(const std::string& name) {
  if (!call(node_, server_, stop_app{name}, infinity)) {
    throw application_error("application '" + name + "' is not running");
  }
}

void application_controller::stop_all() {
  auto apps = which_applications();
  for (auto it = apps.rbegin(); it != apps.rend(); ++it) {
    call(node_, server_, stop_app{it->name}, infinity);  // one that exited meanwhile: false
  }
}

std::vector<running_application> application_controller::which_applications() const {
  return call(node_, server_, which_apps{});
}

bool application_controller::is_running(const std::string& name) const {
  auto apps = which_applications();
  return std::any_of(apps.begin(), apps.end(),
                     [&](const running_application& a) { return a.name == name; });
}

std::optional<env_value> application_controller::get_env(const std::string& app,
                                                         const std::string& key) const {
  std::lock_guard guard(lock_);
  auto a = env_.find(app);
  if (a == env_.end()) return std::nullopt;
  auto v = a->second.find(key);
  if (v == a->second.end()) return std::nullopt;
  return v->second;
}

environment application_controller::get_all_env(const std::string& app) const {
  std::lock_guard guard(lock_);
  auto a = env_.find(app);
  return a == env_.end() ? environment{} : a->second;
}

void application_controller::set_env(const std::string& app, const std::string& key,
                                     env_value value) {
  std::lock_guard guard(lock_);
  env_[app][key] = std::move(value);
}

std::optional<exit_reason> application_controller::run_until_stopped(
    std::chrono::milliseconds timeout) {
  exit_reason why;
  try {
    why = call(node_, server_, await_node_stop{}, timeout);
  } catch (const call_error& e) {
    if (e.timed_out()) return std::nullopt;
    why = e.reason();  // the controller itself died
  }
  node_.stop();
  return why;
}

}  // namespace bitactor::otp
