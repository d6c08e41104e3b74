// Tutorial 2 (docs/tutorials/chat_room.md): chat rooms as gen_servers. Members join with a
// call, the room monitors each one, broadcasts what they say, and learns of departures
// (a crash, or leaving without saying so) from the DOWN message of its monitor.
//
//   chat_room --seconds 3 --users 30
#include <CLI/CLI.hpp>
#include <atomic>
#include <bitactor/core/node.hpp>
#include <bitactor/otp/gen_server.hpp>
#include <bitactor/otp/report.hpp>
#include <bitactor/otp/supervisor.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace otp = bitactor::otp;
using bitactor::message;
using bitactor::pid;
using namespace std::chrono_literals;

// --- the protocol of a room -------------------------------------------------------------------

// [protocol]
struct join {  // call: join a room, answered with how many members it now has
  pid member;
  std::string name;
  using reply = std::size_t;
};
struct leave {  // cast: leave a room politely
  pid member;
};
struct say {  // cast: say something to everyone else in the room
  pid member;
  std::string text;
};
struct line {  // what members receive
  std::string room;
  std::string who;
  std::string text;
};
// [protocol]
struct room_stats {
  std::size_t members = 0;
  std::uint64_t lines = 0, joins = 0, departures = 0;
};
struct get_stats {
  using reply = room_stats;
};

const std::vector<std::string> room_names = {"general", "random", "help"};
std::string registered_name(const std::string& room) { return "room:" + room; }

// --- a room -------------------------------------------------------------------------------------

class room : public otp::gen_server {
 public:
  explicit room(std::string name) : name_(std::move(name)) {}

 protected:
  void handle_call(otp::call_context& c) override {
    c.match(
        // [join]
        [&](join& j) {
          // The monitor is how the room learns that a member is gone without a word.
          members_[j.member] = member{j.name, monitor(j.member)};
          ++stats_.joins;
          broadcast(j.member, "*", j.name + " joined");
          return members_.size();
        },
        // [join]
        [&](get_stats&) {
          room_stats s = stats_;
          s.members = members_.size();
          return s;
        });
  }
  void handle_cast(message& m) override {
    if (auto* l = m.get_if<leave>()) {
      auto it = members_.find(l->member);
      if (it == members_.end()) return;
      demonitor(it->second.monitor, true);  // flush: no DOWN of a member who said goodbye
      std::string who = it->second.name;
      members_.erase(it);
      broadcast(l->member, "*", who + " left");
    } else if (auto* s = m.get_if<say>()) {
      auto it = members_.find(s->member);
      if (it == members_.end()) return;  // not a member: ignored
      ++stats_.lines;
      broadcast(s->member, it->second.name, s->text);
    }
  }
  // [down]
  void handle_info(message& m) override {
    if (auto* d = m.get_if<bitactor::down_msg>()) {
      auto it = members_.find(d->process);
      if (it == members_.end()) return;
      std::string who = it->second.name;
      members_.erase(it);
      ++stats_.departures;
      broadcast(d->process, "*", who + " is gone (" + d->reason.to_string() + ")");
    }
  }
  // [down]

 private:
  struct member {
    std::string name;
    bitactor::ref monitor;
  };
  // [broadcast]
  void broadcast(const pid& from, const std::string& who, const std::string& text) {
    for (const auto& [p, m] : members_) {
      if (p != from) send(p, line{name_, who, text});
    }
  }
  // [broadcast]
  std::string name_;
  std::map<pid, member> members_;
  room_stats stats_;
};

// --- a user ----------------------------------------------------------------------------------

std::atomic<std::uint64_t> lines_received{0};

struct tick {};
struct join_rooms {};

class user : public otp::gen_server {
 public:
  explicit user(std::uint64_t seed) : rng_(seed), name_("user" + std::to_string(seed)) {}

 protected:
  // [user-start]
  void init() override { continue_with(join_rooms{}); }  // join after start has returned
  void handle_continue(message&) override { join_some_rooms(); }
  // [user-start]
  void handle_info(message& m) override {
    if (m.is<line>()) {
      lines_received.fetch_add(1, std::memory_order_relaxed);
    } else if (m.is<tick>()) {
      act();
    }
  }

 private:
  // [join-rooms]
  otp::async join_some_rooms() {
    for (const auto& r : room_names) {
      if (!chance(2)) continue;
      join request{self(), name_};
      co_await call(registered_name(r), std::move(request));
      rooms_.push_back(r);
    }
    send_after(self(), next_delay(), tick{});
  }
  // [join-rooms]
  void act() {
    if (chance(40)) throw std::runtime_error(name_ + " tripped over the cable");  // a crash
    if (chance(40)) {
      for (const auto& r : rooms_) cast(registered_name(r), leave{self()});
      stop(bitactor::exit_reason::normal());  // leaves politely
      return;
    }
    if (chance(60)) {
      stop(bitactor::exit_reason::normal());  // quits without a word: the monitors notice
      return;
    }
    if (!rooms_.empty()) {
      const auto& r = rooms_[rng_() % rooms_.size()];
      cast(registered_name(r), say{self(), "hello from " + name_});
    }
    send_after(self(), next_delay(), tick{});
  }
  bool chance(unsigned one_in) { return rng_() % one_in == 0; }
  std::chrono::milliseconds next_delay() { return std::chrono::milliseconds(5 + rng_() % 20); }

  std::mt19937_64 rng_;
  std::string name_;
  std::vector<std::string> rooms_;
};

// --- the program --------------------------------------------------------------------------------

int main(int argc, char** argv) {
  double seconds = 3;
  std::size_t users = 30;
  CLI::App app{"Chat rooms: members join, talk, leave and crash; rooms notice by monitors"};
  app.add_option("--seconds", seconds, "How long to run")->check(CLI::PositiveNumber);
  app.add_option("--users", users, "Users online at once")->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  // Crashing users are part of the show: keep their crash reports off the console.
  otp::set_default_sink_level(otp::report_level::none);

  bitactor::node_config config;
  config.workers = 2;
  bitactor::node node(config);

  // [tree]
  // rooms: one_for_one, each room registered as room:<name>; users: temporary children.
  otp::supervisor_spec rooms;
  for (const auto& r : room_names) {
    rooms.children.push_back(
        otp::child_spec{r, otp::start_link_named_fn<room>(registered_name(r), r)});
  }
  otp::supervisor_spec users_spec;
  users_spec.flags.strategy = otp::restart_strategy::simple_one_for_one;
  users_spec.children.push_back(otp::child_spec::worker<user>("user", std::uint64_t{0})
                                    .with_restart(otp::restart_type::temporary));
  otp::supervisor_spec top;
  top.flags.strategy = otp::restart_strategy::rest_for_one;  // users need the rooms
  top.children.push_back(otp::child_spec::supervisor("rooms", rooms));
  top.children.push_back(otp::child_spec::supervisor("users", users_spec));
  // [tree]
  auto sup = otp::start_supervisor(node, top, "chat");
  if (!sup.ok()) {
    std::cerr << "chat did not start: " << sup.to_string() << "\n";
    return 1;
  }
  pid users_sup = otp::which_children(node, sup.process).value().at(1).process;

  std::uint64_t next_user = 1;
  // [top-up]
  auto top_up = [&] {
    auto online = otp::count_children(node, users_sup).value().active;
    for (; online < users; ++online) {
      otp::start_child(node, users_sup, otp::start_link_fn<user>(next_user++));
    }
  };
  // [top-up]

  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto next_report = start + 1s;
  std::uint64_t last_lines = 0;
  while (std::chrono::steady_clock::now() < end) {
    top_up();
    std::this_thread::sleep_for(20ms);  // the pace of new users, not a synchronisation
    if (std::chrono::steady_clock::now() >= next_report ||
        std::chrono::steady_clock::now() >= end) {
      next_report += 1s;
      std::uint64_t now_lines = lines_received.load();
      std::cout << "lines delivered/s " << now_lines - last_lines << "  users started "
                << next_user - 1 << "  processes " << node.counters().processes << "\n";
      last_lines = now_lines;
    }
  }
  for (const auto& r : room_names) {
    auto s = otp::call(node, registered_name(r), get_stats{});
    std::cout << "room " << r << ": members " << s.members << ", lines " << s.lines << ", joins "
              << s.joins << ", departures noticed by monitor " << s.departures << "\n";
  }
  node.stop();
  return 0;
}
