// A cluster of three BitActor nodes, each in its own OS process (dist_cluster_node), and this
// test's node: every node calls every other by {Name, Node}, and when one process is killed
// (SIGKILL: no goodbye on the wire) the others see it go: this node's monitor of a process
// there fires noconnection, the survivors drop it from nodes() and keep calling each other.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bitactor/core/inbox.hpp>
#include <bitactor/core/system_messages.hpp>
#include <bitactor/dist/distributed_node.hpp>
#include <bitactor/dist/term_mapping.hpp>
#include <bitactor/term/print.hpp>
#include <memory>
#include <thread>

#include "dist_test_support.hpp"

using namespace bitactor;
using namespace bitactor::dist;
using namespace bitactor::dist::testing;
namespace t = bitactor::term;

namespace {

const char* const cookie = "process_cluster_cookie";

// One dist_cluster_node process; killed (SIGKILL) by kill() or at the end.
class node_process {
 public:
  node_process(const std::string& alive, std::uint16_t epmd_port) {
    int to_child[2];
    int from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      const std::string port = std::to_string(epmd_port);
      execl(DIST_CLUSTER_NODE, DIST_CLUSTER_NODE, alive.c_str(), cookie, port.c_str(), nullptr);
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_ = to_child[1];
    from_ = from_child[0];
    std::string line;
    std::uint8_t ch = 0;
    while (read_exact(from_, &ch, 1, steady::now() + 30s) && ch != '\n')
      line += static_cast<char>(ch);
    if (line.rfind("ready ", 0) != 0) throw std::runtime_error(alive + " did not start: " + line);
    name_ = line.substr(6);
  }
  ~node_process() {
    kill();
    close(to_);
    close(from_);
  }
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  const std::string& name() const { return name_; }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string name_;
};

}  // namespace

TEST(dist_process_cluster, three_processes_call_each_other_and_survive_a_sigkill) {
  ASSERT_TRUE(have_program("epmd")) << "epmd is required";
  private_epmd epmd;
  std::vector<std::unique_ptr<node_process>> nodes;
  for (const char* alive : {"pa", "pb", "pc"}) {
    nodes.push_back(std::make_unique<node_process>(alive, epmd.port()));
  }
  dist_config c;
  c.name = "observer@localhost";
  c.cookie = cookie;
  c.epmd_port = epmd.port();
  node_config n;
  n.workers = 1;
  distributed_node self(c, n);

  // Each process calls each other's `where` by {Name, Node}: the answer names the callee.
  for (const auto& from : nodes) {
    for (const auto& to : nodes) {
      if (from == to) continue;
      EXPECT_EQ(
          self.rpc(from->name(), "cluster", "call", {t::atom("where"), t::atom(to->name())}, 20s),
          t::tuple(t::atom(to->name()), t::atom("hello")))
          << from->name() << " -> " << to->name();
    }
  }
  EXPECT_EQ(  // sorted
      self.rpc(nodes[0]->name(), "cluster", "nodes", {}),
      t::list(t::atom("observer@localhost"), t::atom(nodes[1]->name()), t::atom(nodes[2]->name())));

  // Watch pc's `where`, then kill pc's process outright.
  inbox box(self.local());
  const pid on_c = from_term(self.rpc(nodes[2]->name(), "cluster", "where_pid", {}).as_pid());
  const ref mref = box.monitor(on_c);
  ASSERT_TRUE(self.ping(nodes[2]->name()));  // the monitor went out before the ping
  const std::string dead = nodes[2]->name();
  nodes[2]->kill();
  auto down = box.receive<down_msg>(20s);
  ASSERT_TRUE(down) << "no DOWN for the killed node's process";
  EXPECT_EQ(down->monitor, mref);
  EXPECT_EQ(down->reason, exit_reason::noconnection());

  // The survivors drop it and keep calling each other.
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(eventually(
        [&] {
          auto peers = self.rpc(nodes[i]->name(), "cluster", "nodes", {});
          for (const auto& p : peers.as_list().elements) {
            if (p.is_atom(dead)) return false;
          }
          return true;
        },
        20s))
        << nodes[i]->name() << " still lists " << dead;
  }
  EXPECT_EQ(self.rpc(nodes[0]->name(), "cluster", "call",
                     {t::atom("where"), t::atom(nodes[1]->name())}, 20s),
            t::tuple(t::atom(nodes[1]->name()), t::atom("hello")));
  try {
    self.rpc(nodes[0]->name(), "cluster", "call", {t::atom("where"), t::atom(dead)}, 20s);
    FAIL() << "a call reached the killed node";
  } catch (const rpc_error& e) {
    // The call exits with noconnection there; erpc carries it as the function's exception.
    EXPECT_NE(std::string(e.what()).find("noconnection"), std::string::npos) << e.what();
  }
}
