#include "pg_test_server.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace bitactor::persist::testing {

namespace {

void run_script(const std::string& command, const std::string& state) {
  const std::string line =
      std::string("'") + BITACTOR_PG_SERVER_SCRIPT + "' " + command + " '" + state + "'";
  if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line.empty()) {
    throw std::runtime_error("cannot read a connection string from " + path);
  }
  return line;
}

std::string fresh_state_path() {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() / ("bitactor-pg-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(counter++) + ".state"))
      .string();
}

}  // namespace

pg_test_server::pg_test_server() : state_(fresh_state_path()) {
  try {
    run_script("start", state_);
    conninfo_ = read_first_line(state_);
  } catch (...) {
    run_script("remove", state_);
    throw;
  }
}

pg_test_server::~pg_test_server() {
  try {
    run_script("remove", state_);
  } catch (...) {  // the test has already failed for this, or leaves a temp directory behind
  }
}

void pg_test_server::halt() { run_script("halt", state_); }
void pg_test_server::resume() { run_script("resume", state_); }

const std::string& shared_conninfo() {
  static const std::string conninfo = [] {
    if (const char* state = std::getenv("BITACTOR_PG_STATE"); state != nullptr && *state) {
      return read_first_line(state);
    }
    // Outside ctest: a server for this process, removed at exit.
    static std::unique_ptr<pg_test_server> own;
    own = std::make_unique<pg_test_server>();
    std::atexit([] { own.reset(); });
    return own->conninfo();
  }();
  return conninfo;
}

std::string fresh_schema() {
  static std::atomic<int> counter{0};
  std::string name = "t";
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    name += std::string("_") + info->test_suite_name() + "_" + info->name();
  }
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  // PostgreSQL's identifiers hold 63 bytes: keep the tail, which names the case.
  const std::string suffix = "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  if (name.size() + suffix.size() > 63) name = name.substr(name.size() + suffix.size() - 63);
  return name + suffix;
}

postgres_options fresh_options() {
  postgres_options o;
  o.connection = shared_conninfo();
  o.schema = fresh_schema();
  return o;
}

std::string run_sql(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> c(PQconnectdb(conninfo.c_str()), PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("run_sql: cannot connect: ") + PQerrorMessage(c.get()));
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> r(PQexec(c.get(), sql.c_str()), PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("run_sql: " + sql + ": " + PQresultErrorMessage(r.get()));
  }
  if (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0) return PQgetvalue(r.get(), 0, 0);
  return PQcmdTuples(r.get());
}

int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("unused_port: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("unused_port: bind failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace bitactor::persist::testing
