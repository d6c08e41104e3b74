#include "bitactor/dist/dist_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "bitactor/dist/dist_error.hpp"

namespace bitactor::dist {
namespace {

bool valid_alive(std::string_view alive) {
  // net_kernel accepts letters, digits, '_' and '-' in the alive part.
  if (alive.empty() || alive.size() > 255) return false;
  for (char ch : alive) {
    auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool is_ip_address(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;  // IPv6
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

std::string short_host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) throw dist_error("dist: cannot read the host name");
  std::string h(buf);
  if (auto dot = h.find('.'); dot != std::string::npos) h.resize(dot);
  return h;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  while (!s.empty() && !not_space(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && !not_space(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

void check_cookie_text(const std::string& cookie, const std::string& where) {
  if (cookie.empty()) throw dist_error("dist: " + where + ": the cookie is empty");
  if (cookie.size() > 255) throw dist_error("dist: " + where + ": the cookie is over 255 bytes");
  for (char ch : cookie) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 32 || c > 126) {
      throw dist_error("dist: " + where + ": the cookie must be printable ASCII");
    }
  }
}

// auth.erl: $HOME/.erlang.cookie, which must be readable by its owner only; created with 20
// random capital letters when missing.
std::string cookie_from_home() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    throw dist_error("dist: no cookie given and $HOME is not set to find .erlang.cookie");
  }
  std::string path = std::string(home) + "/.erlang.cookie";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::random_device rd;
    std::string cookie;
    for (int i = 0; i < 20; ++i) cookie.push_back(static_cast<char>('A' + rd() % 26));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0400);
    if (fd < 0) throw dist_error("dist: cannot create the cookie file " + path);
    bool ok = ::write(fd, cookie.data(), cookie.size()) == static_cast<ssize_t>(cookie.size());
    ::close(fd);
    if (!ok) throw dist_error("dist: cannot write the cookie file " + path);
    return cookie;
  }
  if (!S_ISREG(st.st_mode)) throw dist_error("dist: cookie file " + path + " is not a file");
  if ((st.st_mode & 077) != 0) {
    throw dist_error("dist: cookie file " + path + " must be accessible by owner only");
  }
  std::ifstream in(path);
  if (!in) throw dist_error("dist: cannot read the cookie file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string cookie = trim(ss.str());
  check_cookie_text(cookie, "cookie file " + path);
  return cookie;
}

}  // namespace

bool host_fits_mode(std::string_view host, name_mode mode) {
  if (host.empty()) return false;
  bool dotted = host.find('.') != std::string_view::npos || is_ip_address(host);
  return mode == name_mode::long_names ? dotted : !dotted;
}

std::optional<std::pair<std::string, std::string>> split_node_name(std::string_view name) {
  auto at = name.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == name.size()) return std::nullopt;
  return std::pair<std::string, std::string>(std::string(name.substr(0, at)),
                                             std::string(name.substr(at + 1)));
}

resolved_dist_config resolve(const dist_config& c) {
  resolved_dist_config r;
  r.config = c;
  const char* mode = c.mode == name_mode::short_names ? "short" : "long";
  if (auto at = c.name.find('@'); at != std::string::npos) {
    auto parts = split_node_name(c.name);
    if (!parts) throw dist_error("dist_config.name: '" + c.name + "' is not alive@host");
    r.alive = parts->first;
    r.host = parts->second;
  } else if (c.mode == name_mode::short_names) {
    r.alive = c.name;
    r.host = short_host_name();
  } else {
    throw dist_error("dist_config.name: long names need the host: '" + c.name + "@host.domain'");
  }
  if (!valid_alive(r.alive)) {
    throw dist_error("dist_config.name: '" + r.alive +
                     "' may hold only letters, digits, '_' and '-'");
  }
  if (!host_fits_mode(r.host, c.mode)) {
    throw dist_error("dist_config.name: host '" + r.host + "' is not a " + mode +
                     " name (short names have no dot, long names are qualified or an IP "
                     "address; the two kinds cannot mix)");
  }
  r.node_name = r.alive + "@" + r.host;

  if (c.cookie) {
    check_cookie_text(*c.cookie, "dist_config.cookie");
    r.cookie = *c.cookie;
  } else {
    r.cookie = cookie_from_home();
  }

  r.epmd_port = c.epmd_port;
  if (r.epmd_port == 0) {
    r.epmd_port = 4369;
    if (const char* env = std::getenv("ERL_EPMD_PORT"); env != nullptr && *env != '\0') {
      char* end = nullptr;
      long v = std::strtol(env, &end, 10);
      if (*end != '\0' || v <= 0 || v > 65535) {
        throw dist_error(std::string("dist: ERL_EPMD_PORT is not a port: '") + env + "'");
      }
      r.epmd_port = static_cast<std::uint16_t>(v);
    }
  }
  if (c.listen_address.empty()) throw dist_error("dist_config.listen_address: empty");
  if (c.net_ticktime < std::chrono::milliseconds(400)) {
    throw dist_error("dist_config.net_ticktime: must be at least 400 ms");
  }
  if (c.setup_timeout <= std::chrono::milliseconds(0)) {
    throw dist_error("dist_config.setup_timeout: must be positive");
  }
  if (c.max_frame_bytes < 1024) throw dist_error("dist_config.max_frame_bytes: below 1024");
  if (c.busy_limit_bytes < 1024) throw dist_error("dist_config.busy_limit_bytes: below 1024");
  if (c.busy_park_limit <= std::chrono::milliseconds(0)) {
    throw dist_error("dist_config.busy_park_limit: must be positive");
  }
  if (c.tls) {
    if (c.tls->certificate_file.empty() || c.tls->private_key_file.empty()) {
      throw dist_error(
          "dist_config.tls: certificate_file and private_key_file are required (PEM files)");
    }
    if ((c.tls->verify_peer || c.tls->require_client_certificate) && c.tls->ca_file.empty()) {
      throw dist_error(
          "dist_config.tls.ca_file: required to verify peers (verify_peer, "
          "require_client_certificate)");
    }
  }
  return r;
}

}  // namespace bitactor::dist
