// The storage contract (storage_contract.hpp) on PostgreSQL: each test in a schema of its own
// on the shared test server; a reopen is a new connection to the same schema.
#include <memory>

#include "../storage_contract.hpp"
#include "bitactor/persist/postgres/postgres_storage.hpp"
#include "pg_test_server.hpp"

namespace bitactor::persist::testing {
namespace {

struct postgres_backend {
  postgres_options options = fresh_options();
  std::unique_ptr<postgres_storage> store;
  storage& open() {
    store = std::make_unique<postgres_storage>(options);
    return *store;
  }
  storage& reopen() {
    store.reset();
    return open();
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(postgres, storage_contract, ::testing::Types<postgres_backend>);

}  // namespace
}  // namespace bitactor::persist::testing
