#include "bitactor/resilience/error.hpp"

#include <bitactor/otp/call.hpp>
#include <bitactor/term/print.hpp>
#include <stdexcept>
#include <system_error>

namespace bitactor::resilience {

std::string_view to_string(error_category c) noexcept {
  switch (c) {
    case error_category::infrastructure:
      return "infrastructure";
    case error_category::business:
      return "business";
    case error_category::validation:
      return "validation";
    case error_category::timeout:
      return "timeout";
    case error_category::unavailable:
      return "unavailable";
    case error_category::rejected:
      return "rejected";
    case error_category::internal:
      return "internal";
  }
  return "internal";
}

bool retryable_by_default(error_category c) noexcept {
  switch (c) {
    case error_category::infrastructure:
    case error_category::timeout:
    case error_category::unavailable:
    case error_category::rejected:
      return true;
    case error_category::business:
    case error_category::validation:
    case error_category::internal:
      return false;
  }
  return false;
}

error::error(error_category category, std::string code, std::string message)
    : category_(category), code_(std::move(code)), message_(std::move(message)) {}

error& error::with(std::string key, std::string value) {
  for (auto& entry : context_) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return *this;
    }
  }
  context_.emplace_back(std::move(key), std::move(value));
  return *this;
}

const std::string* error::context_value(std::string_view key) const noexcept {
  for (const auto& entry : context_) {
    if (entry.first == key) return &entry.second;
  }
  return nullptr;
}

term::term error::as_term() const {
  std::vector<std::pair<term::term, term::term>> entries;
  entries.reserve(context_.size());
  for (const auto& [key, value] : context_) {
    entries.emplace_back(term::binary(key), term::binary(value));
  }
  return term::tuple(term::atom("error"), term::atom(resilience::to_string(category_)),
                     term::atom(code_), term::binary(message_), term::map_from(std::move(entries)));
}

std::string error::to_string() const {
  std::string out(resilience::to_string(category_));
  out += ' ';
  out += code_;
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  if (!context_.empty()) {
    out += " (";
    for (std::size_t i = 0; i < context_.size(); ++i) {
      if (i > 0) out += ", ";
      out += context_[i].first;
      out += '=';
      out += context_[i].second;
    }
    out += ')';
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const error& e) { return os << e.to_string(); }

namespace {
/// The atom that names a reason: the reason itself, or the first element of its tuple.
std::string reason_code(const exit_reason& reason) {
  const term::term t = reason.as_term();
  if (t.is_atom()) return std::string(t.as_atom().name());
  if (t.is_tuple() && !t.as_tuple().empty() && t.as_tuple()[0].is_atom()) {
    return std::string(t.as_tuple()[0].as_atom().name());
  }
  return "exit";
}
}  // namespace

error error::from_exit_reason(const exit_reason& reason) {
  error_category category = error_category::infrastructure;
  switch (reason.code()) {
    case exit_reason::kind::noproc:
    case exit_reason::kind::noconnection:
    case exit_reason::kind::shutdown:
      category = error_category::unavailable;
      break;
    case exit_reason::kind::exception:
      category = error_category::internal;
      break;
    default:
      if (reason.is("timeout")) category = error_category::timeout;
      break;
  }
  error e(category, reason_code(reason), "exited: " + reason.to_string());
  e.with("reason", reason.to_string());
  return e;
}

error error::from_call_error(const otp::call_error& e) {
  error out = from_exit_reason(e.reason());
  out.message_ = e.what();
  return out;
}

error error::from_exception(std::exception_ptr e) {
  if (!e) return error(error_category::internal, "no_exception", "no exception was given");
  try {
    std::rethrow_exception(e);
  } catch (const failure& f) {
    return f.details();
  } catch (const otp::call_error& c) {
    return from_call_error(c);
  } catch (const node_stopped& s) {
    return error(error_category::unavailable, "node_stopped", s.what());
  } catch (const std::invalid_argument& x) {
    return error(error_category::validation, "invalid_argument", x.what());
  } catch (const std::domain_error& x) {
    return error(error_category::validation, "domain_error", x.what());
  } catch (const std::out_of_range& x) {
    return error(error_category::validation, "out_of_range", x.what());
  } catch (const std::system_error& x) {
    error out(error_category::infrastructure, "system_error", x.what());
    out.with("errno", std::to_string(x.code().value()));
    return out;
  } catch (const std::exception& x) {
    error out(error_category::internal, "exception", x.what());
    out.with("type", exit_reason::from_exception(x).to_string());
    return out;
  } catch (...) {
    return error(error_category::internal, "unknown_exception", "a non-standard exception");
  }
}

failure::failure(resilience::error e) : bitactor::error(e.to_string()), error_(std::move(e)) {}

}  // namespace bitactor::resilience
