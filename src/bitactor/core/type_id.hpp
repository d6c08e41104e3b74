#pragma once
// A cheap runtime type identity for message dispatch: comparing two ids is a pointer compare,
// cheaper than std::type_info::operator== (which may compare mangled names).

#include <string>
#include <typeinfo>

namespace bitactor {

struct type_record {
  const std::type_info& info;
};

template <class T>
struct type_anchor {
  static constexpr type_record record{typeid(T)};
};

using type_id = const type_record*;

template <class T>
constexpr type_id type_id_of() noexcept {
  return &type_anchor<T>::record;
}

/// Readable (demangled) name of a type, for logs and crash reasons.
std::string demangle(const char* mangled);
inline std::string type_name(type_id t) { return demangle(t->info.name()); }

}  // namespace bitactor
