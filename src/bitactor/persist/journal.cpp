#include "bitactor/persist/journal.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace bitactor::persist {

namespace {

struct pending {
  write_batch batch;
  durability mode;
  journal::completion done;
};

template <class T>
void move_all(std::vector<T>& into, std::vector<T>& from) {
  for (auto& x : from) into.push_back(std::move(x));
  from.clear();
}

// Moves each batch of `group` into one; split_back undoes it. Moved, not copied: the events'
// bytes are the bulk of a write, and a merge that conflicts is rare.
write_batch merge(std::vector<pending>& group) {
  write_batch merged;
  for (auto& p : group) {
    move_all(merged.appends, p.batch.appends);
    move_all(merged.snapshots, p.batch.snapshots);
    move_all(merged.deletions, p.batch.deletions);
  }
  return merged;
}

struct batch_sizes {
  std::size_t appends, snapshots, deletions;
};

template <class T>
void take_front(std::vector<T>& into, std::vector<T>& from, std::size_t& at, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) into.push_back(std::move(from[at++]));
}

void split_back(write_batch& merged, std::vector<pending>& group,
                const std::vector<batch_sizes>& sizes) {
  std::size_t a = 0, s = 0, d = 0;
  for (std::size_t i = 0; i < group.size(); ++i) {
    take_front(group[i].batch.appends, merged.appends, a, sizes[i].appends);
    take_front(group[i].batch.snapshots, merged.snapshots, s, sizes[i].snapshots);
    take_front(group[i].batch.deletions, merged.deletions, d, sizes[i].deletions);
  }
}

void complete(std::vector<pending>& group, const std::optional<storage_failure>& failed) {
  for (auto& p : group) {
    if (p.done) p.done(failed);
  }
}

}  // namespace

struct journal::impl {
  storage& store;
  journal_options options;
  std::mutex mutex;
  std::condition_variable queued;
  std::deque<pending> queue;
  bool stopping = false;
  std::thread writer;

  impl(storage& s, journal_options o) : store(s), options(o) {}

  // The next write: one sync batch alone, or consecutive batches of one merging mode.
  std::vector<pending> take_group() {
    std::vector<pending> group;
    group.push_back(std::move(queue.front()));
    queue.pop_front();
    const durability mode = group.front().mode;
    if (mode == durability::sync) return group;
    while (!queue.empty() && queue.front().mode == mode &&
           group.size() < options.max_merged_batches) {
      group.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    return group;
  }

  void write_alone(pending& p, bool sync) {
    std::optional<storage_failure> failed;
    try {
      store.write(p.batch, sync);
    } catch (...) {
      failed = storage_failure::of_current_exception();
    }
    if (p.done) p.done(failed);
  }

  void write_group(std::vector<pending>& group) {
    const bool sync = group.front().mode != durability::async;
    if (group.size() == 1) return write_alone(group.front(), sync);
    std::vector<batch_sizes> sizes;
    sizes.reserve(group.size());
    for (const auto& p : group) {
      sizes.push_back({p.batch.appends.size(), p.batch.snapshots.size(), p.batch.deletions.size()});
    }
    write_batch merged = merge(group);
    try {
      store.write(merged, sync);
    } catch (const sequence_conflict&) {
      // Nothing was stored: write each batch on its own, so only the conflicting one fails.
      split_back(merged, group, sizes);
      for (auto& p : group) write_alone(p, sync);
      return;
    } catch (...) {
      complete(group, storage_failure::of_current_exception());
      return;
    }
    complete(group, std::nullopt);
  }

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      queued.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything queued is written
      auto group = take_group();
      lock.unlock();
      write_group(group);
      lock.lock();
    }
  }
};

journal::journal(storage& store, journal_options options)
    : impl_(std::make_unique<impl>(store, options)) {
  if (impl_->options.max_merged_batches == 0) impl_->options.max_merged_batches = 1;
  impl_->writer = std::thread([this] { impl_->run(); });
}

journal::~journal() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->queued.notify_one();
  impl_->writer.join();
}

void journal::write(write_batch batch, durability mode, completion done) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->queue.push_back({std::move(batch), mode, std::move(done)});
  }
  impl_->queued.notify_one();
}

storage& journal::store() noexcept { return impl_->store; }

}  // namespace bitactor::persist
