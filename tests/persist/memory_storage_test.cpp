// memory_storage keeps the whole storage contract (storage_contract.hpp).
#include "bitactor/persist/memory_storage.hpp"

#include "storage_contract.hpp"

namespace bitactor::persist::testing {
namespace {

struct memory_backend {
  memory_storage store;
  storage& open() { return store; }
  storage& reopen() { return store; }  // the same object: memory survives only as long as it
};

INSTANTIATE_TYPED_TEST_SUITE_P(memory, storage_contract, ::testing::Types<memory_backend>);

}  // namespace
}  // namespace bitactor::persist::testing
