#pragma once
// memory_storage: a storage (storage.hpp) held in this process's memory, for tests and
// examples. It keeps the whole contract (gap-free sequences, atomic batches, snapshots,
// deletions that keep the highest sequence, idempotency keys) but nothing survives the
// object: it is not a journal for data that must outlive the process.

#include <map>
#include <memory>
#include <mutex>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist {

class memory_storage final : public storage {
 public:
  memory_storage();
  ~memory_storage() override;

  void write(const write_batch& batch, bool sync) override;
  std::vector<stored_event> read_events(
      std::string_view persistence_id, std::uint64_t from,
      std::uint64_t to = std::numeric_limits<std::uint64_t>::max()) override;
  std::uint64_t highest_sequence(std::string_view persistence_id) override;
  std::optional<stored_snapshot> latest_snapshot(std::string_view persistence_id) override;
  std::optional<idempotency_record> find_key(std::string_view persistence_id,
                                             std::string_view key) override;
  std::size_t expire_keys(std::int64_t now_ms) override;

 private:
  struct stream;
  std::mutex mutex_;
  std::map<std::string, stream, std::less<>> streams_;
};

}  // namespace bitactor::persist
