#include "bitactor/dist/internal/tls_context.hpp"

#include <openssl/ssl.h>

#include "bitactor/dist/dist_error.hpp"

namespace bitactor::dist::detail {

namespace ssl = boost::asio::ssl;

namespace {
template <class Load>
void load(const char* what, const std::string& file, Load&& f) {
  boost::system::error_code ec;
  f(ec);
  if (ec) {
    throw dist_error("dist_config.tls." + std::string(what) + ": cannot use '" + file +
                     "': " + ec.message());
  }
}
}  // namespace

ssl::context make_tls_context(const tls_config& c) {
  ssl::context ctx(ssl::context::tls);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::single_dh_use);
  load("certificate_file", c.certificate_file,
       [&](auto& ec) { ctx.use_certificate_chain_file(c.certificate_file, ec); });
  load("private_key_file", c.private_key_file,
       [&](auto& ec) { ctx.use_private_key_file(c.private_key_file, ssl::context::pem, ec); });
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw dist_error("dist_config.tls.private_key_file: '" + c.private_key_file +
                     "' does not match the certificate '" + c.certificate_file + "'");
  }
  if (!c.ca_file.empty()) {
    load("ca_file", c.ca_file, [&](auto& ec) { ctx.load_verify_file(c.ca_file, ec); });
  }
  ssl::verify_mode mode = ssl::verify_none;
  if (c.verify_peer) mode = ssl::verify_peer;
  if (c.require_client_certificate) mode = ssl::verify_peer | ssl::verify_fail_if_no_peer_cert;
  ctx.set_verify_mode(mode);
  return ctx;
}

}  // namespace bitactor::dist::detail
