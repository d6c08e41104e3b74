#pragma once
// Internal: one connection to a peer node. It runs the handshake (as initiator or acceptor),
// then a reader (frame_reader: headers, the atom cache, fragments) and a single writer
// (frame_writer: each sender's frames in order, large messages as fragments interleaved with
// other senders' frames), and the tick timer, all on the distribution's io_context thread,
// over TCP or TLS (inet_tls_dist: TLS first, then the same handshake and frames);
// nothing here runs on a scheduler worker. Frames queued before the handshake completes go
// out, in order, once it does.

// clang-format off
#include <utility>  // before Boost 1.81's awaitable.hpp, which uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bitactor/dist/dist_config.hpp"
#include "bitactor/dist/internal/control.hpp"
#include "bitactor/dist/internal/frame_reader.hpp"
#include "bitactor/dist/internal/frame_writer.hpp"
#include "bitactor/dist/internal/handshake.hpp"

namespace bitactor::dist::detail {

class connection;

/// What a connection needs from the node's distribution (called on the io thread).
class connection_owner {
 public:
  virtual ~connection_owner() = default;
  virtual const resolved_dist_config& settings() const = 0;
  virtual std::uint32_t creation() const = 0;
  virtual std::uint64_t local_flags() const = 0;
  /// The TLS context of every connection (dist_config::tls), or nullptr for plain TCP.
  virtual boost::asio::ssl::context* tls_context() = 0;
  /// Acceptor side: the peer has named itself. Returns the status to send: ok,
  /// ok_simultaneous, nok, not_allowed or alive.
  virtual std::string peer_named(const std::shared_ptr<connection>& c) = 0;
  /// Acceptor side, after status alive: the peer confirmed (true) that the old connection
  /// under its name is to be replaced.
  virtual void replace_alive(const std::shared_ptr<connection>& c) = 0;
  virtual void connection_up(const std::shared_ptr<connection>& c) = 0;
  virtual void frame_arrived(const std::shared_ptr<connection>& c, control_frame f) = 0;
  virtual void connection_down(const std::shared_ptr<connection>& c, const std::string& why) = 0;
  /// `c` holds `bytes` of frames queued or being written now (after a send, a write, a close).
  virtual void queue_changed(const std::shared_ptr<connection>& c, std::size_t bytes) = 0;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  /// A connection accepted on the listen socket; the peer's name comes in the handshake.
  connection(connection_owner& owner, boost::asio::ip::tcp::socket socket);
  /// A connection this node opens to `peer` (alive@host).
  connection(connection_owner& owner, boost::asio::io_context& io, std::string peer);

  void start();
  /// Queues a frame of `sender` (a key for the sending process, 0 for none): each sender's
  /// frames go out in the order queued.
  void send(std::uint64_t sender, outgoing_frame frame);
  /// Closes at once; connection_down follows (once).
  void close(const std::string& why);
  /// Closes once the queued frames are written (at most setup_timeout from now).
  void finish(const std::string& why);
  /// Takes over the frames `other` had queued (simultaneous connect: the other attempt lost).
  void adopt_queue(connection& other);

  const std::string& peer_name() const noexcept { return peer_; }
  bool initiator() const noexcept { return initiator_; }
  bool is_up() const noexcept { return state_ == state::up; }
  bool closed() const noexcept { return state_ == state::closed; }
  /// An attempt the peer answered `nok`: its own attempt to us wins; this one only holds the
  /// queue until that connection arrives (or setup_timeout passes).
  bool yielded() const noexcept { return yielded_ && state_ == state::handshaking; }
  std::uint64_t peer_flags() const noexcept { return peer_flags_; }
  std::uint32_t peer_creation() const noexcept { return peer_creation_; }
  /// Flags both sides have (the AND of the two words).
  std::uint64_t negotiated() const noexcept;

 private:
  enum class state { handshaking, up, closed };
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> connect_as_initiator();
  boost::asio::awaitable<void> handshake_as_initiator();
  boost::asio::awaitable<void> handshake_as_acceptor();
  /// With TLS: the TLS handshake, in this connection's role (before the distribution's).
  boost::asio::awaitable<void> start_tls();
  boost::asio::awaitable<std::vector<std::uint8_t>> read_handshake_message();
  /// Writes a handshake message as handshake::encode built it (2-byte length); over TLS with
  /// the 4-byte length inet_tls_dist uses.
  boost::asio::awaitable<void> write_raw(const std::vector<std::uint8_t>& bytes);
  /// Reads exactly the buffer's size, through TLS when there is TLS.
  boost::asio::awaitable<void> read_exactly(boost::asio::mutable_buffer into);
  boost::asio::awaitable<void> read_frames();
  /// Reads until at least `need` bytes are buffered in in_ (one read_some takes what has
  /// come, up to 64 KiB: not two reads per frame).
  boost::asio::awaitable<void> fill(std::size_t need);
  void arm_setup_timer();
  void schedule_tick();
  void on_tick();
  void write_next();

  connection_owner& owner_;
  boost::asio::ip::tcp::socket socket_;
  // TLS over socket_ (dist_config::tls); null for plain TCP.
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer setup_timer_;
  boost::asio::steady_timer tick_timer_;
  std::string peer_;
  bool initiator_;
  state state_ = state::handshaking;
  std::string fail_reason_;
  std::uint64_t peer_flags_ = 0;
  std::uint32_t peer_creation_ = 0;

  frame_reader reader_;
  std::vector<std::uint8_t> in_;  // bytes read and not yet taken: [in_begin_, in_end_)
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  frame_writer writer_;
  std::vector<std::vector<std::uint8_t>> inflight_;  // what the write in progress writes
  // Bytes of frames sent and not yet written (as pushed: headers and fragmenting change the
  // count on the wire by a little), for the busy limit.
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool finishing_ = false;
  bool yielded_ = false;
  std::string finish_reason_;
  bool wrote_since_tick_ = false;
  std::chrono::steady_clock::time_point last_read_;
};

}  // namespace bitactor::dist::detail
