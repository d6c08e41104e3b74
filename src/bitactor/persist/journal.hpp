#pragma once
// journal: the one writer between persistent processes and a storage (storage.hpp). Processes
// hand it write batches with a durability mode and get a completion when the batch is as
// durable as the mode promises; the journal's own thread does the blocking writes, so no
// scheduler worker ever waits on a disk or a database.
//
//   persist::journal j(store);
//   j.write(std::move(batch), persist::durability::group,
//           [](std::optional<persist::storage_failure> failed) {
//             // runs on the journal's thread: post a message to the process, do not block
//           });
//
// Durability modes, per write:
//   sync   the batch is written alone and fsynced (committed) before it completes: one fsync
//          per write, the slowest mode.
//   group  (the default) batches waiting while the previous write runs are merged into one
//          atomic write with one fsync; each completes only once that fsync returned. As durable
//          as sync; under concurrency many writes share one fsync.
//   async  merged like group but written without the fsync: it completes once the storage
//          accepted it (in the OS or the server's buffers). A crash of the machine (not of the
//          process) may lose the writes of the last moments; never a part of one batch.
//
// Failures: a batch whose append conflicts (sequence_conflict) fails alone: when a merged write
// conflicts, its batches are written again one by one, so the others still complete. Any other
// storage_error fails every batch of that write (nothing of it was stored). A completion gets
// nullopt on success, else the failure as a value (storage_failure).
//
// Order: batches are written in the order write() was called; completions run in that order
// on the journal's thread. The destructor writes what is queued, runs its completions, then
// joins the thread.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist {

enum class durability { sync, group, async };

struct journal_options {
  /// The most batches merged into one write (bounds one write's size and latency).
  std::size_t max_merged_batches = 1024;
};

class journal {
 public:
  using completion = std::function<void(std::optional<storage_failure> failed)>;

  /// `store` must outlive the journal.
  explicit journal(storage& store, journal_options options = {});
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Queues `batch`; `done` runs once it is stored with `mode`'s durability, or failed.
  /// Thread-safe; never blocks on the storage.
  void write(write_batch batch, durability mode, completion done);

  /// The storage, for reads (recovery reads it directly; reads need no ordering with writes
  /// whose completions have run).
  storage& store() noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bitactor::persist
