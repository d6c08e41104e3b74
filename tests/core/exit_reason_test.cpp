// Exit reasons are Erlang terms: the well-known ones keep a cheap kind, every one has a term
// that matches, prints and converts back to the same reason.
#include <gtest/gtest.h>

#include <bitactor/core/exit_reason.hpp>
#include <bitactor/term/match.hpp>
#include <bitactor/term/parse.hpp>
#include <stdexcept>

#include "test_support.hpp"

using namespace bitactor;
using kind = exit_reason::kind;

TEST(exit_reason, well_known_atoms_get_their_kind_from_a_term) {
  EXPECT_EQ(exit_reason::from_term(term::atom("normal")).code(), kind::normal);
  EXPECT_EQ(exit_reason::from_term(term::atom("shutdown")).code(), kind::shutdown);
  EXPECT_EQ(exit_reason::from_term(term::atom("kill")).code(), kind::kill);
  EXPECT_EQ(exit_reason::from_term(term::atom("killed")).code(), kind::killed);
  EXPECT_EQ(exit_reason::from_term(term::atom("noproc")).code(), kind::noproc);
  EXPECT_EQ(exit_reason::from_term(term::atom("noconnection")).code(), kind::noconnection);
  EXPECT_EQ(exit_reason::from_term(term::atom("timeout")).code(), kind::other);
}

TEST(exit_reason, shutdown_with_detail_is_the_tuple_and_stays_clean) {
  exit_reason r = exit_reason::from_term(term::parse("{shutdown, {overload, 3}}"));
  EXPECT_EQ(r.code(), kind::shutdown);
  EXPECT_TRUE(r.is_clean());
  EXPECT_EQ(r.detail(), term::parse("{overload, 3}"));
  EXPECT_EQ(r, exit_reason::shutdown(term::parse("{overload, 3}")));
  EXPECT_EQ(r.to_string(), "{shutdown,{overload,3}}");
  EXPECT_NE(r, exit_reason::shutdown());
}

TEST(exit_reason, every_reason_converts_to_a_term_and_back_unchanged) {
  const exit_reason reasons[] = {
      exit_reason::normal(),
      exit_reason::shutdown(),
      exit_reason::shutdown("x"),
      exit_reason::kill(),
      exit_reason::killed(),
      exit_reason::noproc(),
      exit_reason::noconnection(),
      exit_reason::exception("std::logic_error", "bad"),
      exit_reason::error("{badarg, [1,2]}"),
  };
  for (const auto& r : reasons) {
    exit_reason back = exit_reason::from_term(r.as_term());
    EXPECT_EQ(back, r) << r;
    EXPECT_EQ(back.code(), r.code()) << r;
  }
}

TEST(exit_reason, escaped_exception_keeps_its_type_and_message_as_binaries) {
  exit_reason r = exit_reason::from_exception(std::out_of_range("index 7"));
  EXPECT_EQ(r.code(), kind::exception);
  std::string type, what;
  EXPECT_TRUE(term::match(
      r.as_term(), term::tuple(term::atom("exception"), term::bind(type), term::bind(what))));
  EXPECT_EQ(type, "std::out_of_range");
  EXPECT_EQ(what, "index 7");
  EXPECT_FALSE(r.is_clean());
}

TEST(exit_reason, reasons_match_with_term_patterns) {
  exit_reason r = exit_reason::error(term::tuple(term::atom("bad_config"), term::atom("port"), 0));
  term::atom field;
  EXPECT_TRUE(term::match(r.as_term(),
                          term::tuple(term::atom("bad_config"), term::bind(field), term::any())));
  EXPECT_EQ(field, term::atom("port"));
  EXPECT_TRUE(exit_reason::error("timeout").is("timeout"));
  EXPECT_TRUE(exit_reason::shutdown().is("shutdown"));
  EXPECT_FALSE(exit_reason::shutdown("x").is("shutdown"));
}

TEST(exit_reason, text_that_is_no_term_becomes_a_binary) {
  exit_reason r = exit_reason::error("disk is full");
  EXPECT_EQ(r.code(), kind::other);
  EXPECT_EQ(r.as_term(), term::binary("disk is full"));
}

TEST(exit_reason, a_reason_carrying_a_pid_prints_and_matches_it) {
  pid p{0, 42, 0, 0};
  exit_reason r = exit_reason::error(term::tuple(term::atom("already_started"), to_term_pid(p)));
  term::pid got;
  ASSERT_TRUE(
      term::match(r.as_term(), term::tuple(term::atom("already_started"), term::bind(got))));
  EXPECT_EQ(from_term_pid(got), p);
}

TEST(exit_reason, a_process_receives_a_term_message_and_dispatches_on_it) {
  node n(test::deterministic());
  inbox box(n);
  pid reply_to = box.self();
  pid counter = n.spawn([reply_to, total = std::int64_t{0}](actor& self, message& m) mutable {
    const term::term* t = m.get_if<term::term>();
    if (t == nullptr) return;
    std::int64_t by = 0;
    if (term::match(*t, term::tuple(term::atom("add"), term::bind(by)))) total += by;
    if (term::match(*t, term::atom("get"))) self.send(reply_to, total);
  });
  n.send(counter, term::parse("{add, 40}"));
  n.send(counter, term::parse("{add, 2}"));
  n.send(counter, term::term(term::atom("get")));
  auto total = box.receive<std::int64_t>();
  ASSERT_TRUE(total);
  EXPECT_EQ(*total, 42);
}
