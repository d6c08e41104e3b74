#pragma once
// The sequence rule every backend enforces before it stores a write_batch (storage.hpp): each
// append starts one past the highest stored sequence of its persistence id, counting the
// appends before it in the same batch.

#include <map>
#include <string>

#include "bitactor/persist/storage.hpp"

namespace bitactor::persist::detail {

/// Throws sequence_conflict naming the id, the append's first sequence and the expected one
/// if an append of `batch` does not follow; `stored_highest(id)` reads the backend.
template <class HighestOf>
void check_sequences(const write_batch& batch, HighestOf&& stored_highest) {
  std::map<std::string, std::uint64_t, std::less<>> highest;
  for (const auto& a : batch.appends) {
    auto it = highest.find(a.persistence_id);
    if (it == highest.end()) {
      it = highest.emplace(a.persistence_id, stored_highest(a.persistence_id)).first;
    }
    if (a.first_sequence != it->second + 1) {
      throw sequence_conflict("persistence id '" + a.persistence_id + "': append at sequence " +
                                  std::to_string(a.first_sequence) + " but the next one is " +
                                  std::to_string(it->second + 1),
                              false);
    }
    it->second += a.events.size();
  }
}

}  // namespace bitactor::persist::detail
