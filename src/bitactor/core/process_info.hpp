#pragma once
// A snapshot of one process (Erlang's process_info/1) and node-wide counters: the data source
// of the observer. Cheap and safe to take from any thread at any time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bitactor/core/pid.hpp"

namespace bitactor {

enum class process_status {
  waiting,    // idle, mailbox empty
  runnable,   // has work, queued for a worker
  running,    // a worker is running its turn now
  exiting,    // ending
  suspended,  // held until something outside it lets it run (a busy distribution connection)
};

const char* to_string(process_status s) noexcept;

struct process_info {
  pid self;
  process_status status = process_status::waiting;
  std::size_t message_queue_len = 0;  // sent to it and not yet handled
  std::vector<pid> links;
  std::vector<pid> monitors;      // processes this one monitors
  std::vector<pid> monitored_by;  // processes monitoring this one
  std::optional<std::string> registered_name;
  std::uint64_t messages_handled = 0;
  std::size_t memory_bytes = 0;  // estimate: control block, actor object, relations, queue
  bool trap_exit = false;
  std::string actor_type;  // demangled C++ type of the actor
};

struct node_counters {
  std::uint64_t processes = 0;        // alive now
  std::uint64_t spawned = 0;          // since start
  std::uint64_t exited = 0;           // since start
  std::uint64_t exited_abnormal = 0;  // exits with a reason other than normal or shutdown
  std::uint64_t crashed = 0;          // of those, by an exception escaping a handler
  std::uint64_t messages_sent = 0;    // messages and signals delivered to local processes
  std::uint64_t timers_pending = 0;
  std::uint64_t timer_wakeups = 0;  // times the timer thread woke (production policy)
  std::size_t workers = 0;
};

}  // namespace bitactor
