#pragma once
// Memory for small objects made and freed at message rate: message envelopes, and the frames
// of otp's behaviour coroutines. Blocks come from a per-thread pool of freed blocks in 16-byte
// size classes, so taking and giving one back costs no locked instruction; a block may be
// given back on any thread. Blocks over 512 bytes, and every block under AddressSanitizer
// (so use-after-free stays visible), go straight to malloc and free.

#include <cstddef>

namespace bitactor {

/// Memory for `size` bytes, aligned for any scalar type. Throws std::bad_alloc.
void* pooled_allocate(std::size_t size);

/// Gives back memory from pooled_allocate(size); `size` must be the value passed there.
void pooled_deallocate(void* block, std::size_t size) noexcept;

}  // namespace bitactor
