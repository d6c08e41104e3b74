#include "bitactor/resilience/events.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

namespace bitactor::resilience {

namespace detail {
std::atomic<std::size_t> attached_handlers{0};
}

namespace {
struct attached {
  handler_id id = 0;
  std::vector<std::string> prefix;
  event_handler handler;
};
using handler_list = std::vector<std::shared_ptr<const attached>>;

// Copy-on-write: emit takes a snapshot under the lock and calls handlers outside it, so a
// slow handler never holds up attach, detach or other emitters.
struct registry {
  std::mutex lock;
  std::shared_ptr<const handler_list> handlers = std::make_shared<const handler_list>();
  handler_id next_id = 1;
};
registry& the_registry() {
  static registry r;
  return r;
}

bool has_prefix(const std::vector<std::string>& name, const std::vector<std::string>& prefix) {
  return prefix.size() <= name.size() && std::equal(prefix.begin(), prefix.end(), name.begin());
}
}  // namespace

const double* event::measurement(std::string_view key) const noexcept {
  for (const auto& [k, v] : measurements) {
    if (k == key) return &v;
  }
  return nullptr;
}

const std::string* event::meta(std::string_view key) const noexcept {
  for (const auto& [k, v] : metadata) {
    if (k == key) return &v;
  }
  return nullptr;
}

handler_id attach(std::vector<std::string> prefix, event_handler handler) {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.lock);
  auto next = std::make_shared<handler_list>(*r.handlers);
  const handler_id id = r.next_id++;
  next->push_back(
      std::make_shared<const attached>(attached{id, std::move(prefix), std::move(handler)}));
  r.handlers = std::move(next);
  detail::attached_handlers.fetch_add(1, std::memory_order_relaxed);
  return id;
}

bool detach(handler_id id) {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.lock);
  auto next = std::make_shared<handler_list>(*r.handlers);
  auto it = std::find_if(next->begin(), next->end(), [id](const auto& a) { return a->id == id; });
  if (it == next->end()) return false;
  next->erase(it);
  r.handlers = std::move(next);
  detail::attached_handlers.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void detail::dispatch(const event& e) {
  std::shared_ptr<const handler_list> snapshot;
  {
    registry& r = the_registry();
    std::lock_guard<std::mutex> g(r.lock);
    snapshot = r.handlers;
  }
  for (const auto& a : *snapshot) {
    if (!has_prefix(e.name, a->prefix)) continue;
    try {
      a->handler(e);
    } catch (...) {
      // An observer must not change what the observed component does.
    }
  }
}

}  // namespace bitactor::resilience
