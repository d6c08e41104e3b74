#include "bitactor/otp/application.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <toml.hpp>

#include "bitactor/otp/report.hpp"

namespace bitactor::otp {

// --- what the controller's process and its owner share ----------------------------------------

namespace detail {

// The loaded specs and the environments: read by the controller's process when it starts an
// application, and by any thread through get_env / set_env.
struct application_registry {
  mutable std::mutex lock;
  std::map<std::string, application_spec> specs;
  std::map<std::string, environment> env;

  std::optional<application_spec> spec(const std::string& name) const {
    std::lock_guard guard(lock);
    auto it = specs.find(name);
    if (it == specs.end()) return std::nullopt;
    return it->second;
  }
  /// Records a start's overrides and returns the environment the application starts with.
  environment environment_for_start(const std::string& name, const environment& overrides) {
    std::lock_guard guard(lock);
    environment& e = env[name];
    for (const auto& [k, v] : overrides) e[k] = v;
    return e;
  }
};

}  // namespace detail

namespace {

// --- the controller's process (OTP: application_controller + application_master) -----------

// The controller's call protocol. Each reply carries the error text of an application_error,
// which the client functions throw (from a thread, or in the awaiting behaviour).
template <class T>
using app_reply = expected<T, std::string>;

struct start_apps {
  std::string name;
  app_start_options opts;
  using reply = app_reply<std::vector<std::string>>;
};
struct stop_app {
  std::string name;
  using reply = app_reply<void>;
};
struct stop_all_apps {
  using reply = app_reply<void>;
};
struct which_apps {
  using reply = app_reply<std::vector<running_application>>;
};
struct is_app_running {
  std::string name;
  using reply = app_reply<bool>;
};
struct await_node_stop {
  using reply = exit_reason;
};

void application_report(const std::string& app, const char* status, const exit_reason* reason,
                        start_type type) {
  if (!report_wanted(report_level::info)) return;
  report r;
  r.type = report::kind::application;
  r.level = report_level::info;
  r.add("application", name_term(app)).add("status", term::atom(status));
  if (reason != nullptr) r.add("reason", reason->as_term());
  r.add("type", term::atom(to_string(type)));
  log_report(r);
}

app_reply<void> app_failure(std::string text) { return unexpected(std::move(text)); }

// What one start request has done so far (it starts dependencies first, recursively).
struct start_progress {
  std::vector<std::string> started;  // in start order
  std::vector<std::string> path;     // the applications whose dependencies are being started
  std::string error;                 // set at the first failure; nothing more is started
};

class controller_server : public gen_server {
 public:
  explicit controller_server(std::shared_ptr<detail::application_registry> registry)
      : registry_(std::move(registry)) {}

 protected:
  void init() override { trap_exit(true); }

  void handle_call(call_context& c) override {
    c.match([&](start_apps& s) { do_start(c.defer(), std::move(s)); },
            [&](stop_app& s) { do_stop(c.defer(), std::move(s.name)); },
            [&](stop_all_apps&) { do_stop_all(c.defer()); },
            [&](which_apps&) {
              std::vector<running_application> out;
              out.reserve(running_.size());
              for (const auto& r : running_) out.push_back(r.app);
              return out;
            },
            [&](is_app_running& r) { return find(r.name) != running_.end(); },
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
    auto it = std::find_if(running_.begin(), running_.end(),
                           [&](const entry& a) { return a.app.top_supervisor == e->from; });
    if (it == running_.end()) return;  // a top supervisor that failed to start, or stopped
    running_application app = it->app;
    running_.erase(it);
    application_report(app.name, "exited", &e->reason, app.type);
    // application(3), start/2: what an application's exit does to the node.
    const bool fatal = app.type == start_type::permanent ||
                       (app.type == start_type::transient && !e->reason.is_normal());
    if (fatal) shutdown_node(app.name, e->reason);
  }

  // The node's orderly stop (or the controller's owner) sends the controller shutdown: as
  // OTP's application_controller does on init:stop, the applications stop one by one, the
  // last started first, before the controller exits.
  void terminate(const exit_reason&) override { stop_everything(); }

 private:
  struct entry {
    running_application app;
    std::chrono::milliseconds shutdown_timeout;
  };

  std::vector<entry>::iterator find(const std::string& name) {
    return std::find_if(running_.begin(), running_.end(),
                        [&](const entry& a) { return a.app.name == name; });
  }

  async do_start(from caller, start_apps s) {
    start_progress progress;
    co_await start_with_dependencies(s.name, s.opts, progress);
    using result = app_reply<std::vector<std::string>>;
    if (progress.error.empty()) {
      reply(caller, result(std::move(progress.started)));
    } else {
      reply(caller, result(unexpected(std::move(progress.error))));
    }
  }

  // application:ensure_all_started/2: the dependencies first, each with the same start type
  // (only `name` gets the overrides), then the application's top supervisor. Stops at the
  // first failure; what started before it keeps running (as in OTP).
  // Arguments are references to the caller's named values: no temporary spans a co_await.
  async start_with_dependencies(const std::string& name, const app_start_options& opts,
                                start_progress& progress) {
    if (std::find(progress.path.begin(), progress.path.end(), name) != progress.path.end()) {
      std::string cycle;
      for (const auto& p : progress.path) cycle += p + " -> ";
      progress.error = "applications depend on each other in a cycle: " + cycle + name;
      co_return;
    }
    if (find(name) != running_.end()) co_return;
    std::optional<application_spec> spec = registry_->spec(name);
    if (!spec) {
      progress.error = progress.path.empty()
                           ? "application '" + name + "' is not loaded"
                           : "cannot start application '" + progress.path.back() +
                                 "': it depends on '" + name + "', which is not loaded";
      co_return;
    }
    progress.path.push_back(name);
    const app_start_options dependency_opts{opts.type, {}};
    for (const std::string& dependency : spec->dependencies) {
      co_await start_with_dependencies(dependency, dependency_opts, progress);
      if (!progress.error.empty()) co_return;
    }
    progress.path.pop_back();

    const environment env = registry_->environment_for_start(name, opts.overrides);
    supervisor_spec top;
    try {
      top = spec->top(env);  // OTP: Module:start/2, run by the application master
    } catch (bitactor::detail::ended_by_signal&) {
      throw;  // the controller was killed at a yield point inside the top function
    } catch (const std::exception& e) {
      progress.error = "application '" + name + "': its top function failed: " + e.what();
      co_return;
    } catch (...) {  // the caller's error, not a crash of the controller
      progress.error = "application '" + name + "': its top function failed";
      co_return;
    }
    const start_fn start_top = start_link_fn<supervisor>(std::move(top));
    start_result r = co_await start_child_process(start_top);
    if (!r.ok()) {
      progress.error = "application '" + name + "' failed to start: " + r.to_string();
      co_return;
    }
    running_.push_back(
        {{name, spec->description, spec->version, opts.type, r.process}, spec->shutdown_timeout});
    application_report(name, "started", nullptr, opts.type);
    progress.started.push_back(name);
  }

  async do_stop(from caller, std::string name) {
    auto it = find(name);
    if (it == running_.end()) {
      reply(caller, app_failure("application '" + name + "' is not running"));
      co_return;
    }
    const entry app = *it;
    running_.erase(it);  // its exit is now expected, not an application exit
    const exit_reason reported = stopped_reason();
    co_await stop_top(app, reported);
    reply(caller, app_reply<void>());
  }

  async do_stop_all(from caller) {
    const exit_reason reported = stopped_reason();
    co_await stop_in_reverse(reported);
    reply(caller, app_reply<void>());
  }

  async stop_everything() {
    const exit_reason reported = stopped_reason();
    co_await stop_in_reverse(reported);
  }

  // The applications stop one at a time, the last started first; each top supervisor has
  // exited (its children stopped under their shutdown policies) before the next is asked.
  async stop_in_reverse(const exit_reason& reported) {
    while (!running_.empty()) {
      const entry last = running_.back();
      running_.pop_back();
      co_await stop_top(last, reported);
    }
  }

  // Stops one application's top supervisor as supervisor.erl shutdown/2 stops a child:
  // monitor, unlink, exit(shutdown), and exit(kill) if it has not exited within the
  // application's shutdown_timeout (kernel's shutdown_timeout). The monitor also sees a top
  // supervisor that exited just before (DOWN noproc), which a wait for its exit would miss.
  async stop_top(const entry& app, const exit_reason& reported) {
    const pid top = app.app.top_supervisor;
    const ref m = monitor(top);
    unlink(top);
    exit(top, exit_reason::shutdown());
    auto outcome = co_await wait(detail::wait_spec{m, m, pid{}, app.shutdown_timeout, false});
    if (outcome.kind == detail::wait_outcome::how::timeout) {
      exit(top, exit_reason::kill());
      co_await wait(detail::wait_spec{m, m, pid{}, infinity, false});
    }
    application_report(app.app.name, "exited", &reported, app.app.type);
  }

  async shutdown_node(std::string app, exit_reason why) {
    const exit_reason reason = exit_reason::error(
        term::tuple(term::atom("application_terminated"), term::atom(app), why.as_term()));
    const exit_reason reported = exit_reason::shutdown();
    co_await stop_in_reverse(reported);
    node_stop_ = reason;
    for (const auto& w : waiters_) reply(w, reason);
    waiters_.clear();
  }

  static exit_reason stopped_reason() { return exit_reason::error("stopped"); }

  std::shared_ptr<detail::application_registry> registry_;
  std::vector<entry> running_;  // in start order
  std::optional<exit_reason> node_stop_;
  std::vector<from> waiters_;
};

template <class T>
T unwrap(app_reply<T> r) {
  if (!r) throw application_error(r.error());
  return std::move(*r);
}
void unwrap(const app_reply<void>& r) {
  if (!r) throw application_error(r.error());
}

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

application_controller::application_controller(node& n)
    : node_(n), registry_(std::make_shared<detail::application_registry>()) {
  start_result r = otp::start<controller_server>(n, {}, registry_);
  if (!r.ok()) throw application_error("application controller did not start: " + r.to_string());
  server_ = r.process;
}

application_controller::~application_controller() {
  if (!node_.is_alive(server_)) return;  // the node has stopped
  try {
    stop_all();
  } catch (const std::exception& e) {
    if (report_wanted(report_level::error)) {
      report r;
      r.type = report::kind::application;
      r.level = report_level::error;
      r.add("status", term::atom("stop_all_failed")).add("reason", term::binary(e.what()));
      log_report(r);
    }
  }
  node_.exit(server_, exit_reason::shutdown());
}

void application_controller::load(application_spec spec) {
  if (spec.name.empty()) throw application_error("application spec without a name");
  if (!spec.top) throw application_error("application '" + spec.name + "' has no top function");
  std::lock_guard guard(registry_->lock);
  if (registry_->specs.count(spec.name) != 0) {
    throw application_error("application '" + spec.name + "' is already loaded");
  }
  // Defaults go under what a config file or set_env may already have given.
  environment& env = registry_->env[spec.name];
  for (const auto& [k, v] : spec.env) env.try_emplace(k, v);
  const std::string name = spec.name;
  registry_->specs.emplace(name, std::move(spec));
}

bool application_controller::is_loaded(const std::string& name) const {
  std::lock_guard guard(registry_->lock);
  return registry_->specs.count(name) != 0;
}

void application_controller::load_config(const std::string& path) {
  load_config(read_config_file(path));
}

void application_controller::load_config(const config& c) {
  std::lock_guard guard(registry_->lock);
  for (const auto& [app, env] : c) {
    for (const auto& [k, v] : env) registry_->env[app][k] = v;
  }
}

std::vector<std::string> application_controller::start(const std::string& name,
                                                       app_start_options opts) {
  return unwrap(call(node_, server_, start_apps{name, std::move(opts)}, infinity));
}

void application_controller::stop(const std::string& name) {
  unwrap(call(node_, server_, stop_app{name}, infinity));
}

void application_controller::stop_all() { unwrap(call(node_, server_, stop_all_apps{}, infinity)); }

std::vector<running_application> application_controller::which_applications() const {
  return unwrap(call(node_, server_, which_apps{}));
}

bool application_controller::is_running(const std::string& name) const {
  return unwrap(call(node_, server_, is_app_running{name}));
}

std::optional<env_value> application_controller::get_env(const std::string& app,
                                                         const std::string& key) const {
  std::lock_guard guard(registry_->lock);
  auto a = registry_->env.find(app);
  if (a == registry_->env.end()) return std::nullopt;
  auto v = a->second.find(key);
  if (v == a->second.end()) return std::nullopt;
  return v->second;
}

environment application_controller::get_all_env(const std::string& app) const {
  std::lock_guard guard(registry_->lock);
  auto a = registry_->env.find(app);
  return a == registry_->env.end() ? environment{} : a->second;
}

void application_controller::set_env(const std::string& app, const std::string& key,
                                     env_value value) {
  std::lock_guard guard(registry_->lock);
  registry_->env[app][key] = std::move(value);
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

// --- the controller, for behaviours (the requests are built here, outside the co_await)

application_call<std::vector<std::string>> application_controller::start(
    behaviour& self, std::string_view name) const {
  return {self, server_, start_apps{std::string(name), {}}, infinity};
}

application_call<std::vector<std::string>> application_controller::start(
    behaviour& self, std::string_view name, const app_start_options& opts) const {
  return {self, server_, start_apps{std::string(name), opts}, infinity};
}

application_call<void> application_controller::stop(behaviour& self, std::string_view name) const {
  return {self, server_, stop_app{std::string(name)}, infinity};
}

application_call<void> application_controller::stop_all(behaviour& self) const {
  return {self, server_, stop_all_apps{}, infinity};
}

application_call<std::vector<running_application>> application_controller::which_applications(
    behaviour& self) const {
  return {self, server_, which_apps{}, default_call_timeout};
}

application_call<bool> application_controller::is_running(behaviour& self,
                                                          std::string_view name) const {
  return {self, server_, is_app_running{std::string(name)}, default_call_timeout};
}

}  // namespace bitactor::otp
