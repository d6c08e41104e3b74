#pragma once
// Internal: the process control block. One per process slot; its memory is never freed while
// the node runs (slots are reused), which is what lets senders touch it without reference
// counting. Which incarnation a message is for is told by its target serial.
//
// Ownership rule: only the holder of the turn (mailbox::claimed(): a worker running the
// process's turn, or spawn while initialising the slot) touches the non-atomic fields. `relations`
// is also read by process_info under `relations_lock`.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "bitactor/core/internal/mailbox.hpp"
#include "bitactor/core/internal/message_pool.hpp"
#include "bitactor/core/internal/spinlock.hpp"
#include "bitactor/core/pid.hpp"

namespace bitactor {
class actor;
}

namespace bitactor::detail {

/// Node allocator for the relation maps: every call monitors and demonitors its server, so
/// their nodes come and go as often as messages do; take them from the message pool too.
template <class T>
struct pooled_allocator {
  using value_type = T;
  pooled_allocator() = default;
  template <class U>
  pooled_allocator(const pooled_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(message_pool::allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { message_pool::deallocate(p, n * sizeof(T)); }
  template <class U>
  friend bool operator==(const pooled_allocator&, const pooled_allocator<U>&) noexcept {
    return true;
  }
};

template <class K, class V>
using relation_map = std::unordered_map<K, V, std::hash<K>, std::equal_to<K>,
                                        pooled_allocator<std::pair<const K, V>>>;

/// Links, monitors and the registered name: allocated on first use, so a process that has
/// none (most of a million idle ones) pays 8 bytes for the pointer only.
struct relations {
  // peer -> 0 when the link is active, or the id of an unlink in progress (OTP 23+ protocol:
  // exit signals from a peer we are unlinking from are ignored until its ack arrives).
  relation_map<pid, std::uint64_t> links;
  relation_map<ref, pid> monitoring;    // monitors this process holds: ref -> target
  relation_map<ref, pid> monitored_by;  // monitors on this process: ref -> watcher
  std::string registered_name;
  std::uint64_t next_unlink_id = 0;
};

// suspended: parked after its turn (runtime::park_after_turn), its turn still claimed.
enum class run_phase : std::uint8_t { waiting, runnable, running, exiting, suspended };

class process {
 public:
  static constexpr std::uint64_t alive_bit = 1;

  std::uint32_t serial() const noexcept {
    return static_cast<std::uint32_t>(identity.load(std::memory_order_acquire) >> 1);
  }
  bool is_incarnation(std::uint32_t s) const noexcept {
    return identity.load(std::memory_order_acquire) == ((std::uint64_t{s} << 1) | alive_bit);
  }
  bool alive() const noexcept {
    return (identity.load(std::memory_order_acquire) & alive_bit) != 0;
  }

  // The mailbox first, and the one-byte fields right after it: they fill its tail padding
  // (no_unique_address lets them), which keeps the block at 104 bytes.
  [[no_unique_address]] mailbox mail;  // its flag is the turn: whoever claims it owns the turn
  std::atomic<run_phase> phase{run_phase::waiting};
  std::atomic<bool> trap_exit{false};  // owner writes; process_info reads
  bool started = false;
  bool on_blocking_pool = false;
  bool exited_this_turn = false;
  bool kept_current = false;    // the actor took ownership of the message it is handling
  bool stop_requested = false;  // stop() was called this turn (reason: runtime::requested_exit)
  bool spawned_linked = false;  // spawn_link: its parent, not the node, stops it at node stop
  // A behaviour that stops in order on a shutdown exit signal (actor::stops_in_order()), and
  // whether node stop is waiting for it to end.
  std::atomic<bool> orderly{false};
  std::atomic<bool> awaited_at_stop{false};
  spinlock relations_lock;
  std::uint32_t slot = 0;
  std::atomic<std::uint64_t> identity{0};   // (serial << 1) | alive
  std::atomic<std::uint32_t> next_free{0};  // free-list link (slot index + 1)
  std::uint32_t actor_bytes = 0;
  actor* behaviour = nullptr;  // owned; destroyed when the process exits
  relations* rel = nullptr;    // owned; see relations

  relations& rel_or_create() {
    if (rel == nullptr) rel = new relations();
    return *rel;
  }
};

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__aarch64__))
// A million idle processes cost this much each, before their actors: keep an eye on it.
static_assert(sizeof(process) <= 104, "the process control block grew");
#endif

}  // namespace bitactor::detail
