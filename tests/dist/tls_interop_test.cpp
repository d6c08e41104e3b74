// TLS distribution against a real erl started with `-proto_dist inet_tls` (OTP 25, Debian's
// erlang-ssl): certificates verified both ways, erl requiring ours (mutual TLS), ping, messages
// and rpc both ways; and the refusals: an untrusted certificate, a certificate for another
// host, a peer without TLS, bad files at start. A refused connection leaves both nodes running.
#include <gtest/gtest.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/internal/flags.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/term/print.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <thread>

#include "dist_test_support.hpp"
#include "tls_support.hpp"

using namespace bitactor;
using namespace bitactor::dist;
using namespace bitactor::dist::testing;
namespace t = bitactor::term;

namespace {

t::term atom(const char* a) { return t::atom(a); }

// Whether a TLS client with no certificate of its own completes a TLS handshake with the node
// listening on `port` (a blocking client, for the mutual TLS check).
bool anonymous_client_handshakes(std::uint16_t port, const std::string& ca_file) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, ctx);
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return false;
  // TLS 1.3 settles client authentication after the client's handshake ends: the server's
  // verdict comes as an alert on the first read.
  std::uint8_t byte = 0;
  stream.read_some(asio::buffer(&byte, 1), ec);
  // Refused: an alert (OpenSSL's category). Accepted: the node waits for the distribution
  // handshake and, when the setup timeout ends, closes without one (truncated or eof).
  return ec.category() != asio::error::get_ssl_category();
}

class dist_tls : public erl_peer_suite<dist_tls> {
 public:
  static constexpr const char* peer_name = "tlspeer@localhost";
  static constexpr const char* cookie = "dist_tls_cookie";
  static std::vector<std::string> extra_erl_args() {
    pki_ = std::make_unique<test_pki>();
    return {"-proto_dist", "inet_tls", "-ssl_dist_optfile", pki_->erl_options("node", "ca")};
  }
  static void TearDownTestSuite() {
    erl_peer_suite<dist_tls>::TearDownTestSuite();
    pki_.reset();
  }

 protected:
  /// A node with TLS, presenting `cert` and trusting `ca`.
  static dist_config tls_config_for(const std::string& alive, const std::string& cert = "node",
                                    const std::string& ca = "ca") {
    dist_config c = config_for(alive);
    c.tls = tls_config{.certificate_file = pki_->cert(cert),
                       .private_key_file = pki_->key(cert),
                       .ca_file = pki_->cert(ca)};
    return c;
  }

  static inline std::unique_ptr<test_pki> pki_;
};

}  // namespace

TEST_F(dist_tls, a_tls_node_and_erl_ping_send_and_rpc_both_ways) {
  dist_config c = tls_config_for("tls_both");
  c.tls->require_client_certificate = true;  // erl must present its certificate too
  distributed_node dn(c, two_workers());
  dn.register_rpc("calc", "twice", 1,
                  [](std::span<const t::term> args) { return t::term(args[0].as_int() * 2); });
  inbox box(dn.local());
  dn.local().register_name("box", box.self());

  EXPECT_TRUE(erl_->call(t::tuple(atom("ping"), t::atom(dn.name()))).is_atom("pong"));
  EXPECT_EQ(dn.nodes(), std::vector<std::string>{erl_->name()});
  erl_->call(t::tuple(atom("send"), t::tuple(atom("box"), t::atom(dn.name())), atom("over_tls")));
  auto m = box.receive<t::term>(10s);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_atom("over_tls"));
  EXPECT_EQ(erl_->call(t::tuple(atom("rpc"), t::atom(dn.name()), atom("calc"), atom("twice"),
                                t::list(21), 30000)),
            t::term(42));

  // And out: this node connects to erl (erl verifies our certificate; we verify erl's and its
  // host name).
  ASSERT_TRUE(dn.disconnect(erl_->name()));
  EXPECT_TRUE(eventually([&] { return dn.nodes().empty(); }));
  EXPECT_TRUE(dn.ping(erl_->name()));
  EXPECT_EQ(dn.rpc(erl_->name(), "lists", "reverse", {t::list(1, 2)}), t::list(2, 1));
  // A message large enough to go as fragments crosses TLS whole.
  const t::term big = t::binary(std::string(200'000, 'b'));
  dn.send(from_term(erl_->inbox().as_pid()), t::tuple(atom("big"), big));
  auto got = erl_->receive(20s);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, t::tuple(atom("big"), big));
}

TEST_F(dist_tls, a_certificate_from_an_untrusted_ca_is_refused_both_ways) {
  distributed_node rogue(tls_config_for("tls_rogue", "rogue", "ca"), two_workers());
  EXPECT_FALSE(rogue.ping(erl_->name(), 10s));
  EXPECT_TRUE(erl_->call(t::tuple(atom("ping"), t::atom(rogue.name()))).is_atom("pang"));
  // A node that trusts only the rogue CA refuses erl's certificate.
  distributed_node wary(tls_config_for("tls_wary", "rogue", "rogue_ca"), two_workers());
  EXPECT_FALSE(wary.ping(erl_->name(), 10s));
  // Neither refusal touched anyone else.
  distributed_node good(tls_config_for("tls_good"), two_workers());
  EXPECT_TRUE(good.ping(erl_->name()));
  EXPECT_TRUE(rogue.nodes().empty());
}

TEST_F(dist_tls, the_servers_certificate_must_name_its_host) {
  // Both certificates come from the trusted CA; b's names another host.
  distributed_node a(tls_config_for("tls_a"), two_workers());
  distributed_node b(tls_config_for("tls_b", "elsewhere"), two_workers());
  EXPECT_FALSE(a.ping(b.name(), 10s));
  // Without verification (testing only) the same connection is made.
  dist_config lax = tls_config_for("tls_lax");
  lax.tls->verify_peer = false;
  distributed_node c(lax, two_workers());
  EXPECT_TRUE(c.ping(b.name()));
}

TEST_F(dist_tls, a_peer_without_tls_gets_no_connection) {
  // Each side waits for a handshake message the other never sends: the setup timeout (short
  // here) ends it.
  dist_config tls_only = tls_config_for("tls_only");
  dist_config plain_tcp = config_for("plain_tcp");
  tls_only.setup_timeout = plain_tcp.setup_timeout = 1s;
  distributed_node tls(tls_only, two_workers());
  distributed_node plain(plain_tcp, two_workers());
  EXPECT_FALSE(plain.ping(tls.name(), 10s));
  EXPECT_FALSE(tls.ping(plain.name(), 10s));
  // A raw peer speaking the plain handshake to the TLS node is closed.
  EXPECT_THROW(raw_peer(tls.port(), "raw_tcp@localhost", tls.name(), cookie, flags::advertised),
               std::runtime_error);
  EXPECT_TRUE(tls.ping(erl_->name()));
}

TEST_F(dist_tls, bad_tls_files_fail_the_start_naming_the_file) {
  auto start_error = [&](dist_config c) -> std::string {
    try {
      distributed_node dn(std::move(c), two_workers());
    } catch (const dist_error& e) {
      return e.what();
    }
    return "started";
  };
  dist_config missing = tls_config_for("tls_missing");
  missing.tls->certificate_file = pki_->dir() + "/nope.pem";
  EXPECT_NE(start_error(missing).find("certificate_file"), std::string::npos);
  dist_config mismatched = tls_config_for("tls_mismatch");
  mismatched.tls->private_key_file = pki_->key("rogue");
  const std::string why = start_error(mismatched);
  EXPECT_NE(why.find("private_key_file"), std::string::npos) << why;
  dist_config no_ca = tls_config_for("tls_noca");
  no_ca.tls->ca_file.clear();
  EXPECT_NE(start_error(no_ca).find("ca_file"), std::string::npos);
}

TEST_F(dist_tls, mutual_tls_refuses_a_client_without_a_certificate) {
  dist_config strict = tls_config_for("tls_strict");
  strict.tls->require_client_certificate = true;
  strict.setup_timeout = 1s;  // the anonymous client below never sends a name
  distributed_node s(strict, two_workers());
  EXPECT_FALSE(anonymous_client_handshakes(s.port(), pki_->cert("ca")));
  dist_config open = tls_config_for("tls_open");
  open.setup_timeout = 1s;
  distributed_node o(open, two_workers());
  EXPECT_TRUE(anonymous_client_handshakes(o.port(), pki_->cert("ca")));
}
