// Atoms are never freed, so decoded input must not be able to fill the atom table: decode()
// creates at most decode_options::max_decoded_atoms atoms from input in the whole program,
// and program code can still create atoms after a flood (decode.hpp, atom.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/term/atom.hpp>
#include <bitactor/term/decode.hpp>
#include <bitactor/term/encode.hpp>
#include <string>
#include <thread>
#include <vector>

using namespace bitactor::term;
using bytes = std::vector<std::uint8_t>;

namespace {

// <<131, SMALL_ATOM_UTF8_EXT, Len, Name>>, built by hand so the atom is not created here.
bytes atom_frame(const std::string& name) {
  bytes b{131, 119, static_cast<std::uint8_t>(name.size())};
  for (char c : name) b.push_back(static_cast<std::uint8_t>(c));
  return b;
}

// A list of `n` atoms named prefix0, prefix1, ... as LIST_EXT, none of them created here.
bytes atom_list_frame(const std::string& prefix, std::size_t first, std::size_t n) {
  bytes b{131,
          108,
          static_cast<std::uint8_t>(n >> 24),
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n)};
  for (std::size_t i = first; i < first + n; ++i) {
    std::string name = prefix + std::to_string(i);
    b.push_back(119);
    b.push_back(static_cast<std::uint8_t>(name.size()));
    for (char c : name) b.push_back(static_cast<std::uint8_t>(c));
  }
  b.push_back(106);
  return b;
}

}  // namespace

TEST(decode_atom_budget, new_atoms_past_max_decoded_atoms_fail_with_too_many_atoms) {
  decode_options o;
  o.max_decoded_atoms = atoms_created_by_decoding() + 100;
  for (int i = 0; i < 100; ++i) {
    decode_result r = decode(atom_frame("budget_flood_" + std::to_string(i)), o);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().to_string();
  }
  decode_result r = decode(atom_frame("budget_flood_100"), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::too_many_atoms);
  EXPECT_EQ(r.error().tag, 119);
  EXPECT_NE(r.error().message.find("max_decoded_atoms"), std::string::npos) << r.error().message;
  EXPECT_FALSE(atom::existing("budget_flood_100").has_value());
  // Atoms that exist still decode, however they were created.
  EXPECT_TRUE(decode(atom_frame("budget_flood_7"), o).ok());
  EXPECT_TRUE(decode(encode(term(atom("made_by_the_program"))), o).ok());
  EXPECT_THROW(binary_to_term(atom_frame("budget_flood_101"), o), decode_exception);
  // Program code is not limited by the decoders' budget.
  EXPECT_EQ(atom("fresh_name").name(), "fresh_name");
}

TEST(decode_atom_budget, atoms_inside_pids_and_containers_count_too) {
  decode_options o;
  o.max_decoded_atoms = atoms_created_by_decoding();
  bytes pid{131, 88, 119, 5, 'n', 'o', 'd', 'e', 'x', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  decode_result r = decode(pid, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, decode_errc::too_many_atoms);
  EXPECT_EQ(decode(atom_list_frame("in_list_", 0, 3), o).error().kind, decode_errc::too_many_atoms);
}

TEST(decode_atom_budget, with_default_options_a_flood_of_unique_atoms_stops_at_the_default_budget) {
  // A peer sending frames of fresh atoms: with the defaults decoding fails once
  // default_max_decoded_atoms have been created, long before the table is full.
  std::size_t sent = 0;
  decode_result last = decode(bytes{131, 106});
  for (std::size_t frame = 0; frame < 2 * default_max_decoded_atoms / 10'000; ++frame) {
    last = decode(atom_list_frame("flood_", sent, 10'000));
    if (!last.ok()) break;
    sent += 10'000;
  }
  ASSERT_FALSE(last.ok()) << "decoding created " << atoms_created_by_decoding() << " atoms";
  EXPECT_EQ(last.error().kind, decode_errc::too_many_atoms);
  EXPECT_EQ(atoms_created_by_decoding(), default_max_decoded_atoms);
  EXPECT_LT(atom_count(), max_atoms / 2);
  EXPECT_EQ(atom("fresh_name_after_the_flood").name(), "fresh_name_after_the_flood");
  // Known atoms keep decoding for everyone.
  EXPECT_TRUE(decode(encode(term(atom("fresh_name_after_the_flood")))).ok());
}

TEST(decode_atom_budget, safe_mode_creates_no_atom_at_all) {
  decode_options o;
  o.safe = true;
  std::size_t before = atoms_created_by_decoding();
  EXPECT_EQ(decode(atom_frame("never_created_in_safe_mode"), o).error().kind,
            decode_errc::unknown_atom);
  EXPECT_EQ(atoms_created_by_decoding(), before);
}

TEST(decode_atom_budget, threads_decoding_new_atoms_together_create_exactly_the_budget) {
  decode_options o;
  o.max_decoded_atoms = atoms_created_by_decoding() + 1000;
  std::atomic<std::size_t> created{0};
  std::atomic<std::size_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        decode_result r =
            decode(atom_frame("thread" + std::to_string(t) + "_" + std::to_string(i)), o);
        if (r.ok()) {
          ++created;
        } else if (r.error().kind == decode_errc::too_many_atoms) {
          ++refused;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(created.load(), 1000u);
  EXPECT_EQ(refused.load(), 1000u);
  EXPECT_EQ(atoms_created_by_decoding(), o.max_decoded_atoms);
}
