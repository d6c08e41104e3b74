#pragma once
// application: a component that is started and stopped as a unit (OTP 25 kernel,
// application(3) and the "Applications" chapter of the design principles).
//
// Model. An application is a top supervisor plus metadata: a name, the applications it
// depends on, and an environment of configuration values. The application_controller of a
// node loads application specs, starts an application by first starting the applications it
// depends on (application:ensure_all_started), then its top supervisor, and stops
// applications in the reverse order of their start, one at a time, also when the node
// stops. The top supervisor runs linked to the controller's process (OTP's application
// master), which sees it exit.
//
// Start types say what an application's exit does to the node (application:start/2):
//   temporary  the exit is only reported
//   transient  an exit with reason normal is only reported; any other exit stops all other
//              applications and the node
//   permanent  any exit stops all other applications and the node
// An application stopped with stop() is not an exit in that sense ("stopped" is reported).
// The node itself is stopped by the thread that owns it: run_until_stopped() waits for the
// controller to decide the node must stop, then stops it (OTP: init:stop/0).
//
// Environment. Values come, later overriding earlier, from the spec's defaults, the config
// file (OTP's sys.config, here TOML with one table per application; nested tables become
// dotted keys), set_env(), and the overrides passed to start(). get_env() reads them from
// any thread; the spec's `top` function receives them when the application starts.
//
//   # app.toml
//   [chat]
//   port = 4000
//   [chat.limits]
//   rooms = 10                                  # key "limits.rooms"
//
//   otp::application_controller apps(node);
//   apps.load_config("app.toml");               // throws config_file_error naming file:line
//   otp::application_spec chat;
//   chat.name = "chat";
//   chat.dependencies = {"store"};
//   chat.top = [](const otp::environment& env) { return chat_supervisor(env); };
//   apps.load(std::move(chat));
//   apps.start("chat", {.type = otp::start_type::permanent, .overrides = {}});  // "store" first
//
// Reports: an application report (status started / exited, with reason and type) for each
// start and exit (report.hpp).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "bitactor/core/error.hpp"
#include "bitactor/otp/supervisor.hpp"

namespace bitactor::otp {

/// One configuration value (TOML's scalars; a date or an array is refused when read).
using env_value = std::variant<bool, std::int64_t, double, std::string>;
/// An application's environment: key -> value (nested TOML tables as "outer.inner").
using environment = std::map<std::string, env_value>;
/// Applications' environments by application name, as a config file gives them.
using config = std::map<std::string, environment>;

/// "true", "42", "1.5", "\"text\"".
std::string to_string(const env_value& v);

enum class start_type { temporary, transient, permanent };
const char* to_string(start_type t) noexcept;

struct application_spec {
  std::string name;
  std::string description;
  std::string version;
  /// Applications that must run before this one (OTP: `applications` in the .app file).
  std::vector<std::string> dependencies;
  /// Default environment (OTP: `env` in the .app file).
  environment env;
  /// Builds the top supervisor from the environment (OTP: Module:start/2). It runs in the
  /// controller's process, as Module:start/2 runs in OTP's application master: it must not
  /// block or call the controller.
  std::function<supervisor_spec(const environment&)> top;
  /// How long stopping the application may take: its top supervisor is sent shutdown and,
  /// if it has not exited after this long, killed (kernel(6)'s shutdown_timeout, here per
  /// application). OTP's default, infinity, waits for the supervisors' own child shutdown
  /// policies; set it to bound an application whose children may never stop.
  std::chrono::milliseconds shutdown_timeout = infinity;
};

/// An application could not be loaded, started or stopped; the text says which and why.
class application_error : public error {
 public:
  using error::error;
};

/// A config file could not be read or is not valid; what() is "file:line: what is wrong".
class config_file_error : public application_error {
 public:
  config_file_error(std::string file, std::size_t line, const std::string& what);
  const std::string& file() const noexcept { return file_; }
  /// 1-based; 0 when the problem is not on one line (e.g. the file cannot be opened).
  std::size_t line() const noexcept { return line_; }

 private:
  std::string file_;
  std::size_t line_;
};

/// Most arrays and inline tables a config file may nest inside one another, and most parts
/// (`a.b.c` has 3) a dotted key or table header may have. Deeper files are refused before
/// parsing: the TOML parser recurses once per level.
inline constexpr int max_config_nesting = 64;

/// Reads a config file (TOML, one table per application). Throws config_file_error when the
/// file cannot be read (or is a directory), is not valid TOML, nests deeper than
/// max_config_nesting, holds an integer outside 64 bits (or a binary one of more than 62
/// digits, which the TOML parser cannot read safely), an array or a date, or has two keys
/// of one application that flatten to the same dotted name (`"a.b" = 1` and `a.b = 2`).
config read_config_file(const std::string& path);
/// The same from text; `source_name` names it in errors.
config parse_config(std::string_view text, const std::string& source_name);

struct app_start_options {
  start_type type = start_type::temporary;
  /// Environment values for this start, overriding all others.
  environment overrides;
};

namespace detail {
struct application_registry;  // the specs and environments (application.cpp)
}

/// A call to the application controller made from a behaviour: co_await it for what the
/// thread-side member function of the same name returns; it throws the same
/// application_error (and call_error if the controller is not alive).
template <class T>
class [[nodiscard]] application_call {
 public:
  template <class Req>
  application_call(behaviour& self, const pid& controller, Req req,
                   std::chrono::milliseconds timeout)
      : call_(self.call(controller, std::move(req), timeout)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { call_.await_suspend(h); }
  T await_resume() {
    auto r = call_.await_resume();
    if (!r) throw application_error(r.error());
    if constexpr (!std::is_void_v<T>) {
      return std::move(*r);
    }
  }

 private:
  behaviour::call_awaiter<expected<T, std::string>> call_;
};

struct running_application {
  std::string name;
  std::string description;
  std::string version;
  start_type type = start_type::temporary;
  pid top_supervisor;
};

/// The node's application controller (OTP: application_controller). Its member functions
/// without a behaviour argument are for plain threads (main, tests): they wait for the
/// controller's process. Those that take the calling behaviour are their counterparts for
/// processes of the node: the same names, results and errors, awaited in an otp::async
/// coroutine (behaviour.hpp) while the process keeps no thread:
///
///   otp::async bring_up(otp::from caller) {         // in a gen_server holding `apps_`
///     std::vector<std::string> started = co_await apps_.start(*this, "web");
///     ...
///   }
///
/// (Names are string_views so that a literal builds no std::string inside the co_await
/// operand, which GCC 12 miscompiles; see behaviour::call.) The application_controller
/// object must outlive the call that creates the awaitable, not the wait. get_env, set_env
/// and the other functions that do not wait serve threads and processes alike.
///
/// Stopping. The controller's process traps exits; when it gets shutdown from its owner
/// (the destructor) or from the node's orderly stop (node::stop, OTP: init:stop), it stops
/// the running applications one by one, the last started first, each top supervisor shut
/// down under its children's shutdown policies (and the application's shutdown_timeout)
/// before the next is asked, and then exits.
class application_controller {
 public:
  explicit application_controller(node& n);
  /// Stops the running applications (reverse start order) and the controller's process.
  ~application_controller();
  application_controller(const application_controller&) = delete;
  application_controller& operator=(const application_controller&) = delete;

  /// Makes an application known (application:load/1). Throws application_error if one
  /// with that name is already loaded or the spec has no name or no top function.
  void load(application_spec spec);
  bool is_loaded(const std::string& name) const;

  /// Adds a config file's environments (see read_config_file); throws config_file_error.
  void load_config(const std::string& path);
  void load_config(const config& c);

  /// Starts the application after the ones it depends on (application:ensure_all_started/2,
  /// every one with the given type; only the named one gets the overrides). Returns the
  /// applications this started, in start order. Throws application_error naming the
  /// application when one is not loaded, dependencies form a cycle, or a top supervisor
  /// fails to start (applications it started before the failure keep running, as in OTP).
  std::vector<std::string> start(const std::string& name, app_start_options opts = {});
  /// Stops a running application (application:stop/1); throws application_error if it is
  /// not running. Applications that depend on it are not stopped (as in OTP).
  void stop(const std::string& name);
  /// Stops every running application, the last started first.
  void stop_all();

  /// Running applications in start order (application:which_applications/0).
  std::vector<running_application> which_applications() const;
  bool is_running(const std::string& name) const;

  /// A value of an application's environment (application:get_env/2). Any thread.
  std::optional<env_value> get_env(const std::string& app, const std::string& key) const;
  /// The value as T (bool, std::int64_t, double, std::string), or `fallback` if it is not
  /// set or has another type.
  template <class T>
  T get_env(const std::string& app, const std::string& key, T fallback) const {
    auto v = get_env(app, key);
    if (v) {
      if (auto* t = std::get_if<T>(&*v)) return *t;
    }
    return fallback;
  }
  /// The whole environment of an application.
  environment get_all_env(const std::string& app) const;
  /// Sets a value (application:set_env/3). Any thread. A running application sees it
  /// through get_env; its top supervisor was built with the values at its start.
  void set_env(const std::string& app, const std::string& key, env_value value);

  /// Waits until an application exit makes the node stop (a permanent one, or a transient
  /// one with an abnormal reason), then stops the node and returns why. nullopt if the
  /// timeout passed first (the node keeps running).
  std::optional<exit_reason> run_until_stopped(std::chrono::milliseconds timeout = infinity);

  /// The controller's process.
  pid process() const noexcept { return server_; }

  // --- from a behaviour: co_await them inside an otp::async coroutine -----------------------
  // (run_until_stopped has no counterpart: a process of the node cannot stop the node.)

  /// start(name, opts): the applications started, in start order; throws application_error.
  application_call<std::vector<std::string>> start(behaviour& self, std::string_view name) const;
  application_call<std::vector<std::string>> start(behaviour& self, std::string_view name,
                                                   const app_start_options& opts) const;
  /// stop(name); throws application_error if it is not running.
  application_call<void> stop(behaviour& self, std::string_view name) const;
  /// stop_all(): the last started first.
  application_call<void> stop_all(behaviour& self) const;
  application_call<std::vector<running_application>> which_applications(behaviour& self) const;
  application_call<bool> is_running(behaviour& self, std::string_view name) const;

 private:
  node& node_;
  pid server_;
  std::shared_ptr<detail::application_registry> registry_;
};

}  // namespace bitactor::otp
