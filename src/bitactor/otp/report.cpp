#include "bitactor/otp/report.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "bitactor/core/actor.hpp"
#include "bitactor/core/node.hpp"

namespace bitactor::otp {
namespace {

struct handlers {
  std::mutex lock;
  std::map<std::size_t, std::function<void(const report&)>> by_id;
  std::atomic<std::size_t> count{0};  // by_id.size(), readable without the lock
  std::size_t next = 1;
  std::shared_ptr<spdlog::logger> logger;
};

handlers& registry() {
  static handlers h;
  return h;
}

// The report being logged on this thread: lets json_lines_sink write its fields.
thread_local const report* logging_now = nullptr;

}  // namespace

std::string report::get(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return {};
}

const char* to_string(report::kind k) noexcept {
  switch (k) {
    case report::kind::crash:
      return "crash";
    case report::kind::supervisor:
      return "supervisor";
    case report::kind::progress:
      return "progress";
    case report::kind::application:
      return "application";
  }
  return "unknown";
}

std::string format_report(const report& r) {
  static const char* const titles[] = {"CRASH REPORT", "SUPERVISOR REPORT", "PROGRESS REPORT",
                                       "APPLICATION REPORT"};
  std::string out = titles[static_cast<int>(r.type)];
  for (const auto& [k, v] : r.fields) out += "\n    " + k + ": " + v;
  return out;
}

std::string report_to_json(const report& r) {
  nlohmann::ordered_json j;
  j["kind"] = to_string(r.type);
  auto level = spdlog::level::to_string_view(r.level);
  j["level"] = std::string(level.data(), level.size());
  for (const auto& [k, v] : r.fields) j[k] = v;
  return j.dump();
}

std::shared_ptr<spdlog::logger> report_logger() {
  auto& h = registry();
  std::lock_guard guard(h.lock);
  if (!h.logger) {
    h.logger = std::make_shared<spdlog::logger>(
        "bitactor.otp", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  return h.logger;
}

void set_report_logger(std::shared_ptr<spdlog::logger> logger) {
  auto& h = registry();
  std::lock_guard guard(h.lock);
  h.logger = std::move(logger);
}

void log_report(const report& r) {
  auto logger = report_logger();
  if (logger->should_log(r.level)) {  // formatting costs more than a restart: skip it if off
    logging_now = &r;
    logger->log(r.level, "{}", format_report(r));
    logging_now = nullptr;
  }
  std::vector<std::function<void(const report&)>> copy;
  {
    auto& h = registry();
    std::lock_guard guard(h.lock);
    for (auto& [id, f] : h.by_id) copy.push_back(f);
  }
  for (auto& f : copy) f(r);
}

std::size_t add_report_handler(std::function<void(const report&)> handler) {
  auto& h = registry();
  std::lock_guard guard(h.lock);
  std::size_t id = h.next++;
  h.by_id.emplace(id, std::move(handler));
  h.count.store(h.by_id.size(), std::memory_order_release);
  return id;
}

void remove_report_handler(std::size_t id) {
  auto& h = registry();
  std::lock_guard guard(h.lock);
  h.by_id.erase(id);
  h.count.store(h.by_id.size(), std::memory_order_release);
}

bool report_wanted(spdlog::level::level_enum level) {
  return registry().count.load(std::memory_order_acquire) > 0 || report_logger()->should_log(level);
}

report_capture::report_capture()
    : id_(add_report_handler([s = state_](const report& r) {
        std::lock_guard guard(s->lock);
        s->seen.push_back(r);
      })) {}

report_capture::~report_capture() { remove_report_handler(id_); }

std::vector<report> report_capture::reports() const {
  std::lock_guard guard(state_->lock);
  return state_->seen;
}

std::vector<report> report_capture::of_kind(report::kind k) const {
  std::vector<report> out;
  std::lock_guard guard(state_->lock);
  for (const auto& r : state_->seen) {
    if (r.type == k) out.push_back(r);
  }
  return out;
}

json_lines_sink::json_lines_sink(const std::string& path, bool truncate)
    : file_(std::fopen(path.c_str(), truncate ? "w" : "a")) {
  if (file_ == nullptr) throw spdlog::spdlog_ex("json_lines_sink: cannot open " + path);
}

json_lines_sink::~json_lines_sink() { std::fclose(file_); }

void json_lines_sink::sink_it_(const spdlog::details::log_msg& msg) {
  std::string line;
  if (logging_now != nullptr) {
    line = report_to_json(*logging_now);
  } else {
    nlohmann::ordered_json j;
    auto level = spdlog::level::to_string_view(msg.level);
    j["level"] = std::string(level.data(), level.size());
    j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    j["msg"] = std::string(msg.payload.data(), msg.payload.size());
    line = j.dump();
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
}

void json_lines_sink::flush_() { std::fflush(file_); }

void log_crash_report(actor& who, const exit_reason& reason) {
  if (!report_wanted(spdlog::level::err)) return;
  report r;
  r.type = report::kind::crash;
  r.level = spdlog::level::err;
  r.add("process", who.self().to_string());
  r.add("reason", reason.to_string());
  if (reason.code() == exit_reason::kind::exception) {
    auto parts = reason.detail().as_tuple();  // {exception, Type, What}
    r.add("exception",
          std::string(parts[1].as_binary_view()) + ": " + std::string(parts[2].as_binary_view()));
  }
  if (auto info = who.this_node().info(who.self())) {
    r.add("messages_handled", std::to_string(info->messages_handled));
    std::string links = "[";
    for (std::size_t i = 0; i < info->links.size(); ++i) {
      if (i != 0) links += ",";
      links += info->links[i].to_string();
    }
    r.add("links", links + "]");
    if (info->registered_name) r.add("registered_name", *info->registered_name);
    r.add("actor_type", info->actor_type);
  }
  log_report(r);
}

}  // namespace bitactor::otp
