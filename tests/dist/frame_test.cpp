// The distribution header and fragments (erl_ext_dist.html, "Distribution Header" and
// "Distribution Header for Fragmented Messages"): what frame_writer writes, in which order, and
// what frame_reader reads back or refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <bitactor/dist/internal/control.hpp>
#include <bitactor/dist/internal/frame_reader.hpp>
#include <bitactor/dist/internal/frame_writer.hpp>
#include <bitactor/term/encode.hpp>
#include <cstdint>
#include <string>
#include <vector>

using namespace bitactor::dist;
using namespace bitactor::dist::detail;
namespace t = bitactor::term;
using bytes = std::vector<std::uint8_t>;

namespace {

constexpr std::size_t frag_size = frame_writer::default_fragment_bytes;

// SEND {2, '', To} to a registered-name stand-in, with `msg`; the sender's key is the writer's.
outgoing_frame send_frame(const t::term& msg) {
  return encode_outgoing(t::tuple(2, t::atom(), t::atom("to")), &msg);
}

t::term blob(std::size_t n, std::uint8_t seed) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
  return t::binary(b);
}

// Everything the writer has, one buffer per frame, in write order.
std::vector<bytes> drain(frame_writer& w) {
  std::vector<bytes> all;
  while (w.take(all)) {
  }
  return all;
}

bytes payload_of(const bytes& frame) {
  std::size_t n = (std::size_t{frame[0]} << 24) | (std::size_t{frame[1]} << 16) |
                  (std::size_t{frame[2]} << 8) | frame[3];
  EXPECT_EQ(n, frame.size() - 4);
  return {frame.begin() + 4, frame.end()};
}

std::uint64_t u64_at(const bytes& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

bool is_fragment(const bytes& frame) {
  return frame[4] == 131 && (frame[5] == 69 || frame[5] == 70);
}
std::uint64_t seq_of(const bytes& frame) { return u64_at(frame, 6); }
std::uint64_t frag_of(const bytes& frame) { return u64_at(frame, 14); }

void put_u64(bytes& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (56 - 8 * i)));
}
bytes fragment_header(std::uint8_t kind, std::uint64_t seq, std::uint64_t frag) {
  bytes b = {131, kind};
  put_u64(b, seq);
  put_u64(b, frag);
  return b;
}

// Reads every frame (a tick never comes from the writer); returns the messages completed.
std::vector<control_frame> read_all(frame_reader& r, const std::vector<bytes>& frames) {
  std::vector<control_frame> out;
  for (const auto& f : frames) {
    auto p = payload_of(f);
    std::string why;
    auto got = r.read(p, why);
    EXPECT_TRUE(got || why.empty()) << why;
    if (got) out.push_back(std::move(*got));
  }
  return out;
}

}  // namespace

TEST(frame_writer, frames_pass_through_when_the_peer_negotiated_neither_flag) {
  frame_writer w;
  auto f = send_frame(blob(200'000, 1));
  const bytes original = f.bytes;
  w.push(1, std::move(f));
  EXPECT_FALSE(w.empty());
  w.configure(false, false);
  auto out = drain(w);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], original);
}

TEST(frame_writer, header_form_is_131_68_0_then_terms_without_version_bytes) {
  frame_writer w;
  w.configure(true, false);
  const t::term ctl = t::tuple(2, t::atom(), t::atom("to"));
  const t::term msg = t::tuple(t::atom("hello"), 1);
  w.push(1, encode_outgoing(ctl, &msg));
  w.push(1, encode_outgoing(t::tuple(1, t::atom("a"), t::atom("b"))));  // no message
  auto out = drain(w);
  ASSERT_EQ(out.size(), 2u);
  auto c = t::encode(ctl);
  auto m = t::encode(msg);
  bytes want = {131, 68, 0};
  want.insert(want.end(), c.begin() + 1, c.end());
  want.insert(want.end(), m.begin() + 1, m.end());
  EXPECT_EQ(payload_of(out[0]), want);
  frame_reader r(1 << 20);
  auto got = read_all(r, out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].control, ctl);
  ASSERT_TRUE(got[0].message);
  EXPECT_EQ(*got[0].message, msg);
  EXPECT_EQ(got[1].control, t::tuple(1, t::atom("a"), t::atom("b")));
  EXPECT_FALSE(got[1].message);
}

TEST(frame_writer, message_over_64_kib_goes_as_fragments_counting_down_to_1) {
  frame_writer w;
  w.configure(true, true);
  const t::term msg = blob(200'000, 3);
  w.push(7, send_frame(msg));
  auto out = drain(w);
  // Control and message are a little over 200,000 bytes: four fragments of at most 64 KiB.
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0][5], 69);
  EXPECT_EQ(out[0][22], 0);  // NumberOfAtomCacheRefs
  const std::uint64_t seq = seq_of(out[0]);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(is_fragment(out[i]));
    if (i > 0) {
      EXPECT_EQ(out[i][5], 70);
    }
    EXPECT_EQ(seq_of(out[i]), seq);
    EXPECT_EQ(frag_of(out[i]), out.size() - i);
    EXPECT_LE(out[i].size() - 4 - (i == 0 ? 19 : 18), frag_size);
  }
  frame_reader r(1 << 20);
  auto got = read_all(r, out);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].message);
  EXPECT_EQ(*got[0].message, msg);
  EXPECT_EQ(r.partial_sequences(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(frame_writer, another_senders_small_frame_goes_between_fragments) {
  frame_writer w;
  w.configure(true, true);
  w.push(1, send_frame(blob(300'000, 5)));
  std::vector<bytes> out;
  ASSERT_TRUE(w.take(out));  // the first fragment
  ASSERT_EQ(out.size(), 1u);
  w.push(2, send_frame(t::atom("small")));
  auto rest = drain(w);
  out.insert(out.end(), rest.begin(), rest.end());
  std::size_t small = out.size();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!is_fragment(out[i])) small = i;
  }
  ASSERT_LT(small, out.size());
  EXPECT_GT(small, 0u);
  EXPECT_LT(small, out.size() - 1);  // before the last fragment
  EXPECT_EQ(frag_of(out.back()), 1u);
  frame_reader r(1 << 20);
  auto got = read_all(r, out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(*got[0].message, t::atom("small"));  // delivered while the large one assembles
  EXPECT_EQ(got[1].message->size(), 300'000u);
}

TEST(frame_writer, one_senders_frames_keep_their_order_around_a_fragmented_message) {
  frame_writer w;
  w.configure(true, true);
  // Another sender's backlog, more than one batch of whole frames.
  for (int i = 0; i < 100; ++i) w.push(2, send_frame(blob(1000, 1)));
  w.push(1, send_frame(t::atom("before")));
  w.push(1, send_frame(blob(200'000, 9)));
  w.push(1, send_frame(t::atom("after")));
  w.push(3, send_frame(t::atom("other")));
  auto out = drain(w);
  frame_reader r(1 << 20);
  auto got = read_all(r, out);
  ASSERT_EQ(got.size(), 104u);
  std::vector<std::string> order;  // sender 1's messages, and the other sender's, in arrival
  for (const auto& f : got) {
    if (f.message->is_atom()) {
      order.emplace_back(f.message->as_atom().name());
    } else if (f.message->size() == 200'000) {
      order.emplace_back("large");
    }
  }
  // "other" (sender 3) need not wait for sender 1's large message; sender 1's own order holds.
  std::vector<std::string> ones;
  for (const auto& s : order) {
    if (s != "other") ones.push_back(s);
  }
  EXPECT_EQ(ones, (std::vector<std::string>{"before", "large", "after"}));
  auto other = std::find(order.begin(), order.end(), "other");
  auto after = std::find(order.begin(), order.end(), "after");
  EXPECT_LT(other, after);
}

TEST(frame_reader, reassembles_interleaved_fragments_of_two_sequences) {
  frame_writer w;
  w.configure(true, true);
  const t::term a = blob(150'000, 11);
  const t::term b = blob(140'000, 13);
  w.push(1, send_frame(a));
  w.push(2, send_frame(b));
  auto out = drain(w);
  ASSERT_EQ(out.size(), 6u);
  // One fragment of each in turn.
  EXPECT_NE(seq_of(out[0]), seq_of(out[1]));
  EXPECT_EQ(seq_of(out[0]), seq_of(out[2]));
  EXPECT_EQ(seq_of(out[1]), seq_of(out[3]));
  frame_reader r(1 << 20);
  auto got = read_all(r, out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(*got[0].message, a);
  EXPECT_EQ(*got[1].message, b);
}

TEST(frame_reader, atom_cache_header_stores_new_entries_that_later_headers_refer_to) {
  frame_reader r(1 << 20);
  std::string why;
  // Two refs, both new: ref 0 in segment 0 index 5, ref 1 in segment 3 index 7. Flag nibbles:
  // ref 0 low, ref 1 high, then LongAtoms=0.
  bytes first = {131, 68, 2, 0x8 | (0xB << 4), 0x0, 5, 3, 'f', 'o', 'o', 7, 12};
  const std::string long_name = "frame_test_cached";
  first.back() = static_cast<std::uint8_t>(long_name.size());
  first.insert(first.end(), long_name.begin(), long_name.end());
  // Control {2, foo, frame_test_cached} and message frame_test_cached, by ATOM_CACHE_REF.
  bytes body = {104, 3, 97, 2, 82, 0, 82, 1, 82, 1};
  first.insert(first.end(), body.begin(), body.end());
  auto f = r.read(first, why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->control, t::tuple(2, t::atom("foo"), t::atom(long_name)));
  ASSERT_TRUE(f->message);
  EXPECT_EQ(*f->message, t::atom(long_name));

  // One old ref (segment 3 index 7) and one new with LongAtoms (2-byte length), segment 1.
  bytes second = {131, 68, 2, 0x3 | (0x9 << 4), 0x1, 7, 200, 0, 3, 'b', 'a', 'r'};
  bytes body2 = {104, 3, 97, 2, 82, 1, 82, 0};
  second.insert(second.end(), body2.begin(), body2.end());
  f = r.read(second, why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->control, t::tuple(2, t::atom("bar"), t::atom(long_name)));
  EXPECT_FALSE(f->message);

  // An atom inside a pid's node field may be a cache ref too.
  // One ref, old: one flag byte (ref 0 low nibble, LongAtoms high).
  bytes third = {131, 68, 1, 0x1, 200, 104, 2, 97, 2, 88, 82, 0,
                 0,   0,  0, 1,   0,   0,   0, 0,  0, 0,  0,  1};
  f = r.read(third, why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->control[1].as_pid().node, t::atom("bar"));
}

TEST(frame_reader, fragment_with_an_atom_cache_header_uses_it_for_the_whole_message) {
  frame_reader r(1 << 20);
  std::string why;
  bytes first = fragment_header(69, 42, 2);
  bytes cache = {1, 0x8, 9, 4, 'f', 'r', 'a', 'g'};
  first.insert(first.end(), cache.begin(), cache.end());
  bytes ctl = {104, 3, 97, 2, 82, 0};
  first.insert(first.end(), ctl.begin(), ctl.end());
  EXPECT_FALSE(r.read(first, why));
  EXPECT_EQ(why, "");
  bytes second = fragment_header(70, 42, 1);
  bytes rest = {82, 0, 82, 0};  // the control's last element, then the message
  second.insert(second.end(), rest.begin(), rest.end());
  auto f = r.read(second, why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->control, t::tuple(2, t::atom("frag"), t::atom("frag")));
  EXPECT_EQ(*f->message, t::atom("frag"));
}

TEST(frame_reader, fragment_of_a_sequence_never_started_is_refused) {
  frame_reader r(1 << 20);
  std::string why;
  bytes p = fragment_header(70, 5, 1);
  p.push_back(106);
  EXPECT_FALSE(r.read(p, why));
  EXPECT_NE(why.find("sequence 5 that was never started"), std::string::npos) << why;
}

TEST(frame_reader, fragment_out_of_order_is_refused) {
  frame_reader r(1 << 20);
  std::string why;
  bytes first = fragment_header(69, 5, 3);
  first.insert(first.end(), {0, 104, 2, 97, 2});
  EXPECT_FALSE(r.read(first, why));
  EXPECT_EQ(why, "");
  bytes skip = fragment_header(70, 5, 1);
  skip.push_back(106);
  EXPECT_FALSE(r.read(skip, why));
  EXPECT_NE(why.find("out of order (expected 2)"), std::string::npos) << why;
}

TEST(frame_reader, reassembly_over_max_frame_bytes_is_refused) {
  frame_reader r(4096);
  std::string why;
  bytes first = fragment_header(69, 1, 3);
  first.push_back(0);
  first.resize(first.size() + 2000, 0);
  EXPECT_FALSE(r.read(first, why));
  EXPECT_EQ(why, "");
  bytes more = fragment_header(70, 1, 2);
  more.resize(more.size() + 2000, 0);
  EXPECT_FALSE(r.read(more, why));
  EXPECT_NE(why.find("exceeds max_frame_bytes (4096)"), std::string::npos) << why;

  // All partial sequences together are bounded too, not only each one.
  frame_reader r2(4096);
  for (std::uint64_t seq = 1;; ++seq) {
    bytes p = fragment_header(69, seq, 2);
    p.push_back(0);
    p.resize(p.size() + 1000, 0);
    if (!r2.read(p, why) && !why.empty()) break;
    ASSERT_LT(seq, 5u);
  }
  EXPECT_NE(why.find("exceed max_frame_bytes (4096)"), std::string::npos) << why;
  EXPECT_LE(r2.buffered_bytes(), 4096u);
}

TEST(frame_reader, truncated_or_unknown_headers_are_refused_with_a_reason) {
  frame_reader r(1 << 20);
  std::string why;
  auto refused = [&](bytes p, const std::string& reason) {
    EXPECT_FALSE(r.read(p, why));
    EXPECT_NE(why.find(reason), std::string::npos) << "got: " << why;
  };
  refused({131, 68}, "truncated distribution header");
  refused({131, 68, 2}, "truncated atom cache flags");
  refused({131, 68, 1, 0x8}, "truncated atom cache ref");
  refused({131, 68, 1, 0x8, 1}, "truncated atom cache entry");
  refused({131, 68, 1, 0x8, 1, 5, 'a'}, "truncated atom cache entry text");
  refused({131, 68, 1, 0x0, 77, 104, 1, 97, 2}, "names an entry never stored");
  refused({131, 68, 0}, "without a control message");
  refused({131, 68, 0, 104, 2, 97}, "control:");
  refused({131, 68, 0, 104, 1, 97, 2, 82, 0}, "ATOM_CACHE_REF");  // no refs in the header
  refused({131, 69, 0, 0, 0}, "truncated fragment header");
  refused(fragment_header(69, 1, 0), "fragment id 0");
  refused({131, 71, 0}, "unknown distribution header 131 71");
  refused({7, 1, 2}, "not a distribution frame");
  refused({}, "empty payload");
}

TEST(frame_reader, sequence_started_twice_is_refused) {
  frame_reader r(1 << 20);
  std::string why;
  bytes first = fragment_header(69, 9, 2);
  first.insert(first.end(), {0, 104, 2, 97, 2});
  EXPECT_FALSE(r.read(first, why));
  bytes again = fragment_header(69, 9, 2);
  again.insert(again.end(), {0, 104, 2, 97, 2});
  EXPECT_FALSE(r.read(again, why));
  EXPECT_NE(why.find("started twice"), std::string::npos) << why;
}
