#pragma once
// How a node joins a cluster: its name and name mode, the cookie, visibility, where it
// listens, and the timing every node of the cluster must agree on (kernel_app.html:
// net_ticktime, net_setuptime). Checked by resolve(), which throws dist_error naming the field.
//
//   bitactor::dist::dist_config c;
//   c.name = "bitactor";                // -sname bitactor: becomes bitactor@<short host>
//   c.cookie = "secret";                // otherwise ~/.erlang.cookie, as erl reads it

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace bitactor::dist {

/// erl -sname (host part without dots) or -name (host part a fully qualified name or an IP
/// address). BEAM refuses connections between the two kinds, and so does this node.
enum class name_mode { short_names, long_names };

/// TLS distribution, as erl's `-proto_dist inet_tls` speaks it: TLS (1.2 or 1.3) around the
/// same handshake and frames, so a node with TLS joins erl nodes started with
/// `-proto_dist inet_tls -ssl_dist_optfile F`, and refuses peers without TLS. Files are PEM.
struct tls_config {
  /// This node's certificate (with its chain) and private key: presented to peers that
  /// connect and, when they ask for one, to peers this node connects to.
  std::string certificate_file{};
  std::string private_key_file{};
  /// The certificate authorities a peer's certificate must chain to.
  std::string ca_file{};
  /// Check the peer's certificate: connecting, the server's, with its host name (the part of
  /// the node name after '@') against the certificate's names, as OTP's client does;
  /// accepting, a client's when it presents one. Off: anything is accepted (testing only).
  bool verify_peer = true;
  /// Mutual TLS: peers that connect must present a certificate (erl's fail_if_no_peer_cert).
  bool require_client_certificate = false;
};

struct dist_config {
  /// `alive` or `alive@host`. With short names a bare `alive` gets this machine's short host
  /// name, as -sname does; long names need the host spelled out.
  std::string name = "bitactor";
  name_mode mode = name_mode::short_names;
  /// The cookie; when unset, the content of $HOME/.erlang.cookie, created with a random
  /// cookie (mode 0400) if missing, as erl does (auth.erl).
  std::optional<std::string> cookie = std::nullopt;
  /// Hidden (the default, epmd node type 72 and no PUBLISHED flag) or visible. A visible node
  /// that does not speak `global` would block global:sync() on BEAM nodes (see the notes).
  bool hidden = true;
  /// Address and port the node accepts peers on; port 0 picks a free one.
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;
  /// epmd's port; 0 means $ERL_EPMD_PORT, else 4369 (as erl).
  std::uint16_t epmd_port = 0;
  /// Start `epmd -daemon` when none answers, as erl does.
  bool start_epmd = true;
  /// A peer silent this long is dropped; a tick goes out after net_ticktime/4 without writes.
  std::chrono::milliseconds net_ticktime = std::chrono::seconds(60);
  /// Limit on each network step of connection setup (BEAM's net_setuptime, 7 s).
  std::chrono::milliseconds setup_timeout = std::chrono::seconds(7);
  /// Frames above this many bytes close the connection that sent them; so do fragmented
  /// messages whose reassembly, alone or with the peer's other partial ones, would exceed it.
  std::size_t max_frame_bytes = std::size_t{64} << 20;
  /// A connection with more than this many bytes queued to go out is busy (BEAM's
  /// dist_buf_busy_limit, +zdbbl, 1 MiB by default): a process that sends to that node then is
  /// parked after its handler returns, until the queue is down to half the limit (at most
  /// `busy_park_limit`, after which it runs again and parks again if still busy). Sends
  /// from plain threads are not held. Nothing is dropped either way.
  std::size_t busy_limit_bytes = std::size_t{1} << 20;
  std::chrono::milliseconds busy_park_limit = std::chrono::seconds(1);
  /// TLS for every connection, in and out; nullopt: plain TCP.
  std::optional<tls_config> tls = std::nullopt;
};

/// A configuration checked and completed: the full node name, the cookie and the epmd port
/// decided.
struct resolved_dist_config {
  dist_config config;
  std::string node_name;  // alive@host
  std::string alive;      // the part before '@'
  std::string host;       // the part after '@'
  std::string cookie;
  std::uint16_t epmd_port = 4369;
};

/// Checks `c` and fills in what it leaves to the environment. Throws dist_error naming the
/// field when a value is invalid or the cookie cannot be read.
resolved_dist_config resolve(const dist_config& c);

/// Whether `host` is a valid host part for `mode`: a short name has no dot; a long one has
/// one (or is an IP address). The rule BEAM applies to peers (dist_util, net_kernel).
bool host_fits_mode(std::string_view host, name_mode mode);

/// Splits `alive@host`; nullopt when there is no '@' or either part is empty.
std::optional<std::pair<std::string, std::string>> split_node_name(std::string_view name);

}  // namespace bitactor::dist
