#pragma once
// The memory this test process holds, for tests that a fault's memory is given back.

#include <unistd.h>

#include <cstddef>
#include <fstream>

namespace bitactor::test {

/// Resident set size of this process, in bytes (/proc/self/statm).
inline std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

/// Whether freed memory leaves the process soon enough to be seen in resident_bytes(). Not
/// under the sanitizers: ASan holds freed blocks in its quarantine (256 MB by default) so that a
/// use after free is caught, and TSan's allocator keeps its own caches.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool freed_memory_leaves_the_process = false;
#else
inline constexpr bool freed_memory_leaves_the_process = true;
#endif

}  // namespace bitactor::test
