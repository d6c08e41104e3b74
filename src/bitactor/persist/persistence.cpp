#include "bitactor/persist/persistence.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace bitactor::persist {

struct persistence::impl {
  impl(storage& s, persistence_options o)
      : store(s), options(std::move(o)), writes(s, options.journal) {}

  storage& store;
  persistence_options options;
  journal writes;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  std::thread reader;

  std::int64_t now_ms() const {
    if (options.clock) return options.clock();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void expire_keys() {
    try {
      store.expire_keys(now_ms());
    } catch (const storage_error&) {
      // Unreachable now: the keys are dropped at the next interval; reads skip expired ones.
    }
  }

  void run() {
    auto next_expiry = std::chrono::steady_clock::now() + options.expire_interval;
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait_until(lock, next_expiry, [&] { return stopping || !jobs.empty(); });
      if (!jobs.empty()) {
        std::function<void()> job = std::move(jobs.front());
        jobs.pop_front();
        lock.unlock();
        job();
        lock.lock();
        continue;
      }
      if (stopping) return;
      lock.unlock();
      expire_keys();
      next_expiry = std::chrono::steady_clock::now() + options.expire_interval;
      lock.lock();
    }
  }
};

persistence::persistence(storage& store, persistence_options options)
    : impl_(std::make_unique<impl>(store, std::move(options))) {
  impl_->reader = std::thread([this] { impl_->run(); });
}

persistence::~persistence() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_one();
  impl_->reader.join();
}

journal& persistence::writes() noexcept { return impl_->writes; }
storage& persistence::store() noexcept { return impl_->store; }
const persistence_options& persistence::options() const noexcept { return impl_->options; }
std::int64_t persistence::now_ms() const { return impl_->now_ms(); }

void persistence::read(std::function<void()> job) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->jobs.push_back(std::move(job));
  }
  impl_->wake.notify_one();
}

void persistence::back_off(unsigned attempt) const {
  // The reader thread waits here, no scheduler worker: a retry of a lost connection.
  std::this_thread::sleep_for(impl_->options.read_backoff * (1u << std::min(attempt - 1, 10u)));
}

}  // namespace bitactor::persist
