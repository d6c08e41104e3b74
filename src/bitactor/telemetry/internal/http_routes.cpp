#include "bitactor/telemetry/internal/http_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <exception>
#include <string_view>

#include "bitactor/telemetry/internal/token.hpp"
#include "bitactor/telemetry/prometheus.hpp"

namespace bitactor::telemetry::detail {

namespace {
http_response make(http::status status, unsigned version, bool keep_alive,
                   std::string_view content_type, std::string body) {
  http_response r{status, version};
  r.set(http::field::server, "bitactor");
  r.set(http::field::content_type,
        boost::beast::string_view(content_type.data(), content_type.size()));
  r.keep_alive(keep_alive);
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

http_response text(http::status status, const http_request& req, std::string body) {
  return make(status, req.version(), req.keep_alive(), "text/plain; charset=utf-8",
              std::move(body) + "\n");
}

http_response health_answer(const health_report& report, const http_request& req) {
  return make(report.ok ? http::status::ok : http::status::service_unavailable, req.version(),
              req.keep_alive(), "application/json", to_json(report) + "\n");
}

std::string_view path_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}
}  // namespace

http_response respond(const http_request& req, const endpoints& e) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = path_of(target);
  const bool health_path = path == "/health/live" || path == "/health/ready";
  if (!health_path) {
    const auto auth = req[http::field::authorization];
    if (!bearer_matches(std::string_view(auth.data(), auth.size()), e.token)) {
      http_response r = text(http::status::unauthorized, req, "unauthorized");
      r.set(http::field::www_authenticate, "Bearer");
      return r;
    }
  }
  if (path != "/metrics" && !health_path) return text(http::status::not_found, req, "not found");
  if (req.method() != http::verb::get) {
    http_response r = text(http::status::method_not_allowed, req, "method not allowed");
    r.set(http::field::allow, "GET");
    return r;
  }
  if (path == "/health/live") return health_answer(e.checks.live(), req);
  if (path == "/health/ready") return health_answer(e.checks.ready(), req);
  try {
    return make(http::status::ok, req.version(), req.keep_alive(), prometheus::content_type,
                prometheus::render(e.metrics));
  } catch (const std::exception& ex) {
    return text(http::status::internal_server_error, req,
                std::string("collecting metrics failed: ") + ex.what());
  }
}

http_response too_large() {
  http_response r{http::status::payload_too_large, 11};
  r.set(http::field::server, "bitactor");
  r.set(http::field::content_type, "text/plain; charset=utf-8");
  r.keep_alive(false);
  r.body() = "request too large\n";
  r.prepare_payload();
  return r;
}

}  // namespace bitactor::telemetry::detail
