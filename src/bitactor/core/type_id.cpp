#include "bitactor/core/type_id.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <unordered_map>

namespace bitactor {

std::string demangle(const char* mangled) {
  // Crash reasons name the exception's type, so a crash loop demangles the same few names
  // over and over; __cxa_demangle costs as much as the rest of a restart. Cache per thread
  // (type names live as long as the program; the set of types is small).
  thread_local std::unordered_map<const char*, std::string> cache;
  if (auto it = cache.find(mangled); it != cache.end()) return it->second;
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && out ? std::string(out.get()) : std::string(mangled);
  if (cache.size() < 4096) cache.emplace(mangled, name);
  return name;
}

}  // namespace bitactor
