#pragma once
// What the HTTP endpoint answers to one request (http_server.hpp lists the paths and rules);
// the connection around it (internal/http_connection.hpp) only reads and writes.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "bitactor/telemetry/health.hpp"
#include "bitactor/telemetry/metrics.hpp"

namespace bitactor::telemetry::detail {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

struct endpoints {
  const registry& metrics;
  const health& checks;
  std::string token;
};

http_response respond(const http_request& request, const endpoints& e);
/// The answer to a request over max_request_bytes (the connection closes after it).
http_response too_large();

}  // namespace bitactor::telemetry::detail
