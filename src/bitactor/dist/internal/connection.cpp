#include "bitactor/dist/internal/connection.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bitactor/dist/dist_error.hpp"
#include "bitactor/dist/internal/epmd_client.hpp"
#include "bitactor/dist/internal/flags.hpp"

namespace bitactor::dist::detail {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
std::string missing_flags(std::uint64_t have) {
  std::uint64_t missing = flags::required_of_peer & ~have;
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(missing));
  return buf;
}
}  // namespace

connection::connection(connection_owner& owner, tcp::socket socket)
    : owner_(owner),
      socket_(std::move(socket)),
      setup_timer_(socket_.get_executor()),
      tick_timer_(socket_.get_executor()),
      initiator_(false),
      reader_(owner.settings().config.max_frame_bytes) {
  if (auto* ctx = owner_.tls_context()) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *ctx);
  }
}

connection::connection(connection_owner& owner, asio::io_context& io, std::string peer)
    : owner_(owner),
      socket_(io),
      setup_timer_(io),
      tick_timer_(io),
      peer_(std::move(peer)),
      initiator_(true),
      reader_(owner.settings().config.max_frame_bytes) {
  if (auto* ctx = owner_.tls_context()) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *ctx);
  }
}

std::uint64_t connection::negotiated() const noexcept { return owner_.local_flags() & peer_flags_; }

void connection::start() {
  asio::co_spawn(
      socket_.get_executor(), [self = shared_from_this()] { return self->run(); }, asio::detached);
}

// GCC 12 mis-destroys temporaries with destructors that live across a co_await (double
// frees seen here), so the coroutines below keep such values in named locals.
asio::awaitable<void> connection::run() {
  try {
    if (initiator_) {
      co_await connect_as_initiator();
      co_await start_tls();
      co_await handshake_as_initiator();
    } else {
      co_await start_tls();
      co_await handshake_as_acceptor();
    }
    if (state_ != state::handshaking || yielded_) co_return;
    setup_timer_.cancel();
    state_ = state::up;
    writer_.configure((negotiated() & flags::dist_hdr_atom_cache) != 0,
                      (negotiated() & flags::fragments) != 0);
    last_read_ = std::chrono::steady_clock::now();
    owner_.connection_up(shared_from_this());
    if (state_ != state::up) co_return;
    write_next();
    schedule_tick();
    co_await read_frames();
  } catch (const std::exception& e) {
    close(fail_reason_.empty() ? e.what() : fail_reason_);
  }
}

void connection::arm_setup_timer() {
  // Closed meanwhile (replaced, refused, node stopping): steps that do not use the socket,
  // such as the epmd lookup, end here instead of reopening it or arming a timer.
  if (state_ == state::closed) throw dist_error("connection closed during setup");
  setup_timer_.expires_after(owner_.settings().config.setup_timeout);
  setup_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->state_ != state::handshaking) return;
    self->fail_reason_ = "connection setup timed out";
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });
}

asio::awaitable<void> connection::connect_as_initiator() {
  const auto& s = owner_.settings();
  auto parts = split_node_name(peer_);
  if (!parts) throw dist_error("not a node name: " + peer_);
  arm_setup_timer();
  const std::string host = parts->second;
  const std::string alive = parts->first;
  auto port = co_await port_please(host, s.epmd_port, alive);
  if (!port) {
    fail_reason_ = "epmd on " + parts->second + " does not know " + parts->first;
    throw dist_error(fail_reason_);
  }
  tcp::resolver resolver(socket_.get_executor());
  const std::string service = std::to_string(*port);
  auto endpoints = co_await resolver.async_resolve(host, service, asio::use_awaitable);
  arm_setup_timer();
  co_await asio::async_connect(socket_, endpoints, asio::use_awaitable);
  socket_.set_option(tcp::no_delay(true));
}

asio::awaitable<void> connection::start_tls() {
  if (!tls_) co_return;
  arm_setup_timer();
  if (initiator_) {
    // As OTP's client: the host part of the node name is the server name (SNI) and, when
    // peers are verified, what the certificate must name.
    const std::string host = split_node_name(peer_)->second;
    // SSL_set_tlsext_host_name, without the macro's C cast.
    if (SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host.c_str())) != 1) {
      throw dist_error("tls: cannot set the server name " + host);
    }
    if (owner_.settings().config.tls->verify_peer) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(host));
    }
    co_await tls_->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  } else {
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
  }
}

asio::awaitable<void> connection::read_exactly(asio::mutable_buffer into) {
  if (tls_) {
    co_await asio::async_read(*tls_, into, asio::use_awaitable);
  } else {
    co_await asio::async_read(socket_, into, asio::use_awaitable);
  }
}

asio::awaitable<std::vector<std::uint8_t>> connection::read_handshake_message() {
  arm_setup_timer();
  // inet_tls_dist frames handshake messages with 4-byte lengths, plain TCP with 2.
  std::uint8_t head[4];
  const std::size_t width = tls_ ? 4 : 2;
  co_await read_exactly(asio::buffer(head, width));
  std::size_t n = 0;
  for (std::size_t i = 0; i < width; ++i) n = (n << 8) | head[i];
  if (n > 65535) throw dist_error("handshake: a message of " + std::to_string(n) + " bytes");
  std::vector<std::uint8_t> body(n);
  co_await read_exactly(asio::buffer(body));
  co_return body;
}

asio::awaitable<void> connection::write_raw(const std::vector<std::uint8_t>& bytes) {
  arm_setup_timer();
  if (!tls_) {
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::use_awaitable);
    co_return;
  }
  std::vector<std::uint8_t> framed(bytes.size() + 2, 0);  // two more length bytes, zero
  std::copy(bytes.begin(), bytes.end(), framed.begin() + 2);
  co_await asio::async_write(*tls_, asio::buffer(framed), asio::use_awaitable);
}

asio::awaitable<void> connection::handshake_as_initiator() {
  const auto& s = owner_.settings();
  const auto hello =
      handshake::encode(handshake::send_name{owner_.local_flags(), owner_.creation(), s.node_name});
  co_await write_raw(hello);

  auto in = co_await read_handshake_message();
  auto status = handshake::parse_status(in);
  if (!status) throw dist_error("handshake: malformed status from " + peer_);
  if (*status == "alive") {
    // The peer has a live connection under our name: do not take it over.
    const auto no = handshake::encode_status("false");
    co_await write_raw(no);
    fail_reason_ = "handshake: " + peer_ + " already has a connection from this node";
    throw dist_error(fail_reason_);
  }
  if (*status == "nok") {
    // The peer is connecting to us and its attempt wins (the greater name): keep what is
    // queued and wait for that connection (controller::decide_status adopts the queue).
    yielded_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    setup_timer_.expires_after(s.config.setup_timeout);
    setup_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && self->state_ == state::handshaking) {
        self->close("handshake: " + self->peer_ + " answered nok but did not connect back");
      }
    });
    co_return;
  }
  if (*status != "ok" && *status != "ok_simultaneous") {
    fail_reason_ = "handshake: " + peer_ + " refused the connection (" + *status + ")";
    throw dist_error(fail_reason_);
  }

  in = co_await read_handshake_message();
  auto ch = handshake::parse_challenge(in);
  if (!ch) throw dist_error("handshake: malformed challenge from " + peer_);
  if (ch->name != peer_) {
    fail_reason_ = "handshake: connected to " + peer_ + " but it calls itself " + ch->name;
    throw dist_error(fail_reason_);
  }
  if ((ch->flags & flags::required_of_peer) != flags::required_of_peer) {
    fail_reason_ = "handshake: " + peer_ + " lacks required flags " + missing_flags(ch->flags);
    throw dist_error(fail_reason_);
  }
  peer_flags_ = ch->flags;
  peer_creation_ = ch->creation;

  std::uint32_t mine = handshake::new_challenge();
  const auto reply = handshake::encode(
      handshake::challenge_reply{mine, handshake::make_digest(ch->value, s.cookie)});
  co_await write_raw(reply);
  in = co_await read_handshake_message();
  auto ack = handshake::parse_ack(in);
  if (!ack || !handshake::same_digest(*ack, handshake::make_digest(mine, s.cookie))) {
    fail_reason_ = "handshake: " + peer_ + " did not prove the cookie (wrong cookie?)";
    throw dist_error(fail_reason_);
  }
}

asio::awaitable<void> connection::handshake_as_acceptor() {
  const auto& s = owner_.settings();
  auto in = co_await read_handshake_message();
  auto name = handshake::parse_send_name(in);
  if (!name) throw dist_error("handshake: malformed send_name from an accepted connection");
  peer_ = name->name;
  auto parts = split_node_name(peer_);
  if (!parts || !host_fits_mode(parts->second, s.config.mode)) {
    // BEAM: "System (NOT) running to use fully qualified hostnames".
    const auto refusal = handshake::encode_status("not_allowed");
    co_await write_raw(refusal);
    fail_reason_ = "handshake: " + peer_ + " uses the other kind of host name";
    throw dist_error(fail_reason_);
  }
  if ((name->flags & flags::required_of_peer) != flags::required_of_peer) {
    const auto refusal = handshake::encode_status("not_allowed");
    co_await write_raw(refusal);
    fail_reason_ = "handshake: " + peer_ + " lacks required flags " + missing_flags(name->flags);
    throw dist_error(fail_reason_);
  }
  peer_flags_ = name->flags;
  peer_creation_ = name->creation;

  std::string status = owner_.peer_named(shared_from_this());
  const auto status_bytes = handshake::encode_status(status);
  co_await write_raw(status_bytes);
  if (status == "alive") {
    in = co_await read_handshake_message();
    auto answer = handshake::parse_status(in);
    if (!answer || *answer != "true") {
      fail_reason_ = "handshake: " + peer_ + " gave up (a connection to it exists)";
      throw dist_error(fail_reason_);
    }
    owner_.replace_alive(shared_from_this());
  } else if (status != "ok" && status != "ok_simultaneous") {
    fail_reason_ = "handshake: refused " + peer_ + " (" + status + ")";
    throw dist_error(fail_reason_);
  }

  std::uint32_t mine = handshake::new_challenge();
  const auto challenge_bytes = handshake::encode(
      handshake::challenge{owner_.local_flags(), mine, owner_.creation(), s.node_name});
  co_await write_raw(challenge_bytes);
  in = co_await read_handshake_message();
  auto reply = handshake::parse_challenge_reply(in);
  if (!reply || !handshake::same_digest(reply->answer, handshake::make_digest(mine, s.cookie))) {
    // BEAM logs "Invalid challenge reply" and closes; so do we.
    fail_reason_ = "handshake: " + peer_ + " sent an invalid challenge reply (wrong cookie?)";
    throw dist_error(fail_reason_);
  }
  const auto ack = handshake::encode_ack(handshake::make_digest(reply->value, s.cookie));
  co_await write_raw(ack);
}

asio::awaitable<void> connection::fill(std::size_t need) {
  // What one read_some takes in: many small frames, or a good part of a large one, per call.
  constexpr std::size_t read_ahead = std::size_t{64} << 10;
  while (in_end_ - in_begin_ < need) {
    if (in_.size() - in_begin_ < need || in_end_ == in_.size()) {
      // Move what is unread to the front, and make room for `need` and some more.
      std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_),
                in_.begin() + static_cast<std::ptrdiff_t>(in_end_), in_.begin());
      in_end_ -= in_begin_;
      in_begin_ = 0;
      if (in_.size() < std::max(need, read_ahead)) in_.resize(std::max(need, read_ahead));
    }
    auto room = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
    std::size_t n = 0;
    if (tls_) {
      n = co_await tls_->async_read_some(room, asio::use_awaitable);
    } else {
      n = co_await socket_.async_read_some(room, asio::use_awaitable);
    }
    in_end_ += n;
    last_read_ = std::chrono::steady_clock::now();
  }
}

asio::awaitable<void> connection::read_frames() {
  const std::size_t max = owner_.settings().config.max_frame_bytes;
  // Frames this large skip the buffer once it holds all it has: one copy fewer.
  constexpr std::size_t large_frame = std::size_t{16} << 10;
  std::vector<std::uint8_t> payload;
  while (state_ == state::up) {
    co_await fill(4);
    const std::uint8_t* head = in_.data() + in_begin_;
    std::size_t n = (std::size_t{head[0]} << 24) | (std::size_t{head[1]} << 16) |
                    (std::size_t{head[2]} << 8) | head[3];
    in_begin_ += 4;
    if (n == 0) continue;  // a tick
    if (n > max) {
      close("frame of " + std::to_string(n) + " bytes exceeds max_frame_bytes");
      co_return;
    }
    // The reader may keep the payload (binaries refer into it): each frame gets its own.
    const std::size_t buffered = in_end_ - in_begin_;
    if (buffered < n && n >= large_frame) {
      // A large frame not yet in: what is buffered, then the rest read straight into place.
      payload.resize(n);
      std::copy_n(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_), buffered, payload.begin());
      in_begin_ = in_end_ = 0;
      co_await read_exactly(asio::buffer(payload.data() + buffered, n - buffered));
      last_read_ = std::chrono::steady_clock::now();
    } else {
      co_await fill(n);
      payload.assign(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_),
                     in_.begin() + static_cast<std::ptrdiff_t>(in_begin_ + n));
      in_begin_ += n;
      if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    }
    std::string why;
    auto f = reader_.read(payload, why);
    if (!f) {
      if (why.empty()) continue;  // a fragment; the message is not complete yet
      close("malformed frame: " + why);
      co_return;
    }
    owner_.frame_arrived(shared_from_this(), std::move(*f));
  }
}

void connection::send(std::uint64_t sender, outgoing_frame frame) {
  if (state_ == state::closed) return;
  queued_bytes_ += frame.bytes.size();
  owner_.queue_changed(shared_from_this(), queued_bytes_);
  writer_.push(sender, std::move(frame));
  if (state_ == state::up) write_next();
}

void connection::adopt_queue(connection& other) { writer_.adopt(other.writer_); }

void connection::write_next() {
  if (writing_ || state_ != state::up) return;
  inflight_.clear();
  if (!writer_.take(inflight_)) return;
  writing_ = true;
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(inflight_.size());
  for (const auto& b : inflight_) buffers.emplace_back(asio::buffer(b));
  auto written = [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    self->writing_ = false;
    self->inflight_.clear();
    if (self->state_ != state::closed) {
      self->queued_bytes_ -= std::min(n, self->queued_bytes_);
      self->owner_.queue_changed(self, self->queued_bytes_);
    }
    if (ec) {
      self->close("write failed: " + ec.message());
      return;
    }
    self->wrote_since_tick_ = true;
    if (self->finishing_ && self->writer_.empty()) {
      self->close(self->finish_reason_);
      return;
    }
    self->write_next();
  };
  if (tls_) {
    asio::async_write(*tls_, buffers, std::move(written));
  } else {
    asio::async_write(socket_, buffers, std::move(written));
  }
}

void connection::schedule_tick() {
  // net_ticktime/4, BEAM's tick interval with the default net_tickintensity.
  tick_timer_.expires_after(owner_.settings().config.net_ticktime / 4);
  tick_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_tick();
  });
}

void connection::on_tick() {
  if (state_ != state::up) return;
  auto silent = std::chrono::steady_clock::now() - last_read_;
  if (silent >= owner_.settings().config.net_ticktime) {
    close("net_ticktime: nothing read for " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()) +
          " ms");
    return;
  }
  // Tick only when nothing was written in the interval (dist_util: send_tick).
  if (!wrote_since_tick_ && !writing_ && writer_.empty()) {
    writer_.push_raw(std::vector<std::uint8_t>(4, 0));
    write_next();
  }
  wrote_since_tick_ = false;
  schedule_tick();
}

void connection::finish(const std::string& why) {
  if (state_ != state::up || (writer_.empty() && !writing_)) {
    close(why);
    return;
  }
  finishing_ = true;
  finish_reason_ = why;
  setup_timer_.expires_after(owner_.settings().config.setup_timeout);
  setup_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->close(self->finish_reason_);
  });
}

void connection::close(const std::string& why) {
  if (state_ == state::closed) return;
  state_ = state::closed;
  boost::system::error_code ignored;
  setup_timer_.cancel();
  tick_timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  writer_.clear();
  queued_bytes_ = 0;
  owner_.queue_changed(shared_from_this(), 0);
  owner_.connection_down(shared_from_this(), why);
}

}  // namespace bitactor::dist::detail
