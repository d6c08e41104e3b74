#pragma once
// Internal: the OpenSSL context of a node with TLS distribution (dist_config::tls), shared by
// its connections in both roles.

#include <boost/asio/ssl/context.hpp>

#include "bitactor/dist/dist_config.hpp"

namespace bitactor::dist::detail {

/// TLS 1.2 or later, this node's certificate and key, the CAs to verify peers with, and the
/// verify mode `c` asks for. Throws dist_error naming the file and OpenSSL's reason when one
/// cannot be read or the key does not match the certificate.
boost::asio::ssl::context make_tls_context(const tls_config& c);

}  // namespace bitactor::dist::detail
