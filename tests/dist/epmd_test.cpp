// epmd requests and replies as bytes (erl_dist_protocol.html, "EPMD Protocol"), checked
// against the bytes BEAM and epmd exchanged on the wire.
#include <gtest/gtest.h>

#include <bitactor/dist/dist_error.hpp>
#include <bitactor/dist/internal/epmd_messages.hpp>

using namespace bitactor::dist;
using namespace bitactor::dist::detail;

TEST(epmd, alive2_request_has_the_captured_layout) {
  // 0 15 120 167 111 77 0 0 6 0 5 0 2 'p' 'y' 0 0 (a normal node "py" at port 42863)
  std::vector<std::uint8_t> want = {0, 15, 120, 167, 111, 77, 0, 0, 6, 0, 5, 0, 2, 'p', 'y', 0, 0};
  EXPECT_EQ(epmd::alive2_request(42863, false, "py"), want);
  want[5] = 72;  // hidden
  EXPECT_EQ(epmd::alive2_request(42863, true, "py"), want);
}

TEST(epmd, port_please2_request_has_the_captured_layout) {
  std::vector<std::uint8_t> want = {0, 2, 122, 'a'};
  EXPECT_EQ(epmd::port_please2_request("a"), want);
}

TEST(epmd, alive2_replies_give_the_creation_or_name_taken) {
  std::vector<std::uint8_t> x_resp = {118, 0, 107, 3, 27, 218};
  EXPECT_EQ(epmd::parse_alive2_reply(x_resp), 0x6B031BDAu);
  std::vector<std::uint8_t> old_resp = {121, 0, 0, 3};
  EXPECT_EQ(epmd::parse_alive2_reply(old_resp), 3u);
  std::vector<std::uint8_t> taken = {118, 1, 0, 0, 0, 99};
  EXPECT_EQ(epmd::parse_alive2_reply(taken), std::nullopt);
  std::vector<std::uint8_t> junk = {42, 0};
  EXPECT_THROW(epmd::parse_alive2_reply(junk), dist_error);
}
