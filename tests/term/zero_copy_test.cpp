// encode_iovec() (binaries referenced, not copied) and decode_shared() (binaries that are
// slices of the input), plus the in-place list and tuple decoding they sit beside.
#include <gtest/gtest.h>

#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <memory>
#include <string>
#include <vector>

using namespace bitactor::term;
using bytes = std::vector<std::uint8_t>;

namespace {
bytes payload(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}
}  // namespace

TEST(encode_iovec, joined_segments_equal_encode) {
  term big = binary(payload(100000));
  term t = tuple(atom("data"), big, binary(payload(10)), list(1, 2, 300),
                 list_from({binary(payload(65)), binary(payload(64))}, binary(payload(200))));
  for (int minor : {1, 2}) {
    encode_options o;
    o.minor_version = minor;
    encoded_iovec v = encode_iovec(t, o);
    EXPECT_EQ(v.flatten(), encode(t, o));
    std::size_t total = 0;
    for (auto s : v.segments()) total += s.size();
    EXPECT_EQ(total, v.size());
  }
}

TEST(encode_iovec, large_binaries_are_referenced_small_ones_copied) {
  term big = binary(payload(4096));
  term small = binary(payload(64));
  term t = tuple(big, small, big);
  encoded_iovec v = encode_iovec(t);
  int referencing = 0;
  for (auto s : v.segments()) {
    if (s.data() == big.as_bytes().data()) {
      EXPECT_EQ(s.size(), 4096u);
      ++referencing;
    }
    EXPECT_NE(s.data(), small.as_bytes().data());
  }
  EXPECT_EQ(referencing, 2);
  // Everything referenced stays alive with the iovec, and a move keeps the ranges valid.
  bytes expected = encode(t);
  t = term();
  big = term();
  encoded_iovec moved = std::move(v);
  EXPECT_EQ(moved.flatten(), expected);
}

TEST(encode_iovec, copy_threshold_and_compression) {
  term t = tuple(binary(payload(1000)), atom("x"));
  encode_options all_copied;
  all_copied.iovec_copy_max = 1000;
  EXPECT_EQ(encode_iovec(t, all_copied).segments().size(), 1u);
  encode_options compressed;
  compressed.compressed = true;
  term zeros = binary(std::string(100000, '\0'));
  encoded_iovec z = encode_iovec(zeros, compressed);
  ASSERT_EQ(z.segments().size(), 1u);
  EXPECT_EQ(z.flatten(), encode(zeros, compressed));
  EXPECT_EQ(decode(z.flatten()).value(), zeros);
  // A term that is only small parts is one segment, the whole encoding.
  EXPECT_EQ(encode_iovec(term(42)).flatten(), encode(term(42)));
  EXPECT_EQ(encode_iovec(binary(bytes{})).flatten(), encode(binary(bytes{})));
}

TEST(encode, large_binaries_anywhere_in_the_term) {
  // encode() appends large binaries without zero-filling first; the bytes are unchanged.
  term big = binary(payload(5000));
  term t = list_from({big, atom("a"), tuple(big, 1)}, big);
  bytes enc = encode(t);
  EXPECT_EQ(enc.size(), encoded_size(t));
  EXPECT_EQ(decode(enc).value(), t);
  bytes appended = {1, 2, 3};
  encode_append(appended, t);
  EXPECT_EQ(bytes(appended.begin() + 3, appended.end()), enc);
}

TEST(decode_shared, binary_keeps_the_buffer_alive_after_the_handle_is_dropped) {
  bytes data = payload(100000);
  auto buffer = std::make_shared<const bytes>(encode(tuple(atom("blob"), binary(data))));
  std::weak_ptr<const bytes> watch = buffer;
  const std::uint8_t* in = buffer->data();
  std::size_t in_size = buffer->size();
  decode_result r = decode_shared(std::move(buffer));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  term blob = r.value()[1];
  // A slice of the input, not a copy.
  EXPECT_GE(blob.as_bytes().data(), in);
  EXPECT_LE(blob.as_bytes().data() + blob.size(), in + in_size);
  EXPECT_FALSE(watch.expired());
  r = decode_result(term(), 0);
  EXPECT_FALSE(watch.expired());  // the binary still holds the buffer
  EXPECT_EQ(blob, binary(data));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), blob.as_bytes().begin()));
  blob = term();
  EXPECT_TRUE(watch.expired());  // the last slice gone, the buffer is freed
}

TEST(decode_shared, small_binaries_and_bitstrings_are_copied) {
  term t = tuple(binary(payload(63)), binary(payload(64)), bitstring(payload(100), 795));
  auto buffer = std::make_shared<const bytes>(encode(t));
  std::weak_ptr<const bytes> watch = buffer;
  const std::uint8_t* lo = buffer->data();
  const std::uint8_t* hi = lo + buffer->size();
  decode_result r = decode_shared(std::move(buffer));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), t);
  auto inside = [&](const term& b) {
    return b.as_bytes().data() >= lo && b.as_bytes().data() < hi;
  };
  EXPECT_FALSE(inside(r.value()[0]));
  EXPECT_TRUE(inside(r.value()[1]));   // 64 bytes: the default share_min_bytes
  EXPECT_FALSE(inside(r.value()[2]));  // a bitstring's last byte is masked, so copied
  decode_options never;
  never.share_min_bytes = SIZE_MAX;
  auto again = std::make_shared<const bytes>(encode(t));
  decode_result c = decode_shared(again, never);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value(), t);
  EXPECT_EQ(again.use_count(), 1);
}

TEST(decode_shared, any_owner_and_a_span_into_it) {
  // shared_bytes: a span plus whatever owns it (here a string holding a frame at offset 4).
  bytes frame = encode(binary(payload(1000)));
  auto owner = std::make_shared<std::string>(4, 'h');
  owner->append(frame.begin(), frame.end());
  std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(owner->data()) + 4,
                                     frame.size());
  decode_result r = decode_shared(shared_bytes{span, owner});
  ASSERT_TRUE(r.ok());
  owner.reset();
  EXPECT_EQ(r.value(), binary(payload(1000)));
  // No owner: copies, like decode().
  decode_result c = decode_shared(shared_bytes{frame, nullptr});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value(), binary(payload(1000)));
  EXPECT_FALSE(decode_shared(std::shared_ptr<const bytes>()).ok());
}

TEST(decode_shared, hostile_lengths_fail_cleanly) {
  // A BINARY_EXT claiming more bytes than remain: truncated, nothing shared or allocated.
  auto lying = std::make_shared<const bytes>(bytes{131, 109, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3});
  decode_result r = decode_shared(lying);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::truncated);
  EXPECT_EQ(lying.use_count(), 1);
  // Shared binaries are charged as nodes, so a small budget still bounds a hostile list of
  // them; and a failure part-way releases the slices already made.
  std::vector<term> many(1000, binary(payload(100)));
  auto big = std::make_shared<const bytes>(encode(list_from(many)));
  decode_options tight;
  tight.max_bytes = 4096;
  decode_result t = decode_shared(big, tight);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, decode_errc::too_large);
  EXPECT_EQ(big.use_count(), 1);
  bytes cut(big->begin(), big->end() - 50);
  auto truncated = std::make_shared<const bytes>(cut);
  EXPECT_FALSE(decode_shared(truncated).ok());
  EXPECT_EQ(truncated.use_count(), 1);
}

TEST(decode, long_lists_of_mixed_elements_in_place) {
  std::vector<term> elems;
  for (int i = 0; i < 5000; ++i) {
    switch (i % 6) {
      case 0:
        elems.emplace_back(i);
        break;
      case 1:
        elems.emplace_back(-i * 100000);
        break;
      case 2:
        elems.emplace_back(atom("a" + std::to_string(i % 17)));
        break;
      case 3:
        elems.emplace_back(binary(payload(static_cast<std::size_t>(i % 90))));
        break;
      case 4:
        elems.emplace_back(std::int64_t{1} << 40);
        break;
      default:
        elems.emplace_back(tuple(i, list(i, atom("x"))));
        break;
    }
  }
  for (term tail : {term(), term(atom("improper")), term(binary(payload(3)))}) {
    term t = list_from(elems, tail);
    decode_result r = decode(encode(t));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r.value(), t);
    EXPECT_EQ(r.value().size(), elems.size());
  }
}

TEST(decode, failure_inside_a_list_or_tuple_releases_what_was_built) {
  // Under ASan/LSan this checks that partly built lists and tuples are freed.
  std::vector<term> elems;
  for (int i = 0; i < 300; ++i) elems.emplace_back(tuple(binary(payload(100)), i));
  for (term t : {list_from(elems), tuple_from(elems)}) {
    bytes enc = encode(t);
    for (std::size_t cut : {enc.size() - 1, enc.size() / 2, std::size_t{20}}) {
      EXPECT_FALSE(decode(bytes(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(cut))).ok());
    }
    bytes bad = enc;
    bad[enc.size() / 2] = 255;  // an unknown tag somewhere in the middle (or a bad value)
    decode(bad);
  }
}

TEST(decode, list_chains_and_strings_as_tails) {
  // [1, 2 | [3 | "ab"]] written as LIST_EXT, LIST_EXT, STRING_EXT: one list [1, 2, 3, 97, 98].
  bytes chain = {131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 108, 0, 0, 0, 1, 97, 3, 107, 0, 2, 97, 98};
  decode_result r = decode(chain);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value(), list(1, 2, 3, 97, 98));
  // LIST_EXT of length 0 with a tail is just the tail.
  decode_result z = decode(bytes{131, 108, 0, 0, 0, 0, 97, 5});
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z.value(), term(5));
}
