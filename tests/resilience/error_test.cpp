// The error model: categories and their retry defaults, conversions from exit reasons, call
// errors and exceptions, and the term and text forms.
#include <gtest/gtest.h>

#include <bitactor/otp/call.hpp>
#include <bitactor/resilience/error.hpp>
#include <bitactor/term/print.hpp>
#include <stdexcept>
#include <system_error>

namespace resilience = bitactor::resilience;
namespace term = bitactor::term;
namespace otp = bitactor::otp;
using bitactor::exit_reason;
using resilience::error;
using resilience::error_category;

namespace {
error from_thrown(auto&& thrown) {
  try {
    throw thrown;
  } catch (...) {
    return error::from_exception(std::current_exception());
  }
}
}  // namespace

TEST(error, retryability_defaults_to_the_category) {
  EXPECT_TRUE(error(error_category::infrastructure, "db_down").is_retryable());
  EXPECT_TRUE(error(error_category::timeout, "slow").is_retryable());
  EXPECT_TRUE(error(error_category::unavailable, "gone").is_retryable());
  EXPECT_TRUE(error(error_category::rejected, "busy").is_retryable());
  EXPECT_FALSE(error(error_category::business, "insufficient_funds").is_retryable());
  EXPECT_FALSE(error(error_category::validation, "bad_iban").is_retryable());
  EXPECT_FALSE(error(error_category::internal, "bug").is_retryable());
}

TEST(error, retryability_can_be_overridden_per_error) {
  EXPECT_TRUE(error(error_category::business, "locked").retryable(true).is_retryable());
  EXPECT_FALSE(error(error_category::timeout, "slow").retryable(false).is_retryable());
}

TEST(error, prints_as_an_erlang_error_tuple_with_its_context_map) {
  error e(error_category::timeout, "database_timeout", "no answer in 5000 ms");
  e.with("table", "orders");
  EXPECT_EQ(term::to_string(e.as_term()),
            "{error,timeout,database_timeout,<<\"no answer in 5000 ms\">>,"
            "#{<<\"table\">> => <<\"orders\">>}}");
  EXPECT_EQ(e.to_string(), "timeout database_timeout: no answer in 5000 ms (table=orders)");
}

TEST(error, a_context_key_given_twice_keeps_the_last_value) {
  error e(error_category::internal, "x");
  e.with("k", "1").with("k", "2");
  ASSERT_EQ(e.context().size(), 1u);
  EXPECT_EQ(*e.context_value("k"), "2");
  EXPECT_EQ(e.context_value("missing"), nullptr);
}

TEST(error, timeout_exit_reason_is_a_retryable_timeout) {
  error e = error::from_exit_reason(exit_reason::error("timeout"));
  EXPECT_EQ(e.category(), error_category::timeout);
  EXPECT_EQ(e.code(), "timeout");
  EXPECT_TRUE(e.is_retryable());
}

TEST(error, noproc_and_shutdown_are_unavailable) {
  EXPECT_EQ(error::from_exit_reason(exit_reason::noproc()).category(), error_category::unavailable);
  EXPECT_EQ(error::from_exit_reason(exit_reason::shutdown()).category(),
            error_category::unavailable);
}

TEST(error, a_tuple_reason_is_infrastructure_named_by_its_first_atom) {
  error e = error::from_exit_reason(exit_reason::error("{db_crashed,42}"));
  EXPECT_EQ(e.category(), error_category::infrastructure);
  EXPECT_EQ(e.code(), "db_crashed");
  EXPECT_EQ(*e.context_value("reason"), "{db_crashed,42}");
}

TEST(error, an_exception_exit_reason_is_internal) {
  error e = error::from_exit_reason(exit_reason::exception("std::logic_error", "oops"));
  EXPECT_EQ(e.category(), error_category::internal);
  EXPECT_FALSE(e.is_retryable());
}

TEST(error, call_error_keeps_the_reason_and_the_call_text) {
  otp::call_error c(exit_reason::error("timeout"), "call to <0.42.0>");
  error e = error::from_call_error(c);
  EXPECT_EQ(e.category(), error_category::timeout);
  EXPECT_EQ(e.message(), c.what());
  EXPECT_EQ(from_thrown(c), e);  // the same through an exception_ptr
}

TEST(error, exceptions_are_classified_by_type) {
  EXPECT_EQ(from_thrown(std::invalid_argument("neg")).category(), error_category::validation);
  EXPECT_EQ(from_thrown(std::out_of_range("idx")).category(), error_category::validation);
  EXPECT_EQ(from_thrown(std::system_error(std::make_error_code(std::errc::connection_refused)))
                .category(),
            error_category::infrastructure);
  error bug = from_thrown(std::logic_error("unreachable"));
  EXPECT_EQ(bug.category(), error_category::internal);
  EXPECT_EQ(bug.message(), "unreachable");
  EXPECT_EQ(from_thrown(42).code(), "unknown_exception");
  EXPECT_EQ(error::from_exception(nullptr).code(), "no_exception");
}

TEST(error, a_thrown_failure_gives_back_its_error_unchanged) {
  error original(error_category::business, "insufficient_funds", "balance 3 < 5");
  original.with("account", "A-1");
  EXPECT_EQ(from_thrown(resilience::failure(original)), original);
}
