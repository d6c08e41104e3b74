// Feature flags: the stable rollout hash, percentage rollout, runtime changes and flag files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bitactor/otp/application.hpp>
#include <bitactor/resilience/events.hpp>
#include <bitactor/resilience/feature_flags.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace resilience = bitactor::resilience;
using resilience::feature_flags;
using resilience::flag_error;

namespace {

// Expected values computed apart from this code (a short script doing FNV-1a 64 over
// "new_checkout\0" + id, then splitmix64's finaliser, modulo 10000): a change of the hash,
// which would move ids in or out of every rollout on every node, fails here.
TEST(rollout_hash, a_known_flag_and_id_hash_to_a_fixed_value) {
  EXPECT_EQ(resilience::rollout_hash("new_checkout", "alice"), 0x0afcc2f434a16d3dULL);
  EXPECT_EQ(resilience::rollout_bucket("new_checkout", "alice"), 7933u);
  EXPECT_EQ(resilience::rollout_bucket("new_checkout", "bob"), 555u);
  EXPECT_EQ(resilience::rollout_bucket("new_checkout", std::uint64_t{42}), 3433u);
}

TEST(rollout_hash, known_ids_are_in_or_out_at_thirty_percent_as_computed_independently) {
  feature_flags flags;
  flags.define_percentage("new_checkout", 30);
  const auto f = flags.flag("new_checkout");
  std::set<std::string> in;
  for (std::string id : {"user-1", "user-2", "user-3", "user-4", "user-5", "user-6", "user-7",
                         "user-8", "alice", "bob"}) {
    if (f.enabled_for(id)) in.insert(id);
  }
  EXPECT_EQ(in, (std::set<std::string>{"user-5", "user-7", "bob"}));
  std::set<std::uint64_t> in_numbers;
  for (std::uint64_t id : {0ULL, 1ULL, 2ULL, 3ULL, 42ULL, 1000ULL, 123456789ULL}) {
    if (f.enabled_for(id)) in_numbers.insert(id);
  }
  EXPECT_EQ(in_numbers, (std::set<std::uint64_t>{123456789ULL}));
}

TEST(rollout_hash, another_flag_name_puts_other_ids_in) {
  // The name is part of the hash: two flags at 30 % do not pick the same users.
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "user-" + std::to_string(i);
    same += (resilience::rollout_bucket("a", id) < 3000) ==
            (resilience::rollout_bucket("b", id) < 3000);
  }
  EXPECT_LT(same, 700);  // independent picks agree ~58 % of the time; identical ones 100 %
}

TEST(percentage_flag, raising_the_percentage_only_adds_ids) {
  feature_flags flags;
  flags.define_percentage("f", 0);
  const auto f = flags.flag("f");
  std::vector<bool> was_in(5000, false);
  for (int p = 0; p <= 100; ++p) {
    flags.set_percentage("f", p);
    for (int i = 0; i < 5000; ++i) {
      const bool in = f.enabled_for("id-" + std::to_string(i));
      ASSERT_TRUE(in || !was_in[i]) << "id-" << i << " left at " << p << "%";
      was_in[i] = in;
    }
  }
  for (bool in : was_in) EXPECT_TRUE(in);  // at 100 % every id is in
}

TEST(percentage_flag, thirty_percent_of_a_hundred_thousand_ids_are_in_within_one_percent) {
  feature_flags flags;
  flags.define_percentage("search_v2", 30);
  const auto f = flags.flag("search_v2");
  int strings = 0, numbers = 0;
  for (int i = 0; i < 100000; ++i) {
    strings += f.enabled_for("account-" + std::to_string(i));
    numbers += f.enabled_for(static_cast<std::uint64_t>(i));
  }
  EXPECT_NEAR(strings / 100000.0, 0.30, 0.01);
  EXPECT_NEAR(numbers / 100000.0, 0.30, 0.01);
}

TEST(percentage_flag, zero_percent_admits_nobody_and_enabled_means_everyone) {
  feature_flags flags;
  flags.define_percentage("f", 0);
  const auto f = flags.flag("f");
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(f.enabled_for(static_cast<std::uint64_t>(i)));
  flags.set_percentage("f", 99.99);
  EXPECT_FALSE(f.enabled());
  flags.set_percentage("f", 100);
  EXPECT_TRUE(f.enabled());
  EXPECT_DOUBLE_EQ(f.percent(), 100.0);
}

TEST(boolean_flag, set_at_runtime_is_seen_through_a_handle_taken_before) {
  feature_flags flags;
  flags.define_boolean("dark_mode", false);
  const auto f = flags.flag("dark_mode");
  EXPECT_FALSE(f.enabled());
  EXPECT_FALSE(f.enabled_for("anyone"));
  flags.set("dark_mode", true);
  EXPECT_TRUE(f.enabled());
  EXPECT_TRUE(f.enabled_for("anyone"));
  EXPECT_TRUE(flags.enabled("dark_mode"));
}

TEST(feature_flags, misuse_throws_flag_error_naming_the_flag) {
  feature_flags flags;
  flags.define_boolean("b", false);
  EXPECT_THROW(flags.define_boolean("b", true), flag_error);
  EXPECT_THROW(flags.define_percentage("p", 100.5), flag_error);
  EXPECT_THROW(flags.define_percentage("p", -1), flag_error);
  EXPECT_THROW(flags.set_percentage("b", 50), flag_error);  // a boolean is all or nothing
  try {
    (void)flags.flag("missing");
    FAIL() << "no flag_error";
  } catch (const flag_error& e) {
    EXPECT_NE(std::string(e.what()).find("'missing'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(flags.find("missing").has_value());
}

TEST(feature_flags, apply_with_one_bad_setting_changes_none) {
  feature_flags flags;
  flags.define_percentage("a", 10);
  flags.define_boolean("b", false);
  EXPECT_THROW(flags.apply({{.flag = "a", .percent = 50}, {.flag = "nope", .percent = 1}}),
               flag_error);
  EXPECT_DOUBLE_EQ(flags.flag("a").percent(), 10.0);
  flags.apply({{.flag = "a", .percent = 50}, resilience::on("b")});
  EXPECT_DOUBLE_EQ(flags.flag("a").percent(), 50.0);
  EXPECT_TRUE(flags.enabled("b"));
}

TEST(feature_flags, each_change_emits_a_changed_event) {
  std::vector<std::string> seen;
  const auto id = resilience::attach({"bitactor", "feature_flag"}, [&](const resilience::event& e) {
    seen.push_back(*e.meta("flag") + "=" +
                   std::to_string(static_cast<int>(*e.measurement("percent"))));
  });
  feature_flags flags;
  flags.define_percentage("f", 5);
  flags.set_percentage("f", 20);
  resilience::detach(id);
  EXPECT_EQ(seen, (std::vector<std::string>{"f=5", "f=20"}));
}

// --- flag files ------------------------------------------------------------------------------

std::string error_of(feature_flags& flags, const std::string& text) {
  try {
    flags.load(text, "flags.conf");
  } catch (const bitactor::otp::config_file_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(flag_file, a_valid_file_defines_each_flag) {
  feature_flags flags;
  flags.load(
      "# flags for the shop\n"
      "\n"
      "new_checkout   percentage  12.5   # a first slice\n"
      "dark_mode      boolean     on\n"
      "legacy.export  boolean     false\n",
      "flags.conf");
  EXPECT_DOUBLE_EQ(flags.flag("new_checkout").percent(), 12.5);
  EXPECT_EQ(flags.flag("new_checkout").type(), resilience::flag_type::percentage);
  EXPECT_TRUE(flags.enabled("dark_mode"));
  EXPECT_FALSE(flags.enabled("legacy.export"));
  EXPECT_EQ(flags.list().size(), 3u);
}

TEST(flag_file, an_unknown_type_is_an_error_at_its_line) {
  feature_flags flags;
  EXPECT_EQ(error_of(flags, "a boolean on\n\nb ratio 3\n"),
            "flags.conf:3: flag 'b' has unknown type 'ratio' (expected boolean or percentage)");
}

TEST(flag_file, a_percentage_outside_zero_to_a_hundred_is_an_error_at_its_line) {
  feature_flags flags;
  EXPECT_EQ(error_of(flags, "# x\np percentage 130\n"),
            "flags.conf:2: percentage flag 'p' has value 130, outside 0..100");
  EXPECT_EQ(error_of(flags, "p percentage -1\n"),
            "flags.conf:1: percentage flag 'p' has value -1, outside 0..100");
  EXPECT_EQ(error_of(flags, "p percentage lots\n"),
            "flags.conf:1: percentage flag 'p' has value 'lots', not a number");
}

TEST(flag_file, a_duplicate_flag_is_an_error_at_the_second_line_naming_the_first) {
  feature_flags flags;
  EXPECT_EQ(error_of(flags, "a boolean on\nb percentage 1\na boolean off\n"),
            "flags.conf:3: flag 'a' is defined twice (first at line 1)");
}

TEST(flag_file, malformed_lines_are_errors_at_their_line) {
  feature_flags flags;
  EXPECT_EQ(error_of(flags, "a boolean maybe\n"),
            "flags.conf:1: boolean flag 'a' has value 'maybe' (expected on, off, true or false)");
  EXPECT_EQ(error_of(flags, "\na boolean\n"),
            "flags.conf:2: expected 'name type value' (e.g. 'new_checkout percentage 30'), found "
            "2 words");
  EXPECT_EQ(error_of(flags, "a/b boolean on\n"),
            "flags.conf:1: flag name 'a/b' may hold only letters, digits, '_', '-' and '.'");
}

TEST(flag_file, a_type_other_than_the_one_code_defined_is_an_error_and_applies_nothing) {
  feature_flags flags;
  flags.define_boolean("a", false);
  EXPECT_EQ(error_of(flags, "b boolean on\na percentage 5\n"),
            "flags.conf:2: flag 'a' is percentage here but already defined as boolean");
  EXPECT_FALSE(flags.find("b").has_value());  // the file's valid line 1 was not applied
}

TEST(flag_file, a_file_sets_flags_code_defined_with_the_same_type) {
  feature_flags flags;
  flags.define_percentage("a", 0);
  const auto a = flags.flag("a");
  flags.load("a percentage 40\n", "flags.conf");
  EXPECT_DOUBLE_EQ(a.percent(), 40.0);
}

TEST(flag_file, load_file_reads_a_file_and_names_it_in_errors) {
  // ctest runs cases in parallel processes: one directory per process.
  const auto dir =
      std::filesystem::temp_directory_path() / ("bitactor_flags_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.conf").string(), bad = (dir / "bad.conf").string();
  std::ofstream(good) << "x percentage 25\n";
  std::ofstream(bad) << "x percentage 25\ny boolean 7\n";
  feature_flags flags;
  flags.load_file(good);
  EXPECT_DOUBLE_EQ(flags.flag("x").percent(), 25.0);
  try {
    flags.load_file(bad);
    ADD_FAILURE() << "no error";
  } catch (const bitactor::otp::config_file_error& e) {
    EXPECT_EQ(e.file(), bad);
    EXPECT_EQ(e.line(), 2u);
  }
  EXPECT_THROW(flags.load_file((dir / "missing.conf").string()), bitactor::otp::config_file_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
