// The HTTP endpoint over real sockets: the bearer token, the paths and their answers, and
// the limits (request size, request timeout, connections), each closing only the connection
// that broke it. Every wait has a deadline; nothing sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <bitactor/telemetry/http_server.hpp>
#include <bitactor/telemetry/prometheus.hpp>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/wait.hpp"
#include "http_client.hpp"

namespace telemetry = bitactor::telemetry;
using telemetry::test::client_connection;
using telemetry::test::http_get;
using telemetry::test::peer;
using namespace std::chrono_literals;

using bitactor::test::holds_within;

namespace {
constexpr const char* token = "0123456789abcdef-test-token";

class telemetry_http_server : public ::testing::Test {
 protected:
  telemetry_http_server() {
    metrics.add_gauge("bitactor_test_value", "A value.").set(42);
    checks.add_liveness("loop", [] { return telemetry::check_result{true, "turning"}; });
    checks.add_readiness("db", [this] {
      return telemetry::check_result{ready.load(), ready.load() ? "" : "not connected"};
    });
  }

  telemetry::http_config config() const { return {.token = token, .print_token = false}; }
  void start(telemetry::http_config c) {
    server = std::make_unique<telemetry::http_server>(metrics, checks, std::move(c));
  }
  void start() { start(config()); }
  std::uint16_t port() const { return server->port(); }

  telemetry::registry metrics;
  telemetry::health checks;
  std::atomic<bool> ready{true};
  std::unique_ptr<telemetry::http_server> server;
};
}  // namespace

TEST_F(telemetry_http_server, metrics_without_a_token_is_401) {
  start();
  const auto r = http_get(port(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->www_authenticate, "Bearer");
  EXPECT_EQ(r->body.find("bitactor_test_value"), std::string::npos);
}

TEST_F(telemetry_http_server, metrics_with_a_wrong_token_is_401) {
  start();
  std::string same_length(token);
  same_length.back() = 'X';
  for (const std::string& wrong : {same_length, std::string("short"), std::string(token) + "x"}) {
    const auto r = http_get(port(), "/metrics", wrong);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << wrong;
  }
  client_connection c(port());
  ASSERT_TRUE(c.send_all(std::string("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ") +
                         token + "\r\n\r\n"));
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "only the Bearer scheme";
}

TEST_F(telemetry_http_server, metrics_with_the_token_is_200_and_the_exposition) {
  start();
  const auto r = http_get(port(), "/metrics", token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, telemetry::prometheus::content_type);
  EXPECT_EQ(r->body, telemetry::prometheus::render(metrics));
  EXPECT_NE(r->body.find("\nbitactor_test_value 42\n"), std::string::npos) << r->body;
}

TEST_F(telemetry_http_server, the_bearer_scheme_is_case_insensitive_and_a_query_is_ignored) {
  start();
  client_connection c(port());
  ASSERT_TRUE(c.send_all(std::string("GET /metrics?debug=1 HTTP/1.1\r\nHost: x\r\n"
                                     "Authorization: bEARER ") +
                         token + "\r\n\r\n"));
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(telemetry_http_server, health_needs_no_token_and_answers_200_or_503_with_json) {
  start();
  auto live = http_get(port(), "/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->content_type, "application/json");
  EXPECT_EQ(live->body, R"({"checks":[{"detail":"turning","name":"loop","ok":true}],"status":"ok"})"
                        "\n");
  auto ready_reply = http_get(port(), "/health/ready");
  ASSERT_TRUE(ready_reply);
  EXPECT_EQ(ready_reply->status, 200);
  ready = false;
  ready_reply = http_get(port(), "/health/ready");
  ASSERT_TRUE(ready_reply);
  EXPECT_EQ(ready_reply->status, 503);
  EXPECT_NE(ready_reply->body.find(R"("status":"failing")"), std::string::npos);
  EXPECT_NE(ready_reply->body.find("not connected"), std::string::npos);
  live = http_get(port(), "/health/live", token);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200) << "a token on a health path does no harm";
}

TEST_F(telemetry_http_server, an_unknown_path_is_401_without_the_token_and_404_with_it) {
  start();
  for (const char* path : {"/", "/admin", "/health", "/health/live/x", "/metricsx"}) {
    const auto anonymous = http_get(port(), path);
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401) << path << ": nothing about which paths exist";
    const auto authorised = http_get(port(), path, token);
    ASSERT_TRUE(authorised);
    EXPECT_EQ(authorised->status, 404) << path;
  }
}

TEST_F(telemetry_http_server, a_method_other_than_get_is_405) {
  start();
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD"}) {
    client_connection c(port());
    const auto r = c.get("/metrics", token, method);
    ASSERT_TRUE(r) << method;
    EXPECT_EQ(r->status, 405) << method;
    EXPECT_EQ(r->allow, "GET");
  }
  client_connection c(port());
  const auto r = c.get("/health/live", {}, "POST");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  client_connection anonymous(port());
  const auto denied = anonymous.get("/metrics", {}, "POST");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401) << "authorisation comes first";
}

TEST_F(telemetry_http_server, a_keep_alive_connection_serves_request_after_request) {
  start();
  client_connection c(port());
  for (int i = 0; i < 5; ++i) {
    const auto r = c.get(i % 2 ? "/health/live" : "/metrics", token);
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->keep_alive);
  }
  EXPECT_EQ(server->connections(), 1u);
}

TEST_F(telemetry_http_server, pipelined_requests_are_answered_in_order) {
  start();
  client_connection c(port());
  ASSERT_TRUE(
      c.send_all("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int expected : {200, 401, 200}) {
    const auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, expected);
  }
}

TEST_F(telemetry_http_server, an_http_1_0_request_is_answered_and_the_connection_closed) {
  start();
  client_connection c(port());
  ASSERT_TRUE(c.send_all("GET /health/live HTTP/1.0\r\n\r\n"));
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(telemetry_http_server, a_request_with_oversized_headers_is_413_and_closed) {
  auto c = config();
  c.max_request_bytes = 1024;
  start(c);
  client_connection conn(port());
  ASSERT_TRUE(conn.send_all(
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(8192, 'a') + "\r\n\r\n"));
  const auto r = conn.read_reply();
  ASSERT_TRUE(r) << "the 413 arrives even though the server stopped reading mid-request";
  EXPECT_EQ(r->status, 413);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_TRUE(conn.closed_by_peer());
  const auto next = http_get(port(), "/metrics", token);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << "only that connection closed";
}

TEST_F(telemetry_http_server, a_request_announcing_an_oversized_body_is_413) {
  auto c = config();
  c.max_request_bytes = 1024;
  start(c);
  client_connection conn(port());
  ASSERT_TRUE(conn.send_all("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
                            std::string(4096, 'b')));
  const auto r = conn.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(conn.closed_by_peer());
}

TEST_F(telemetry_http_server, garbage_that_is_not_http_closes_only_that_connection) {
  start();
  client_connection good(port());
  auto r = good.get("/metrics", token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  client_connection bad(port());
  // A TLS ClientHello's first bytes (NULs included), then text.
  static constexpr char tls_hello[] =
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
  ASSERT_TRUE(bad.send_all(std::string(tls_hello, sizeof tls_hello - 1)));
  EXPECT_TRUE(bad.closed_by_peer());
  client_connection bad_line(port());
  ASSERT_TRUE(bad_line.send_all("HELLO\r\n\r\n"));
  EXPECT_TRUE(bad_line.closed_by_peer());

  r = good.get("/metrics", token);
  ASSERT_TRUE(r) << "the other connection keeps working";
  EXPECT_EQ(r->status, 200);
  r = http_get(port(), "/health/live");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(telemetry_http_server, past_max_connections_a_new_connection_is_closed_at_once) {
  auto c = config();
  c.max_connections = 2;
  start(c);
  client_connection first(port()), second(port());
  // An answer on each means the server holds both.
  ASSERT_TRUE(first.get("/health/live"));
  ASSERT_TRUE(second.get("/health/live"));
  EXPECT_EQ(server->connections(), 2u);

  client_connection third(port());
  third.send_all("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");  // may fail: closed already
  peer why = peer::data;
  EXPECT_FALSE(third.read_reply(&why));
  EXPECT_EQ(why, peer::closed);

  first.close();
  ASSERT_TRUE(holds_within(10s, [&] { return server->connections() == 1; }));
  client_connection fourth(port());
  const auto r = fourth.get("/health/live");
  ASSERT_TRUE(r) << "a slot freed, a new connection is served";
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(second.get("/health/live")) << "the held connections were never disturbed";
}

TEST_F(telemetry_http_server, request_timeout_closes_an_idle_connection) {
  auto c = config();
  c.request_timeout = 300ms;
  start(c);
  const auto began = std::chrono::steady_clock::now();
  client_connection idle(port());
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_GE(std::chrono::steady_clock::now() - began, 250ms);
  EXPECT_TRUE(idle.pending().empty()) << "closed without an answer";
}

TEST_F(telemetry_http_server, request_timeout_closes_a_connection_that_never_finishes_a_request) {
  auto c = config();
  c.request_timeout = 300ms;
  start(c);
  client_connection slow(port());
  ASSERT_TRUE(slow.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n"));  // no blank line
  EXPECT_TRUE(slow.closed_by_peer());
  client_connection kept(port());
  ASSERT_TRUE(kept.get("/health/live"));
  EXPECT_TRUE(kept.closed_by_peer()) << "keep-alive idle time counts too";
}

TEST_F(telemetry_http_server, a_collector_that_throws_gives_500_and_the_server_goes_on) {
  std::atomic<bool> fail{true};  // read on the server's thread
  metrics.add_collector([&](std::vector<telemetry::family_sample>&) {
    if (fail.load()) throw std::runtime_error("source down");
  });
  start();
  auto r = http_get(port(), "/metrics", token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("source down"), std::string::npos);
  fail = false;
  r = http_get(port(), "/metrics", token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(telemetry_http_server, a_generated_token_is_64_hex_digits_and_is_required) {
  start({.print_token = false});
  const std::string& t = server->token();
  EXPECT_EQ(t.size(), 64u);
  EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos) << t;
  auto r = http_get(port(), "/metrics", t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = http_get(port(), "/metrics", token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  telemetry::http_server other(metrics, checks, {.print_token = false});
  EXPECT_NE(other.token(), t);
}

TEST_F(telemetry_http_server, bad_configurations_are_refused) {
  EXPECT_THROW(telemetry::http_server(metrics, checks, {.token = "", .print_token = false}),
               std::invalid_argument);
  EXPECT_THROW(telemetry::http_server(metrics, checks,
                                      {.token = token, .print_token = false, .io_threads = 0}),
               std::invalid_argument);
  for (auto broken : {telemetry::http_config{.token = token, .max_request_bytes = 0},
                      telemetry::http_config{.token = token, .request_timeout = {}},
                      telemetry::http_config{.token = token, .max_connections = 0}}) {
    broken.print_token = false;
    EXPECT_THROW(telemetry::http_server(metrics, checks, broken), std::invalid_argument);
  }
  start();
  try {
    telemetry::http_server(metrics, checks, {.port = port(), .token = token, .print_token = false});
    ADD_FAILURE() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port())),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(
      telemetry::http_server(metrics, checks, {.address = "not an address", .print_token = false}),
      std::runtime_error);
}

TEST_F(telemetry_http_server, destroying_the_server_closes_its_connections) {
  start();
  client_connection c(port());
  ASSERT_TRUE(c.get("/health/live"));
  server.reset();
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(telemetry_http_server, many_clients_on_several_io_threads_are_all_answered) {
  auto c = config();
  c.io_threads = 3;
  start(c);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&] {
      client_connection conn(port());
      for (int i = 0; i < 50; ++i) {
        const auto r = conn.get(i % 2 ? "/metrics" : "/health/ready", token);
        if (r && r->status == 200) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 300);
}
