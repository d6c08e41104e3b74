#include "bitactor/persist/storage.hpp"

#include <exception>

namespace bitactor::persist {

storage_failure storage_failure::of_current_exception() {
  using k = storage_failure::kind;
  try {
    throw;
  } catch (const sequence_conflict& e) {
    return {k::conflict, e.what(), e.retryable()};
  } catch (const corrupt_record& e) {
    return {k::corrupt, e.what(), e.retryable()};
  } catch (const storage_error& e) {
    return {k::storage, e.what(), e.retryable()};
  } catch (const std::exception& e) {
    return {k::other, e.what(), false};
  } catch (...) {
    return {k::other, "an exception that is no std::exception", false};
  }
}

}  // namespace bitactor::persist
