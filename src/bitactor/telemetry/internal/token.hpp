#pragma once
// The bearer token of the HTTP endpoint: made from OpenSSL's CSPRNG, checked in constant time.

#include <string>
#include <string_view>

namespace bitactor::telemetry::detail {

/// 32 random bytes as 64 lowercase hex digits.
std::string generate_token();

/// Whether an Authorization header value is "Bearer <token>" (scheme case-insensitive). The
/// comparison takes the same time wherever the tokens differ; only the length may show.
bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

}  // namespace bitactor::telemetry::detail
