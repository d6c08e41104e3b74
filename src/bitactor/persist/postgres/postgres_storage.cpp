#include "bitactor/persist/postgres/postgres_storage.hpp"

#include <zlib.h>

#include <cstdio>
#include <limits>
#include <unordered_map>

#include "bitactor/persist/postgres/internal/connection.hpp"
#include "bitactor/persist/postgres/internal/connection_pool.hpp"
#include "bitactor/persist/postgres/internal/statements.hpp"

namespace bitactor::persist {

using postgres_internal::connection;
using postgres_internal::connection_lost;
using postgres_internal::connection_pool;
using postgres_internal::parameters;
using postgres_internal::server_error;
namespace statement = postgres_internal::statement;

namespace {

constexpr std::uint64_t max_sequence = std::numeric_limits<std::int64_t>::max();

std::uint32_t crc_of(std::string_view bytes, std::uint32_t crc = 0) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// A key's CRC covers all it holds: the key, the result, the sequence and the expiry.
std::uint32_t key_crc(std::string_view key, const idempotency_record& r) {
  std::string numbers;
  for (std::uint64_t v : {r.sequence, static_cast<std::uint64_t>(r.expires_at_ms)}) {
    for (int shift = 56; shift >= 0; shift -= 8) numbers += static_cast<char>(v >> shift);
  }
  return crc_of(numbers, crc_of(r.result, crc_of(key)));
}

// A persistence id as a person reads it in a message: quoted, bytes outside printable ASCII
// as \xNN.
std::string printable(std::string_view id) {
  std::string out = "'";
  for (unsigned char ch : id) {
    if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'') {
      out += static_cast<char>(ch);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", ch);
      out += buf;
    }
  }
  return out + "'";
}

std::int64_t as_int8(std::uint64_t sequence, std::string_view id, const char* what) {
  if (sequence > max_sequence) {
    throw storage_error("postgres_storage: " + std::string(what) + " " + std::to_string(sequence) +
                            " of persistence id " + printable(id) +
                            " exceeds the largest storable sequence (2^63 - 1)",
                        false);
  }
  return static_cast<std::int64_t>(sequence);
}

void check_crc(std::uint32_t computed, std::int64_t stored, const char* what, std::string_view id,
               std::uint64_t sequence) {
  if (static_cast<std::int64_t>(computed) == stored) return;
  char detail[64];
  std::snprintf(detail, sizeof detail, " (stored CRC %08llx, computed %08x)",
                static_cast<unsigned long long>(stored), computed);
  throw corrupt_record("postgres_storage: corrupt record: " + std::string(what) + " at sequence " +
                           std::to_string(sequence) + " of persistence id " + printable(id) +
                           " failed its CRC-32 check" + detail,
                       std::string(id), sequence);
}

void rollback(connection& c) noexcept {
  try {
    if (c.healthy()) c.exec("ROLLBACK");
  } catch (...) {  // the connection broke: the pool drops it, the server rolls back
  }
}

}  // namespace

// Runs `f` on a pooled connection. A connection lost before or during `f` is replaced and `f`
// run again, with backoff, until options.retry_budget is spent; other failures go to the caller.
template <class F>
auto with_connection(connection_pool& pool, F&& f) {
  const auto deadline = pool.deadline();
  const auto started = connection_pool::clock::now();
  for (int attempt = 1;; ++attempt) {
    auto c = pool.acquire(deadline);
    try {
      return f(*c);
    } catch (const connection_lost& e) {
      c.discard();
      if (!pool.pause(attempt, deadline)) {
        const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
            connection_pool::clock::now() - started);
        throw storage_error(std::string(e.what()) + " (" + std::to_string(attempt) +
                                " attempt(s) in " + std::to_string(spent.count()) + " ms)",
                            true);
      }
    }
  }
}

postgres_storage::postgres_storage(postgres_options options)
    : pool_(std::make_unique<connection_pool>(std::move(options))) {}

postgres_storage::~postgres_storage() = default;

namespace {

// The appends of a write, checked and encoded before its transaction starts, as the columns
// of three statements: the highest sequence of each id moves once (an id's appends, as a
// process's pipelined writes are, join into one move), every event goes in one
// INSERT, every key in one upsert. A merged write of hundreds of appends is then a fixed
// handful of round trips.
struct encoded_appends {
  struct id_move {
    std::string_view id;
    std::int64_t before;  // the highest sequence the writer saw (first_sequence - 1)
    std::int64_t last;
  };
  std::vector<id_move> moves;
  std::vector<std::string_view> event_ids, event_bytes;
  std::vector<std::int64_t> event_sequences, event_crcs;
  std::vector<std::string_view> key_ids, keys, key_results;
  std::vector<std::int64_t> key_sequences, key_expiries, key_crcs;

  void add(const write_batch::append& a) {
    if (a.first_sequence == 0) {
      throw storage_error("postgres_storage: append to persistence id " +
                              printable(a.persistence_id) +
                              " with first_sequence 0 (events are numbered from 1)",
                          false);
    }
    const std::int64_t before = as_int8(a.first_sequence - 1, a.persistence_id, "first_sequence");
    const std::int64_t last =
        as_int8(a.first_sequence - 1 + a.events.size(), a.persistence_id, "last sequence");
    join_move(a.persistence_id, before, last);
    std::int64_t seq = before;
    for (const auto& e : a.events) {
      event_ids.push_back(a.persistence_id);
      event_sequences.push_back(++seq);
      event_bytes.push_back(e);
      event_crcs.push_back(crc_of(e));
    }
    if (a.key) {
      const auto& k = *a.key;
      key_ids.push_back(a.persistence_id);
      keys.push_back(k.key);
      key_results.push_back(k.result);
      key_sequences.push_back(as_int8(k.sequence, a.persistence_id, "idempotency key sequence"));
      key_expiries.push_back(k.expires_at_ms);
      key_crcs.push_back(key_crc(k.key, k));
    }
  }

  // An id's appends in one write must follow each other; they move its highest sequence
  // once, from the first one's start to the last one's end.
  void join_move(std::string_view id, std::int64_t before, std::int64_t last) {
    auto [it, added] = move_of_id.try_emplace(id, moves.size());
    if (added) {
      moves.push_back({id, before, last});
      return;
    }
    id_move& m = moves[it->second];
    if (m.last != before) {
      throw sequence_conflict("postgres_storage: sequence conflict: appends to persistence id " +
                                  printable(id) + " in one write leave a gap or overlap",
                              false);
    }
    m.last = last;
  }
  std::unordered_map<std::string_view, std::size_t> move_of_id;

  parameters move_parameters() const {
    std::vector<std::string_view> ids;
    std::vector<std::int64_t> befores, lasts;
    for (const auto& m : moves) {
      ids.push_back(m.id);
      befores.push_back(m.before);
      lasts.push_back(m.last);
    }
    parameters p;
    p.bytea_array(ids).int8_array(befores).int8_array(lasts);
    return p;
  }
  parameters event_parameters() const {
    parameters p;
    p.bytea_array(event_ids)
        .int8_array(event_sequences)
        .bytea_array(event_bytes)
        .int8_array(event_crcs);
    return p;
  }
  parameters key_parameters() const {
    parameters p;
    p.bytea_array(key_ids)
        .bytea_array(keys)
        .bytea_array(key_results)
        .int8_array(key_sequences)
        .int8_array(key_expiries)
        .int8_array(key_crcs);
    return p;
  }
};

std::string describe_ids(const encoded_appends& a) {
  if (a.moves.size() == 1) return "persistence id " + printable(a.moves.front().id);
  return std::to_string(a.moves.size()) + " persistence ids";
}

// The conflict that moved fewer highest sequences than the write has ids: names the id (of
// several, the first whose stored highest sequence is not where this write moved it; inside
// the transaction, the ids that did move read as moved).
sequence_conflict conflict(connection& c, const encoded_appends& a) {
  for (const auto& m : a.moves) {
    parameters id;
    id.bytes(m.id);
    auto h = c.run(statement::highest, id);
    if (a.moves.size() > 1 && h.rows() != 0 && h.int8(0, 0) == m.last) continue;
    const std::string stored = h.rows() == 0 ? "none" : std::to_string(h.int8(0, 0));
    return sequence_conflict("postgres_storage: sequence conflict: an append to persistence id " +
                                 printable(m.id) + " at sequence " + std::to_string(m.before + 1) +
                                 " does not follow its highest stored sequence (" + stored +
                                 "): another writer?",
                             false);
  }
  return sequence_conflict(
      "postgres_storage: sequence conflict: " + describe_ids(a) + " did not all move", false);
}

}  // namespace

void postgres_storage::write(const write_batch& batch, bool sync) {
  if (batch.empty()) return;

  encoded_appends appends;
  for (const auto& a : batch.appends) appends.add(a);
  const parameters moves = appends.move_parameters();
  const parameters events = appends.event_parameters();
  const parameters keys = appends.key_parameters();
  std::vector<parameters> snapshots;
  for (const auto& s : batch.snapshots) {
    snapshots.emplace_back();
    snapshots.back()
        .bytes(s.persistence_id)
        .int8(as_int8(s.value.sequence, s.persistence_id, "snapshot sequence"))
        .bytes(s.value.bytes)
        .int8(crc_of(s.value.bytes));
  }
  std::vector<parameters> deletions;
  for (const auto& d : batch.deletions) {
    deletions.emplace_back();
    deletions.back()
        .bytes(d.persistence_id)
        .int8(static_cast<std::int64_t>(std::min<std::uint64_t>(d.through, max_sequence)));
  }

  with_connection(*pool_, [&](connection& c) {
    // synchronous_commit for this transaction only: on, COMMIT returns once the WAL is flushed;
    // off, it returns at once and the WAL writer flushes it within wal_writer_delay (a server
    // crash may lose the transaction, never a part of it).
    c.exec(sync ? "BEGIN; SET LOCAL synchronous_commit TO on"
                : "BEGIN; SET LOCAL synchronous_commit TO off");
    try {
      if (!appends.moves.empty()) {
        const auto moved =
            static_cast<std::size_t>(c.run(statement::advance_highest, moves).int8(0, 0));
        if (moved != appends.moves.size()) throw conflict(c, appends);
      }
      if (!appends.event_ids.empty()) {
        try {
          c.run(statement::insert_events, events);
        } catch (const server_error& e) {
          if (!e.unique_violation()) throw;
          throw sequence_conflict("postgres_storage: sequence conflict: events of " +
                                      describe_ids(appends) + " overlap stored ones",
                                  false);
        }
      }
      if (!appends.keys.empty()) c.run(statement::put_keys, keys);
      for (const auto& s : snapshots) c.run(statement::put_snapshot, s);
      for (const auto& d : deletions) c.run(statement::delete_events, d);
    } catch (const connection_lost&) {
      throw;  // nothing was committed: with_connection tries again on a fresh connection
    } catch (...) {
      rollback(c);
      throw;
    }
    try {
      c.exec("COMMIT");
    } catch (const connection_lost& e) {
      throw storage_error(std::string(e.what()) +
                              "; the connection broke while committing, so the write may or may "
                              "not be stored (highest_sequence tells)",
                          true);
    }
  });
}

std::vector<stored_event> postgres_storage::read_events(std::string_view persistence_id,
                                                        std::uint64_t from, std::uint64_t to) {
  if (from > max_sequence || from > to) return {};
  parameters p;
  p.bytes(persistence_id)
      .int8(static_cast<std::int64_t>(from))
      .int8(static_cast<std::int64_t>(std::min(to, max_sequence)));
  return with_connection(*pool_, [&](connection& c) {
    auto r = c.run(statement::read_events, p);
    std::vector<stored_event> events;
    events.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
      stored_event e{static_cast<std::uint64_t>(r.int8(row, 0)), std::string(r.bytes(row, 1))};
      check_crc(crc_of(e.bytes), r.int8(row, 2), "event", persistence_id, e.sequence);
      events.push_back(std::move(e));
    }
    return events;
  });
}

std::uint64_t postgres_storage::highest_sequence(std::string_view persistence_id) {
  parameters p;
  p.bytes(persistence_id);
  return with_connection(*pool_, [&](connection& c) -> std::uint64_t {
    auto r = c.run(statement::highest, p);
    return r.rows() == 0 ? 0 : static_cast<std::uint64_t>(r.int8(0, 0));
  });
}

std::optional<stored_snapshot> postgres_storage::latest_snapshot(std::string_view persistence_id) {
  parameters p;
  p.bytes(persistence_id);
  return with_connection(*pool_, [&](connection& c) -> std::optional<stored_snapshot> {
    auto r = c.run(statement::latest_snapshot, p);
    if (r.rows() == 0) return std::nullopt;
    stored_snapshot s{static_cast<std::uint64_t>(r.int8(0, 0)), std::string(r.bytes(0, 1))};
    check_crc(crc_of(s.bytes), r.int8(0, 2), "snapshot", persistence_id, s.sequence);
    return s;
  });
}

std::optional<idempotency_record> postgres_storage::find_key(std::string_view persistence_id,
                                                             std::string_view key) {
  parameters p;
  p.bytes(persistence_id).bytes(key);
  return with_connection(*pool_, [&](connection& c) -> std::optional<idempotency_record> {
    auto r = c.run(statement::find_key, p);
    if (r.rows() == 0) return std::nullopt;
    idempotency_record k{std::string(key), std::string(r.bytes(0, 0)),
                         static_cast<std::uint64_t>(r.int8(0, 1)), r.int8(0, 2)};
    check_crc(key_crc(key, k), r.int8(0, 3), "idempotency key", persistence_id, k.sequence);
    return k;
  });
}

std::size_t postgres_storage::expire_keys(std::int64_t now_ms) {
  parameters p;
  p.int8(now_ms);
  return with_connection(*pool_, [&](connection& c) {
    return static_cast<std::size_t>(c.run(statement::expire_keys, p).affected());
  });
}

}  // namespace bitactor::persist
