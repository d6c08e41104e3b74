#pragma once
// Internal: where message envelopes come from. Every send allocates one envelope and every
// handled message frees one, so the allocator sits on the hottest path of the runtime. glibc's
// per-thread cache holds only 7 blocks per size, which a burst of sends empties at once; this
// pool keeps up to `bytes_per_class` of freed envelopes per 16-byte size class per thread and
// hands them back without a locked instruction. A block freed on another thread than the one
// that allocated it simply joins the freeing thread's pool (or goes back to malloc when that
// pool is full). Under AddressSanitizer the pool is bypassed so use-after-free stays visible.

#include <cstddef>

namespace bitactor::detail::message_pool {

/// False under AddressSanitizer: every block then goes straight to malloc and free.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool enabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool enabled = false;
#else
inline constexpr bool enabled = true;
#endif
#else
inline constexpr bool enabled = true;
#endif

/// The largest envelope (in bytes) the pool keeps; larger ones go straight to malloc.
inline constexpr std::size_t largest_pooled = 512;
/// What one thread keeps per size class (so at most 1 MiB per thread in all).
inline constexpr std::size_t bytes_per_class = 32 * 1024;

/// Memory for an envelope of `size` bytes (aligned for any scalar type). Throws bad_alloc.
void* allocate(std::size_t size);

/// Returns memory from allocate(size); `size` must be the same value.
void deallocate(void* block, std::size_t size) noexcept;

}  // namespace bitactor::detail::message_pool
