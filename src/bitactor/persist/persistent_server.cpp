#include "bitactor/persist/persistent_server.hpp"

#include <algorithm>
#include <chrono>

namespace bitactor::persist {

// What a recovering process reads first: its latest snapshot and its highest sequence; the
// events after the snapshot follow in chunks.
struct persistent_server::recovered {
  std::optional<stored_snapshot> snapshot;
  std::uint64_t highest = 0;
};

namespace {
// Events read per background read during recovery: the next chunk is read while this one is
// replayed, so a long journal costs two chunks of memory, not the whole journal.
constexpr std::uint64_t recovery_chunk = 16384;
}  // namespace

namespace {
// A background read's answer: its value, or why it failed.
template <class T>
struct read_answer {
  std::optional<T> value;
  std::optional<storage_failure> failed;
};
}  // namespace

persistent_server::persistent_server(persistence& p, persistent_options options)
    : persistence_(p), options_(std::move(options)) {}

void persistent_server::handle_command(command_context& c) {
  // As gen_server's default handle_call: an unexpected call is the caller's bug.
  exit(exit_reason::error(
      term::tuple(term::atom("unexpected_call"), term::binary(c.request().type_name()))));
}

void persistent_server::fail(std::string_view what, std::string_view why) {
  exit(exit_reason::error(
      term::tuple(term::atom(what), term::binary(options_.persistence_id), term::binary(why))));
}

template <class T>
void persistent_server::start_read(const ref& tag, std::function<T(storage&)> read) {
  persistence_.read(
      [&n = this_node(), &p = persistence_, to = otp::from(self(), tag), read = std::move(read)] {
        read_answer<T> answer;
        try {
          answer.value = p.with_retries(read);
        } catch (...) {
          answer.failed = storage_failure::of_current_exception();
        }
        otp::reply(n, to, std::move(answer));
      });
}

template <class T>
T persistent_server::read_result(otp::detail::wait_outcome& o, std::string_view failure,
                                 std::string_view what) {
  if (o.kind != otp::detail::wait_outcome::how::matched) {
    fail(failure, std::string(what) + " was not read within " +
                      std::to_string(options_.recovery_timeout.count()) + " ms");
  }
  auto answer =
      otp::take_reply<read_answer<T>>(o.matched->get_if<otp::call_reply>()->value, self());
  if (answer.failed) fail(failure, answer.failed->what);
  return std::move(*answer.value);
}

// --- recovery --------------------------------------------------------------------------------

void persistent_server::init() {
  if (options_.persistence_id.empty()) fail("bad_options", "the persistence id is empty");
  if (options_.snapshot_every > 0 && !can_snapshot()) {
    fail("bad_options", "snapshot_every is set but the state type has no persist::codec");
  }
  recover();  // the start is answered once it is done (gen_server waits for init's coroutines)
}

otp::async persistent_server::recover() {
  const auto deadline = std::chrono::steady_clock::now() + options_.recovery_timeout;
  auto until_deadline = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  const std::string id = options_.persistence_id;
  const bool with_events = stored_as() == kind::events;
  ref tag = this_node().make_ref();
  start_read<recovered>(tag, [id, with_events](storage& s) {
    recovered r;
    r.snapshot = s.latest_snapshot(id);
    if (with_events) r.highest = s.highest_sequence(id);
    return r;
  });
  // Named wait specs: GCC 12 miscompiles temporaries built in a co_await operand.
  otp::detail::wait_spec spec{tag, ref{}, pid{}, until_deadline(), false};
  otp::detail::wait_outcome o = co_await wait(spec);
  recovered r = read_result<recovered>(o, "recovery_failed", "the journal");
  restore(r.snapshot);

  auto read_chunk = [&](std::uint64_t from) {
    ref chunk_tag = this_node().make_ref();
    const std::uint64_t to = std::min(r.highest, from + recovery_chunk - 1);
    start_read<std::vector<stored_event>>(
        chunk_tag, [id, from, to](storage& s) { return s.read_events(id, from, to); });
    return chunk_tag;
  };
  std::uint64_t from = sequence_ + 1;
  if (from <= r.highest) tag = read_chunk(from);
  while (from <= r.highest) {
    spec = {tag, ref{}, pid{}, until_deadline(), false};
    o = co_await wait(spec);
    auto events = read_result<std::vector<stored_event>>(o, "recovery_failed", "the journal");
    from += recovery_chunk;
    if (from <= r.highest) tag = read_chunk(from);  // read while this chunk is replayed
    replay(events);
  }
  if (r.highest > sequence_) {
    fail("recovery_failed", "events " + std::to_string(sequence_ + 1) + " to " +
                                std::to_string(r.highest) + " are missing");
  }
  durable_sequence_ = sequence_;
  on_recovery_completed();
}

void persistent_server::restore(const std::optional<stored_snapshot>& snapshot) {
  if (!snapshot) return;
  try {
    restore_snapshot(snapshot->bytes);
  } catch (const std::exception& e) {
    fail("recovery_failed",
         "the snapshot at sequence " + std::to_string(snapshot->sequence) + ": " + e.what());
  }
  (stored_as() == kind::events ? sequence_ : revision_) = snapshot->sequence;
}

void persistent_server::replay(const std::vector<stored_event>& events) {
  for (const stored_event& e : events) {
    if (e.sequence != sequence_ + 1) {
      fail("recovery_failed", "events " + std::to_string(sequence_ + 1) + " to " +
                                  std::to_string(e.sequence - 1) + " are missing");
    }
    try {
      replay_event(e.bytes);
    } catch (const std::exception& x) {
      fail("recovery_failed", "event " + std::to_string(e.sequence) + ": " + x.what());
    }
    sequence_ = e.sequence;
    ++since_snapshot_;
  }
}

// --- commands --------------------------------------------------------------------------------

void persistent_server::handle_call(otp::call_context& c) {
  (void)c.defer();  // answered here, once durable
  serve_command(c.caller(), c.request());
}

void persistent_server::serve_command(const otp::from& caller, message& request) {
  command_context ctx(*this, caller, request);
  handle_command(ctx);
  if (!ctx.matched() && !ctx.answered()) {
    exit(exit_reason::error(
        term::tuple(term::atom("unexpected_call"), term::binary(request.type_name()))));
  }
  flush();
}

void persistent_server::handle_cast(message& m) {
  handle_cast_command(m);
  flush();
}

void persistent_server::handle_info(message& m) {
  if (auto* done = m.get_if<write_done>()) {
    on_write_done(*done);
    return;
  }
  handle_message(m);
  flush();
}

void persistent_server::append_event(std::string bytes) {
  pending_events_.push_back(std::move(bytes));
  ++sequence_;
  ++since_snapshot_;
}

void persistent_server::flush() {
  bool events = stored_as() == kind::events;
  if (events && options_.snapshot_every > 0 && since_snapshot_ >= options_.snapshot_every) {
    snapshot_due_ = true;
  }
  if (pending_events_.empty() && !pending_key_ && !snapshot_due_) {
    // Nothing to write: the replies wait for the writes before them (they may show their
    // effects), or leave now.
    for (held_reply& r : pending_replies_) hold(std::move(r));
    pending_replies_.clear();
    return;
  }
  write_batch batch;
  const std::string& id = options_.persistence_id;
  if (snapshot_due_) {
    if (!can_snapshot()) fail("persist_failed", "a snapshot needs a persist::codec for the state");
    std::uint64_t at = events ? sequence_ : ++revision_;
    batch.snapshots.push_back({id, {at, encode_state()}});
    if (events && options_.delete_events_on_snapshot) batch.deletions.push_back({id, at});
    since_snapshot_ = 0;
    snapshot_due_ = false;
  }
  if (!pending_events_.empty() || pending_key_) {
    if (pending_key_) pending_key_->sequence = events ? sequence_ : revision_;
    std::uint64_t first = sequence_ - pending_events_.size() + 1;
    batch.appends.push_back({id, first, std::move(pending_events_), std::move(pending_key_)});
    pending_events_.clear();
    pending_key_.reset();
  }
  std::uint64_t number = next_write_++;
  in_flight_.push_back({number, sequence_, std::move(pending_replies_)});
  pending_replies_.clear();
  node& n = this_node();
  pid me = self();
  persistence_.writes().write(std::move(batch), options_.mode,
                              [&n, me, number](std::optional<storage_failure> failed) {
                                n.send(me, write_done{number, std::move(failed)});
                              });
}

void persistent_server::hold(held_reply r) {
  if (in_flight_.empty()) {
    r->send(*this);
  } else {
    in_flight_.back().replies.push_back(std::move(r));
  }
}

void persistent_server::on_write_done(const write_done& d) {
  if (d.failed) fail("persist_failed", d.failed->what);
  if (in_flight_.empty() || in_flight_.front().number != d.number) {
    fail("persist_failed", "write " + std::to_string(d.number) + " completed out of order");
  }
  in_flight f = std::move(in_flight_.front());
  in_flight_.pop_front();
  durable_sequence_ = f.through;
  for (held_reply& r : f.replies) r->send(*this);
}

// --- idempotency keys ------------------------------------------------------------------------

std::int64_t persistent_server::key_retention_ms() const {
  auto retention = options_.key_retention.count() > 0 ? options_.key_retention
                                                      : persistence_.options().key_retention;
  return retention.count();
}

const persistent_server::remembered_key* persistent_server::remembered(const std::string& key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  if (it->second.expires_at_ms < persistence_.now_ms()) {
    keys_.erase(it);
    return nullptr;
  }
  return &it->second;
}

void persistent_server::remember(std::string key, std::string result) {
  std::int64_t now = persistence_.now_ms();
  std::int64_t expires = now + key_retention_ms();
  pending_key_ = idempotency_record{key, result, 0, expires};
  keys_[std::move(key)] = {std::move(result), expires};
  absent_key_.reset();
  if (keys_.size() >= keys_swept_at_) {
    // Amortised: a sweep each time the table doubles keeps a busy process's memory bounded
    // by the keys its retention window holds.
    std::erase_if(keys_, [now](const auto& k) { return k.second.expires_at_ms < now; });
    keys_swept_at_ = std::max<std::size_t>(64, keys_.size() * 2);
  }
}

otp::async persistent_server::resolve_key(otp::from caller, message_ptr request, std::string key) {
  ref tag = this_node().make_ref();
  start_read<std::optional<idempotency_record>>(
      tag, [id = options_.persistence_id, key](storage& s) { return s.find_key(id, key); });
  otp::detail::wait_spec spec{tag, ref{}, pid{}, options_.recovery_timeout, false};
  otp::detail::wait_outcome o = co_await wait(spec);
  auto record = read_result<std::optional<idempotency_record>>(o, "persist_failed",
                                                               "the idempotency key '" + key + "'");
  if (record && record->expires_at_ms >= persistence_.now_ms()) {
    keys_[key] = {std::move(record->result), record->expires_at_ms};
  } else {
    absent_key_ = key;
  }
  serve_command(caller, *request);
  absent_key_.reset();
}

}  // namespace bitactor::persist
