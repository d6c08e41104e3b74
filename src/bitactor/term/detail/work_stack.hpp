// An explicit stack for walking nested terms without recursion. Internal.
//
// Terms can nest as deep as memory allows (a list whose only element is a list, 100,000
// times over), so every walk over a term (destroy, compare, hash, encode, print) keeps its
// pending work here instead of on the C++ stack. The first few frames live inline, so a walk
// over a shallow term allocates nothing.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

namespace bitactor::term::detail {

template <class T, std::size_t Inline = 16>
class work_stack {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  work_stack() noexcept = default;
  work_stack(const work_stack&) = delete;
  work_stack& operator=(const work_stack&) = delete;

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The top frame; valid until the next push().
  T& top() noexcept { return data_[size_ - 1]; }
  void pop() noexcept { --size_; }
  T take() noexcept { return data_[--size_]; }
  void push(const T& v) {
    if (size_ == capacity_) grow();
    data_[size_++] = v;
  }

 private:
  void grow() {
    std::size_t cap = capacity_ * 2;
    std::unique_ptr<T[]> bigger(new T[cap]);
    std::memcpy(static_cast<void*>(bigger.get()), data_, size_ * sizeof(T));
    heap_ = std::move(bigger);
    data_ = heap_.get();
    capacity_ = cap;
  }

  alignas(T) unsigned char inline_[Inline * sizeof(T)];
  T* data_ = std::launder(reinterpret_cast<T*>(inline_));
  std::size_t size_ = 0;
  std::size_t capacity_ = Inline;
  std::unique_ptr<T[]> heap_;
};

}  // namespace bitactor::term::detail
