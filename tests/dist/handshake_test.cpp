// Handshake messages as bytes (erl_dist_protocol.html, "Distribution Handshake") and the
// cookie digest (dist_util:gen_digest/2).
#include <gtest/gtest.h>

#include <bitactor/dist/internal/flags.hpp>
#include <bitactor/dist/internal/handshake.hpp>

using namespace bitactor::dist;
using namespace bitactor::dist::handshake;

namespace {
std::vector<std::uint8_t> body(std::vector<std::uint8_t> framed) {
  EXPECT_GE(framed.size(), 2u);
  EXPECT_EQ((std::size_t{framed[0]} << 8 | framed[1]), framed.size() - 2);
  return {framed.begin() + 2, framed.end()};
}
std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
}  // namespace

TEST(handshake, send_name_has_the_layout_beam_sends) {
  // As captured from BEAM 25: 78 | flags:8 | creation:4 | nlen:2 | name.
  auto b = body(encode(send_name{0x0000000D07DF7FBD, 0x6B031BDB, "a@localhost"}));
  std::vector<std::uint8_t> want = {78, 0, 0, 0, 13, 7, 223, 127, 189, 107, 3, 27, 219, 0, 11};
  auto name = bytes("a@localhost");
  want.insert(want.end(), name.begin(), name.end());
  EXPECT_EQ(b, want);
  auto back = parse_send_name(b);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->flags, 0x0000000D07DF7FBDull);
  EXPECT_EQ(back->creation, 0x6B031BDBu);
  EXPECT_EQ(back->name, "a@localhost");
}

TEST(handshake, messages_round_trip) {
  auto ch = parse_challenge(body(encode(challenge{flags::advertised, 12345, 7, "b@h"})));
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->flags, flags::advertised);
  EXPECT_EQ(ch->value, 12345u);
  EXPECT_EQ(ch->creation, 7u);
  EXPECT_EQ(ch->name, "b@h");
  digest d = make_digest(1, "c");
  auto r = parse_challenge_reply(body(encode(challenge_reply{99, d})));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, 99u);
  EXPECT_EQ(r->answer, d);
  EXPECT_EQ(parse_ack(body(encode_ack(d))), d);
  EXPECT_EQ(parse_status(body(encode_status("ok_simultaneous"))), "ok_simultaneous");
}

TEST(handshake, malformed_messages_are_rejected) {
  EXPECT_FALSE(parse_send_name(bytes("N")));
  auto good = body(encode(send_name{1, 2, "a@b"}));
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(parse_send_name({good.data(), n})) << "truncated at " << n;
  }
  auto old = good;
  old[0] = 'n';  // version 5 send_name, refused as OTP 25.0-25.2 do
  EXPECT_FALSE(parse_send_name(old));
  EXPECT_FALSE(parse_send_name(body(encode(send_name{1, 2, "nohost"}))));
  EXPECT_FALSE(parse_challenge_reply(bytes("r123")));
  EXPECT_FALSE(parse_ack(bytes("a")));
  EXPECT_FALSE(parse_status(bytes("")));
}

TEST(handshake, digest_is_md5_of_cookie_then_decimal_challenge) {
  // erlang:md5(["secret"|integer_to_list(4294967295)]) in erl 25: the challenge is unsigned.
  digest d = make_digest(4294967295u, "secret");
  digest want = {93, 253, 24, 30, 105, 170, 88, 124, 200, 18, 235, 51, 62, 101, 54, 182};
  EXPECT_EQ(d, want);
  EXPECT_TRUE(same_digest(d, want));
  want[15] ^= 1;
  EXPECT_FALSE(same_digest(d, want));
  EXPECT_NE(make_digest(1, "a"), make_digest(1, "b"));
}

TEST(handshake, advertised_flags_hold_the_otp_25_and_26_mandatory_sets) {
  EXPECT_EQ(flags::mandatory_25, 0x1070F94u);
  EXPECT_EQ(flags::advertised & flags::mandatory_26, flags::mandatory_26);
  EXPECT_NE(flags::advertised & flags::mandatory_25_digest, 0u);
  EXPECT_NE(flags::advertised & flags::dist_monitor, 0u);
  EXPECT_NE(flags::advertised & flags::dist_monitor_name, 0u);
  // The distribution header and fragments are read and written (frame_reader, frame_writer).
  EXPECT_NE(flags::advertised & flags::dist_hdr_atom_cache, 0u);
  EXPECT_NE(flags::advertised & flags::fragments, 0u);
  // SPAWN_REQUEST (rpc) and payload exits are served; aliases are not, and PUBLISHED is added
  // only for a visible node (controller::local_flags).
  EXPECT_NE(flags::advertised & flags::spawn, 0u);
  EXPECT_NE(flags::advertised & flags::exit_payload, 0u);
  EXPECT_EQ(flags::advertised & (flags::alias | flags::published), 0u);
  // A peer must send what pids and the unlink protocol rely on.
  EXPECT_EQ(flags::required_of_peer & (flags::v4_nc | flags::unlink_id),
            flags::v4_nc | flags::unlink_id);
}
