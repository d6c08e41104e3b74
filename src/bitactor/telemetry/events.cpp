#include "bitactor/telemetry/events.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace bitactor::telemetry {

namespace detail {
std::atomic<std::size_t> attached_handlers{0};
}

namespace {
struct attached {
  handler_id id = 0;
  event_name prefix;
  event_handler handler;
};
struct handler_table {
  std::uint64_t version = 0;
  std::vector<std::shared_ptr<const attached>> handlers;
};

struct registry {
  std::mutex lock;
  std::shared_ptr<const handler_table> current = std::make_shared<const handler_table>();
  // current->version, readable without the lock: an emit compares it with its thread's copy.
  std::atomic<std::uint64_t> version{0};
  handler_id next_id = 1;

  void publish(std::shared_ptr<handler_table> next) {
    next->version = current->version + 1;
    current = std::move(next);
    version.store(current->version, std::memory_order_release);
  }
};
registry& the_registry() {
  static registry r;
  return r;
}

// This thread's copy of the handler table. `held` keeps tables alive that a nested emit (a
// handler emitting) replaced while an outer emit on this thread still walks them.
struct thread_table {
  std::uint64_t version = ~std::uint64_t{0};
  std::shared_ptr<const handler_table> table;
  int depth = 0;
  std::vector<std::shared_ptr<const handler_table>> held;
};
thread_local thread_table this_thread_table;

const handler_table& current_table(thread_table& t) {
  registry& r = the_registry();
  if (r.version.load(std::memory_order_acquire) != t.version) {
    std::lock_guard<std::mutex> g(r.lock);
    if (t.depth > 0 && t.table) t.held.push_back(std::move(t.table));
    t.table = r.current;
    t.version = t.table->version;
  }
  return *t.table;
}

bool has_prefix(const event_name& name, const event_name& prefix) {
  return prefix.size() <= name.size() && std::equal(prefix.begin(), prefix.end(), name.begin());
}

double nanoseconds(std::chrono::nanoseconds d) { return static_cast<double>(d.count()); }

event_name with_suffix(const event_name& name, const char* suffix) {
  event_name n;
  n.reserve(name.size() + 1);
  n.insert(n.end(), name.begin(), name.end());
  n.emplace_back(suffix);
  return n;
}

std::string reason_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown";
  }
}
}  // namespace

const double* event::measurement(std::string_view key) const noexcept {
  for (const auto& m : measurements) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

const std::string* event::meta(std::string_view key) const noexcept {
  for (const auto& m : metadata) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

handler_id attach(event_name prefix, event_handler handler) {
  if (!handler) throw std::invalid_argument("telemetry: attach needs a handler to call");
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.lock);
  auto next = std::make_shared<handler_table>(*r.current);
  const handler_id id = r.next_id++;
  next->handlers.push_back(
      std::make_shared<const attached>(attached{id, std::move(prefix), std::move(handler)}));
  r.publish(std::move(next));
  detail::attached_handlers.fetch_add(1, std::memory_order_relaxed);
  return id;
}

bool detach(handler_id id) {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.lock);
  const auto& old = r.current->handlers;
  auto it = std::find_if(old.begin(), old.end(), [id](const auto& a) { return a->id == id; });
  if (it == old.end()) return false;
  auto next = std::make_shared<handler_table>(*r.current);
  next->handlers.erase(next->handlers.begin() + (it - old.begin()));
  r.publish(std::move(next));
  detail::attached_handlers.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void detail::dispatch(const event& e) {
  thread_table& t = this_thread_table;
  const handler_table& table = current_table(t);
  ++t.depth;
  for (const auto& a : table.handlers) {
    if (!has_prefix(e.name, a->prefix)) continue;
    try {
      a->handler(e);
    } catch (...) {
      // An observer must not change what the observed code does.
    }
  }
  if (--t.depth == 0 && !t.held.empty()) t.held.clear();
}

std::chrono::steady_clock::time_point detail::span_start(const event_name& name,
                                                         const metadata_list& metadata) {
  const auto start = std::chrono::steady_clock::now();
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  // span() checked enabled() already: whether a span emits is decided once.
  dispatch(event{with_suffix(name, "start"),
                 {{"monotonic_time", nanoseconds(start.time_since_epoch())},
                  {"system_time", nanoseconds(wall)}},
                 metadata});
  return start;
}

void detail::span_stop(const event_name& name, const metadata_list& metadata,
                       std::chrono::steady_clock::time_point start) {
  const auto end = std::chrono::steady_clock::now();
  dispatch(event{with_suffix(name, "stop"),
                 {{"duration", nanoseconds(end - start)},
                  {"monotonic_time", nanoseconds(end.time_since_epoch())}},
                 metadata});
}

void detail::span_exception(const event_name& name, const metadata_list& metadata,
                            std::chrono::steady_clock::time_point start, std::exception_ptr error) {
  const auto end = std::chrono::steady_clock::now();
  metadata_list m = metadata;
  m.emplace_back("kind", "exception");
  m.emplace_back("reason", reason_of(error));
  dispatch(event{with_suffix(name, "exception"),
                 {{"duration", nanoseconds(end - start)},
                  {"monotonic_time", nanoseconds(end.time_since_epoch())}},
                 std::move(m)});
}

}  // namespace bitactor::telemetry
