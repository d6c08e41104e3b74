#pragma once
// A message is a typed C++ value moved (never copied) into the receiver's mailbox. The
// envelope is one allocation: the mailbox link, the type id and the value side by side.
// Handlers dispatch on type with get_if<T>() or match(...).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "bitactor/core/pooled_memory.hpp"
#include "bitactor/core/type_id.hpp"

namespace bitactor {

namespace detail {
class mpsc_queue;
class process;
class runtime;
struct mailbox_node {
  std::atomic<mailbox_node*> next{nullptr};
};
}  // namespace detail

class message;
class actor;

/// Owns a message taken out of the runtime's hands (see actor::keep()).
struct message_deleter {
  void operator()(message* m) const noexcept;
};
using message_ptr = std::unique_ptr<message, message_deleter>;

class message : public detail::mailbox_node {
 public:
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  virtual ~message() = default;

  // Envelopes come from the runtime's pool (pooled_memory.hpp); the virtual destructor
  // passes the concrete type's size back.
  static void* operator new(std::size_t size) { return pooled_allocate(size); }
  static void operator delete(void* block, std::size_t size) noexcept {
    pooled_deallocate(block, size);
  }

  type_id type() const noexcept { return type_; }
  std::string type_name() const { return bitactor::type_name(type_); }

  template <class T>
  bool is() const noexcept {
    return type_ == type_id_of<T>();
  }

  /// The value if this message holds a T, else nullptr.
  template <class T>
  T* get_if() noexcept;

  /// Calls the first handler whose (single) parameter type matches the message's type.
  /// Returns false when none matched. Handlers take `T&`, `const T&` or `T`.
  template <class... Handlers>
  bool match(Handlers&&... handlers);

 protected:
  explicit message(type_id t, bool system = false) noexcept : type_(t), system_(system) {}

 private:
  friend class detail::runtime;
  friend class detail::process;
  friend class detail::mpsc_queue;
  type_id type_;
  std::uint32_t target_serial_ = 0;  // the incarnation of the slot it was sent to
  bool system_ = false;              // a runtime signal (link, monitor, exit), not user data
};

template <class T>
class message_of final : public message {
 public:
  template <class... Args>
  explicit message_of(std::in_place_t, Args&&... args)
      : message(type_id_of<T>()), value(std::forward<Args>(args)...) {}
  T value;
};

template <class T, class... Args>
message* make_message(Args&&... args) {
  // send(p, "text") would send a pointer into the sender's memory, which is no value a
  // receiver can own or match on: say std::string("text") (or a term) instead.
  static_assert(!std::is_same_v<T, const char*> && !std::is_same_v<T, char*>,
                "a message cannot be a C string pointer: send std::string(...) instead");
  return new message_of<T>(std::in_place, std::forward<Args>(args)...);
}

template <class T>
T* message::get_if() noexcept {
  return is<T>() ? &static_cast<message_of<T>*>(this)->value : nullptr;
}

inline void message_deleter::operator()(message* m) const noexcept { delete m; }

namespace detail {
template <class F>
struct handler_traits : handler_traits<decltype(&std::remove_cvref_t<F>::operator())> {};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A) const> {
  using arg = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A)> {
  using arg = std::remove_cvref_t<A>;
};
template <class R, class A>
struct handler_traits<R (*)(A)> {
  using arg = std::remove_cvref_t<A>;
};
}  // namespace detail

template <class... Handlers>
bool message::match(Handlers&&... handlers) {
  bool matched = false;
  auto try_one = [&](auto&& h) {
    using arg = typename detail::handler_traits<decltype(h)>::arg;
    if (!matched && is<arg>()) {
      matched = true;
      h(static_cast<message_of<arg>*>(this)->value);
    }
  };
  (try_one(std::forward<Handlers>(handlers)), ...);
  return matched;
}

}  // namespace bitactor
