#pragma once
// Internal: the C++ types a distributed node sends and receives as terms
// (distributed_node::register_codec, term/codec.hpp), by type for messages going out and by
// tag for terms coming in. Registered at any time, read from any thread.

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "bitactor/core/message.hpp"
#include "bitactor/core/type_id.hpp"
#include "bitactor/term/term.hpp"

namespace bitactor::dist::detail {

class codec_registry {
 public:
  /// The term of a message of the codec's type.
  using encoder = std::function<term::term(const message&)>;
  /// A new message of the codec's type for a term with its tag; nullptr when the term is not
  /// one after all.
  using decoder = std::function<message*(const term::term&)>;

  /// Throws std::invalid_argument when the type or the tag has a codec already, or the tag
  /// is empty.
  void add(type_id type, std::string tag, encoder encode, decoder decode);

  /// The term form of `m`, when its type has a codec.
  std::optional<term::term> encode(const message& m) const;
  /// A message of the type whose tag `t` has, when that codec takes it; else nullptr.
  message* decode(const term::term& t) const;

 private:
  struct entry {
    encoder encode;
    decoder decode;
  };
  std::atomic<bool> any_{false};  // nothing registered: no lock on the message path
  mutable std::shared_mutex lock_;
  std::map<type_id, std::string> tags_by_type_;
  std::map<std::string, entry, std::less<>> by_tag_;
};

}  // namespace bitactor::dist::detail
