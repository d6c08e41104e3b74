#pragma once
// Certificates for the TLS distribution tests, made with the openssl command in a temporary
// directory: a CA, a node certificate it signs for localhost (DNS:localhost, IP:127.0.0.1), one
// it signs for another host name, and a rogue CA with a localhost certificate of its own.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace bitactor::dist::testing {

class test_pki {
 public:
  test_pki() {
    char templ[] = "/tmp/bitactor-tls-XXXXXX";
    if (mkdtemp(templ) == nullptr) throw std::runtime_error("test_pki: mkdtemp");
    dir_ = templ;
    make_ca("ca");
    make_ca("rogue_ca");
    make_cert("node", "ca", "DNS:localhost,IP:127.0.0.1");
    make_cert("elsewhere", "ca", "DNS:elsewhere.invalid");
    make_cert("rogue", "rogue_ca", "DNS:localhost,IP:127.0.0.1");
  }
  ~test_pki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  test_pki(const test_pki&) = delete;
  test_pki& operator=(const test_pki&) = delete;

  /// `<dir>/<name>.pem` (a certificate) or `<dir>/<name>.key`.
  std::string cert(const std::string& name) const { return dir_ + "/" + name + ".pem"; }
  std::string key(const std::string& name) const { return dir_ + "/" + name + ".key"; }
  const std::string& dir() const { return dir_; }

  /// An ssl_dist_optfile for erl: `name`'s certificate, the CA, peers verified both ways and
  /// clients required to present a certificate.
  std::string erl_options(const std::string& name, const std::string& ca) const {
    const std::string path = dir_ + "/" + name + "_dist.conf";
    const std::string common = "{certfile, \"" + cert(name) + "\"}, {keyfile, \"" + key(name) +
                               "\"}, {cacertfile, \"" + cert(ca) + "\"}, {verify, verify_peer}";
    std::ofstream(path) << "[{server, [" << common << ", {fail_if_no_peer_cert, true}]},\n"
                        << " {client, [" << common << "]}].\n";
    return path;
  }

 private:
  void run(const std::string& cmd) const {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) {
      throw std::runtime_error("test_pki: failed: " + cmd);
    }
  }
  void make_ca(const std::string& name) const {
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
        "/CN=" +
        name + " -keyout " + key(name) + " -out " + cert(name));
  }
  void make_cert(const std::string& name, const std::string& ca, const std::string& names) const {
    const std::string ext = dir_ + "/" + name + ".ext";
    std::ofstream(ext) << "subjectAltName=" << names << "\n";
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name +
        " -keyout " + key(name) + " -out " + dir_ + "/" + name + ".csr");
    run("openssl x509 -req -days 2 -in " + dir_ + "/" + name + ".csr -CA " + cert(ca) + " -CAkey " +
        key(ca) + " -CAcreateserial -extfile " + ext + " -out " + cert(name));
  }

  std::string dir_;
};

}  // namespace bitactor::dist::testing
