// Pass-through frames: encoding, and rejection of malformed payloads.
#include <gtest/gtest.h>

#include <bitactor/dist/internal/control.hpp>
#include <bitactor/term/encode.hpp>

using namespace bitactor::dist;
namespace t = bitactor::term;

namespace {
std::vector<std::uint8_t> payload_of(const std::vector<std::uint8_t>& frame) {
  std::size_t n = (std::size_t{frame[0]} << 24) | (std::size_t{frame[1]} << 16) |
                  (std::size_t{frame[2]} << 8) | frame[3];
  EXPECT_EQ(n, frame.size() - 4);
  return {frame.begin() + 4, frame.end()};
}
}  // namespace

TEST(control, frame_is_length_p_control_then_message_each_with_131) {
  t::term ctl = t::tuple(6, t::atom("x"), t::atom(), t::atom("net_kernel"));
  t::term msg = t::tuple(t::atom("hello"), 1);
  auto frame = encode_frame(ctl, &msg);
  auto payload = payload_of(frame);
  ASSERT_EQ(payload[0], 112);
  auto c = t::encode(ctl);
  auto m = t::encode(msg);
  std::vector<std::uint8_t> want = {112};
  want.insert(want.end(), c.begin(), c.end());
  want.insert(want.end(), m.begin(), m.end());
  EXPECT_EQ(payload, want);
  std::string why;
  auto f = decode_frame(payload, why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->control, ctl);
  ASSERT_TRUE(f->message);
  EXPECT_EQ(*f->message, msg);
  EXPECT_EQ(f->code(), op::reg_send);
}

TEST(control, frame_without_message) {
  t::term ctl = t::tuple(1, t::atom("a"), t::atom("b"));
  std::string why;
  auto f = decode_frame(payload_of(encode_frame(ctl)), why);
  ASSERT_TRUE(f) << why;
  EXPECT_FALSE(f->message);
}

TEST(control, malformed_payloads_are_rejected_with_a_reason) {
  std::string why;
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{}, why));
  // decode_frame reads only pass-through; the 131 68 header is frame_reader's.
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{131, 68, 0}, why));
  EXPECT_NE(why.find("pass-through"), std::string::npos);
  EXPECT_FALSE(decode_frame(std::vector<std::uint8_t>{112, 131, 104, 3}, why));  // truncated
  auto not_tuple = t::encode(t::atom("x"));
  not_tuple.insert(not_tuple.begin(), 112);
  EXPECT_FALSE(decode_frame(not_tuple, why));
  auto frame = payload_of(encode_frame(t::tuple(2, t::atom(), t::atom("x")), nullptr));
  frame.push_back(131);  // a message that is only a version byte
  EXPECT_FALSE(decode_frame(frame, why));
}
