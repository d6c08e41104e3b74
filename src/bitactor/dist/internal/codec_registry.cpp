#include "bitactor/dist/internal/codec_registry.hpp"

#include <mutex>
#include <stdexcept>

#include "bitactor/term/codec.hpp"

namespace bitactor::dist::detail {

void codec_registry::add(type_id type, std::string tag, encoder encode, decoder decode) {
  if (tag.empty()) throw std::invalid_argument("register_codec: an empty tag");
  std::unique_lock guard(lock_);
  if (auto it = tags_by_type_.find(type); it != tags_by_type_.end()) {
    throw std::invalid_argument("register_codec: " + type_name(type) +
                                " has a codec already (tag '" + it->second + "')");
  }
  if (by_tag_.count(tag) != 0) {
    throw std::invalid_argument("register_codec: the tag '" + tag + "' of " + type_name(type) +
                                " is another type's");
  }
  tags_by_type_.emplace(type, tag);
  by_tag_.emplace(std::move(tag), entry{std::move(encode), std::move(decode)});
  any_.store(true, std::memory_order_release);
}

std::optional<term::term> codec_registry::encode(const message& m) const {
  if (!any_.load(std::memory_order_acquire)) return std::nullopt;
  std::shared_lock guard(lock_);
  auto type = tags_by_type_.find(m.type());
  if (type == tags_by_type_.end()) return std::nullopt;
  return by_tag_.find(type->second)->second.encode(m);
}

message* codec_registry::decode(const term::term& t) const {
  if (!any_.load(std::memory_order_acquire)) return nullptr;
  const std::string_view tag = term::tag_of(t);
  if (tag.empty()) return nullptr;
  std::shared_lock guard(lock_);
  auto it = by_tag_.find(tag);
  if (it == by_tag_.end()) return nullptr;
  try {
    return it->second.decode(t);
  } catch (...) {
    return nullptr;  // a decoder that throws leaves the term as it came: nothing is lost
  }
}

}  // namespace bitactor::dist::detail
