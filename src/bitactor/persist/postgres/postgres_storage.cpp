#include "bitactor/persist/postgres/postgres_storage.hpp"

#include <zlib.h>

#include <cstdio>
#include <limits>

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

void postgres_storage::write(const write_batch& batch, bool sync) {
  if (batch.empty()) return;

  // Everything is checked and encoded before the transaction starts.
  struct append_params {
    const write_batch::append* append;
    std::int64_t before;  // first_sequence - 1
    std::int64_t last;
    parameters advance;
    parameters events;
    std::optional<parameters> key;
  };
  std::vector<append_params> appends;
  appends.reserve(batch.appends.size());
  for (const auto& a : batch.appends) {
    if (a.first_sequence == 0) {
      throw storage_error("postgres_storage: append to persistence id " +
                              printable(a.persistence_id) +
                              " with first_sequence 0 (events are "
                              "numbered from 1)",
                          false);
    }
    const std::int64_t before = as_int8(a.first_sequence - 1, a.persistence_id, "first_sequence");
    const std::int64_t last =
        as_int8(a.first_sequence - 1 + a.events.size(), a.persistence_id, "last sequence");
    append_params p{&a, before, last, {}, {}, {}};
    p.advance.bytes(a.persistence_id).int8(before).int8(last);
    std::vector<std::int64_t> crcs;
    crcs.reserve(a.events.size());
    for (const auto& e : a.events) crcs.push_back(crc_of(e));
    p.events.bytes(a.persistence_id).int8(before + 1).bytea_array(a.events).int8_array(crcs);
    if (a.key) {
      const auto& k = *a.key;
      p.key.emplace();
      p.key->bytes(a.persistence_id)
          .bytes(k.key)
          .bytes(k.result)
          .int8(as_int8(k.sequence, a.persistence_id, "idempotency key sequence"))
          .int8(k.expires_at_ms)
          .int8(key_crc(k.key, k));
    }
    appends.push_back(std::move(p));
  }
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
      for (auto& p : appends) {
        if (c.run(statement::advance_highest, p.advance).int8(0, 0) != 1) {
          parameters id;
          id.bytes(p.append->persistence_id);
          auto h = c.run(statement::highest, id);
          const std::string stored = h.rows() == 0 ? "none" : std::to_string(h.int8(0, 0));
          throw sequence_conflict(
              "postgres_storage: sequence conflict: an append to persistence "
              "id " +
                  printable(p.append->persistence_id) + " at sequence " +
                  std::to_string(p.append->first_sequence) +
                  " does not follow its highest stored sequence (" + stored + "): another writer?",
              false);
        }
        if (!p.append->events.empty()) {
          try {
            c.run(statement::insert_events, p.events);
          } catch (const server_error& e) {
            if (!e.unique_violation()) throw;
            throw sequence_conflict("postgres_storage: sequence conflict: events " +
                                        std::to_string(p.append->first_sequence) + ".." +
                                        std::to_string(p.last) + " of persistence id " +
                                        printable(p.append->persistence_id) +
                                        " overlap stored ones",
                                    false);
          }
        }
        if (p.key) c.run(statement::put_key, *p.key);
      }
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
