#pragma once
// The storage's connections: at most options.pool_size, each prepared with every statement,
// handed to one caller at a time. A caller beyond pool_size waits for one to come back.
//
// A pool rather than one connection behind a mutex: concurrent writers then commit
// concurrently, and the server flushes their commits' WAL together (one fsync for several
// commits) instead of one after another.
//
// (Re)connecting retries with exponential backoff (initial_backoff, doubling up to
// max_backoff) until the caller's deadline; a connection that broke is dropped when given
// back, so the next caller connects afresh.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bitactor/persist/postgres/internal/connection.hpp"
#include "bitactor/persist/postgres/postgres_storage.hpp"

namespace bitactor::persist::postgres_internal {

class connection_pool {
 public:
  using clock = std::chrono::steady_clock;

  /// Validates the options, connects the first connection and creates the schema if missing
  /// (throws storage_error: retryable when the server cannot be reached within the budget).
  explicit connection_pool(postgres_options options);
  ~connection_pool();

  /// One connection, for one caller.
  class lease {
   public:
    lease(connection_pool& pool, std::unique_ptr<connection> c) : pool_(&pool), c_(std::move(c)) {}
    lease(lease&& other) noexcept = default;
    lease& operator=(lease&&) = delete;
    lease(const lease&) = delete;
    ~lease();
    connection& operator*() const noexcept { return *c_; }
    connection* operator->() const noexcept { return c_.get(); }
    /// Drops the connection instead of giving it back (it broke, or its state is unknown).
    void discard() noexcept;

   private:
    connection_pool* pool_;
    std::unique_ptr<connection> c_;
  };

  /// A connection: an idle one, a new one while fewer than pool_size exist, else the next one
  /// given back. Connecting is retried with backoff until `deadline`; then throws
  /// storage_error (retryable) naming the host and port.
  lease acquire(clock::time_point deadline);

  const postgres_options& options() const noexcept { return options_; }
  /// The deadline of a call starting now.
  clock::time_point deadline() const { return clock::now() + options_.retry_budget; }
  /// Pauses before the next attempt of a call: the backoff after `attempt` failures, never
  /// past `deadline`. Returns false when the deadline has passed.
  bool pause(int attempt, clock::time_point deadline) const;

  const std::string& quoted_schema() const noexcept { return quoted_schema_; }

 private:
  std::unique_ptr<connection> connect(clock::time_point deadline);
  std::unique_ptr<connection> connect_once();
  void create_schema(connection& c);
  void give_back(std::unique_ptr<connection> c) noexcept;

  postgres_options options_;
  std::string quoted_schema_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::size_t open_ = 0;  // connections in use or idle, or being made
};

}  // namespace bitactor::persist::postgres_internal
