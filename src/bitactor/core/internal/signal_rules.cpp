#include "bitactor/core/internal/signal_rules.hpp"

#include <mutex>
#include <utility>

#include "bitactor/core/system_messages.hpp"

namespace bitactor::detail {
namespace {

signal_outcome exits(exit_reason reason) {
  signal_outcome o;
  o.exit = std::move(reason);
  return o;
}

signal_outcome tells_receiver(message* m) {
  signal_outcome o;
  o.for_receiver = m;
  return o;
}

signal_outcome exit_signal(process& p, const pid& self, signal& s) {
  if (s.forced) return exits(std::move(s.reason));  // node shutdown ends trapping processes too
  if (s.via_link) {
    std::lock_guard guard(p.relations_lock);
    if (p.rel == nullptr) return {};
    auto it = p.rel->links.find(s.from);
    // No link, or an unlink in progress: the signal is from a link that no longer exists.
    if (it == p.rel->links.end() || it->second != 0) return {};
    p.rel->links.erase(it);
  } else if (s.reason.code() == exit_reason::kind::kill) {
    return exits(exit_reason::killed());  // exit(Pid, kill) is untrappable
  }
  if (p.trap_exit.load(std::memory_order_relaxed)) {
    return tells_receiver(make_message<exit_msg>(exit_msg{s.from, std::move(s.reason)}));
  }
  if (s.reason.is_normal()) {
    // exit(self(), normal) ends the caller; a normal exit elsewhere is ignored.
    if (!s.via_link && s.from == self) return exits(exit_reason::normal());
    return {};
  }
  return exits(std::move(s.reason));
}

}  // namespace

signal_outcome apply_signal(process& p, const pid& self, signal& s) {
  switch (s.kind) {
    case signal_kind::exit:
      return exit_signal(p, self, s);
    case signal_kind::link: {
      std::lock_guard guard(p.relations_lock);
      p.rel_or_create().links[s.from] = 0;
      return {};
    }
    case signal_kind::unlink: {
      {
        std::lock_guard guard(p.relations_lock);
        if (p.rel != nullptr) {
          auto it = p.rel->links.find(s.from);
          if (it != p.rel->links.end() && it->second == 0) p.rel->links.erase(it);
        }
      }
      signal_outcome o;
      o.reply = new signal(signal_kind::unlink_ack, self);
      o.reply->unlink_id = s.unlink_id;
      return o;
    }
    case signal_kind::unlink_ack: {
      std::lock_guard guard(p.relations_lock);
      if (p.rel != nullptr) {
        auto it = p.rel->links.find(s.from);
        if (it != p.rel->links.end() && it->second == s.unlink_id) p.rel->links.erase(it);
      }
      return {};
    }
    case signal_kind::monitor: {
      std::lock_guard guard(p.relations_lock);
      p.rel_or_create().monitored_by.emplace(s.monitor_ref, s.from);
      return {};
    }
    case signal_kind::demonitor: {
      std::lock_guard guard(p.relations_lock);
      if (p.rel != nullptr) p.rel->monitored_by.erase(s.monitor_ref);
      return {};
    }
    case signal_kind::down: {
      bool active = false;
      {
        std::lock_guard guard(p.relations_lock);
        active = p.rel != nullptr && p.rel->monitoring.erase(s.monitor_ref) > 0;
      }
      // After demonitor no DOWN is delivered (erlang:demonitor/1).
      if (!active) return {};
      return tells_receiver(
          make_message<down_msg>(down_msg{s.monitor_ref, s.from, std::move(s.reason)}));
    }
  }
  return {};
}

signal* answer_undeliverable(const signal& s, const pid& to, const exit_reason& why) {
  // Erlang: a link or monitor of a process that does not exist is answered as if it died
  // with noproc (noconnection across a lost connection); an unlink is acknowledged so no
  // half-link remains.
  if (!s.from || s.from == to) return nullptr;
  switch (s.kind) {
    case signal_kind::link: {
      auto* reply = new signal(signal_kind::exit, to);
      reply->via_link = true;
      reply->reason = why;
      return reply;
    }
    case signal_kind::monitor: {
      auto* reply = new signal(signal_kind::down, to);
      reply->monitor_ref = s.monitor_ref;
      reply->reason = why;
      return reply;
    }
    case signal_kind::unlink: {
      auto* reply = new signal(signal_kind::unlink_ack, to);
      reply->unlink_id = s.unlink_id;
      return reply;
    }
    default:
      return nullptr;
  }
}

}  // namespace bitactor::detail
