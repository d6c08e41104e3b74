// dist_config: name modes, the cookie, the epmd port, and clear errors for bad values.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bitactor/dist/dist_config.hpp>
#include <bitactor/dist/dist_error.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace bitactor::dist;

namespace {

dist_config with_cookie(std::string name, name_mode mode = name_mode::short_names) {
  dist_config c;
  c.name = std::move(name);
  c.mode = mode;
  c.cookie = "c";
  c.epmd_port = 4369;
  return c;
}

std::string error_of(const dist_config& c) {
  try {
    resolve(c);
  } catch (const dist_error& e) {
    return e.what();
  }
  return "";
}

// Points $HOME at a fresh directory for one test.
class temp_home {
 public:
  temp_home() {
    dir_ = std::filesystem::temp_directory_path() /
           ("bitactor_home_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    if (const char* h = std::getenv("HOME")) old_ = h;
    setenv("HOME", dir_.c_str(), 1);
  }
  ~temp_home() {
    setenv("HOME", old_.c_str(), 1);
    std::filesystem::permissions(dir_ / ".erlang.cookie", std::filesystem::perms::owner_all);
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path cookie_file() const { return dir_ / ".erlang.cookie"; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string old_;
};

}  // namespace

TEST(dist_config, short_name_with_host_is_kept) {
  auto r = resolve(with_cookie("ba@localhost"));
  EXPECT_EQ(r.node_name, "ba@localhost");
  EXPECT_EQ(r.alive, "ba");
  EXPECT_EQ(r.host, "localhost");
  EXPECT_EQ(r.cookie, "c");
}

TEST(dist_config, bare_short_name_gets_the_short_host_name_as_sname_does) {
  auto r = resolve(with_cookie("ba"));
  EXPECT_EQ(r.alive, "ba");
  EXPECT_FALSE(r.host.empty());
  EXPECT_EQ(r.host.find('.'), std::string::npos);
}

TEST(dist_config, short_and_long_names_cannot_mix) {
  EXPECT_NE(error_of(with_cookie("ba@127.0.0.1")).find("not a short name"), std::string::npos);
  EXPECT_NE(error_of(with_cookie("ba@host.example.com")).find("cannot mix"), std::string::npos);
  EXPECT_NE(error_of(with_cookie("ba@localhost", name_mode::long_names)).find("not a long name"),
            std::string::npos);
  EXPECT_EQ(resolve(with_cookie("ba@127.0.0.1", name_mode::long_names)).node_name, "ba@127.0.0.1");
  EXPECT_NE(error_of(with_cookie("ba", name_mode::long_names)).find("need the host"),
            std::string::npos);
}

TEST(dist_config, bad_names_and_values_are_refused_naming_the_field) {
  EXPECT_NE(error_of(with_cookie("b a@localhost")).find("dist_config.name"), std::string::npos);
  EXPECT_NE(error_of(with_cookie("@localhost")).find("dist_config.name"), std::string::npos);
  auto c = with_cookie("ba@localhost");
  c.cookie = "";
  EXPECT_NE(error_of(c).find("dist_config.cookie"), std::string::npos);
  c = with_cookie("ba@localhost");
  c.net_ticktime = std::chrono::milliseconds(10);
  EXPECT_NE(error_of(c).find("net_ticktime"), std::string::npos);
  c = with_cookie("ba@localhost");
  c.setup_timeout = std::chrono::milliseconds(0);
  EXPECT_NE(error_of(c).find("setup_timeout"), std::string::npos);
  c = with_cookie("ba@localhost");
  c.max_frame_bytes = 10;
  EXPECT_NE(error_of(c).find("max_frame_bytes"), std::string::npos);
}

TEST(dist_config, tls_needs_a_certificate_a_key_and_cas_to_verify_with) {
  auto c = with_cookie("ba@localhost");
  c.tls = tls_config{.certificate_file = "node.pem"};
  EXPECT_NE(error_of(c).find("dist_config.tls: certificate_file and private_key_file"),
            std::string::npos);
  c.tls->private_key_file = "node.key";
  EXPECT_NE(error_of(c).find("dist_config.tls.ca_file"), std::string::npos);
  c.tls->verify_peer = false;  // nothing to verify with, nothing verified
  EXPECT_NO_THROW(resolve(c));
  c.tls->ca_file = "ca.pem";
  c.tls->verify_peer = true;
  EXPECT_NO_THROW(resolve(c));  // the files themselves are read when the node starts
}

TEST(dist_config, epmd_port_comes_from_erl_epmd_port_when_unset) {
  auto c = with_cookie("ba@localhost");
  c.epmd_port = 0;
  setenv("ERL_EPMD_PORT", "4400", 1);
  EXPECT_EQ(resolve(c).epmd_port, 4400);
  setenv("ERL_EPMD_PORT", "nonsense", 1);
  EXPECT_NE(error_of(c).find("ERL_EPMD_PORT"), std::string::npos);
  unsetenv("ERL_EPMD_PORT");
  EXPECT_EQ(resolve(c).epmd_port, 4369);
}

TEST(dist_config, cookie_is_read_from_the_home_cookie_file) {
  temp_home home;
  { std::ofstream(home.cookie_file()) << "FILECOOKIE\n"; }
  ::chmod(home.cookie_file().c_str(), 0400);
  dist_config c = with_cookie("ba@localhost");
  c.cookie.reset();
  EXPECT_EQ(resolve(c).cookie, "FILECOOKIE");
}

TEST(dist_config, cookie_file_readable_by_others_is_refused_as_erl_does) {
  temp_home home;
  { std::ofstream(home.cookie_file()) << "FILECOOKIE"; }
  ::chmod(home.cookie_file().c_str(), 0644);
  dist_config c = with_cookie("ba@localhost");
  c.cookie.reset();
  EXPECT_NE(error_of(c).find("accessible by owner only"), std::string::npos);
}

TEST(dist_config, missing_cookie_file_is_created_with_a_random_cookie) {
  temp_home home;
  dist_config c = with_cookie("ba@localhost");
  c.cookie.reset();
  auto first = resolve(c).cookie;
  EXPECT_EQ(first.size(), 20u);
  struct stat st {};
  ASSERT_EQ(::stat(home.cookie_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  EXPECT_EQ(resolve(c).cookie, first);  // read back the second time
}
