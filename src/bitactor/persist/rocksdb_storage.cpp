#include "bitactor/persist/rocksdb_storage.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "bitactor/persist/internal/batch_check.hpp"
#include "bitactor/persist/internal/record.hpp"

namespace bitactor::persist {

namespace {

// Keys: a one-byte kind, the persistence id behind its length (so "a" and "ab" never share a
// prefix), then what identifies the record within the id. Big-endian numbers sort as numbers.
enum kind : char { event_kind = 'e', highest_kind = 'h', snapshot_kind = 's', key_kind = 'k' };

std::string id_prefix(kind k, std::string_view id) {
  std::string out;
  out.push_back(k);
  detail::put_u32(out, static_cast<std::uint32_t>(id.size()));
  out.append(id);
  return out;
}
std::string event_key(std::string_view id, std::uint64_t seq) {
  std::string out = id_prefix(event_kind, id);
  detail::put_u64(out, seq);
  return out;
}
std::string key_key(std::string_view id, std::string_view key) {
  std::string out = id_prefix(key_kind, id);
  out.append(key);
  return out;
}

// The persistence id of an event key: RocksDB keeps an insert position per such prefix, so
// each id's events (appended in sequence order) go into the memtable without a search from
// the top of its skip list. With hundreds of ids interleaved in each group write, that search
// was most of a write's CPU time.
//
// Only event keys are in the domain, and a deletion of events starts at the bare prefix (not
// an event key): RocksDB 7 shares one table of insert positions between its memtable and the
// memtable of range deletions, so a range deletion under a prefix that has a position there
// would be inserted at a position in the wrong skip list.
class event_prefix_extractor : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "bitactor.persist.event_prefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return InDomain(key) ? rocksdb::Slice(key.data(), key.size() - 8) : key;
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() >= 5 + 8 && key[0] == event_kind &&
           key.size() == 5 + 8 + detail::get_u32(std::string_view(key.data(), key.size()), 1);
  }
};

std::string describe(const rocksdb::Status& s) { return s.ToString(); }

[[noreturn]] void fail(const std::string& what, const rocksdb::Status& s) {
  // A full disk or a transient I/O error may pass; anything else will not by retrying.
  bool retryable = s.IsNoSpace() || s.IsIOError() || s.IsBusy() || s.IsTryAgain() ||
                   s.IsTimedOut() || s.IsIncomplete();
  throw storage_error(what + ": " + describe(s), retryable);
}

std::string idem_payload(const idempotency_record& r) {
  std::string out;
  detail::put_u64(out, r.sequence);
  detail::put_u64(out, static_cast<std::uint64_t>(r.expires_at_ms));
  out.append(r.result);
  return out;
}

// The highest sequence of `id` once `batch` is stored, `before` being the one before it.
std::uint64_t highest_after(const write_batch& batch, std::string_view id, std::uint64_t before) {
  for (const auto& a : batch.appends) {
    if (a.persistence_id == id && !a.events.empty()) {
      before = std::max(before, a.first_sequence + a.events.size() - 1);
    }
  }
  return before;
}

}  // namespace

struct rocksdb_storage::impl {
  std::string directory;
  std::unique_ptr<rocksdb::DB> db;
  std::mutex write_mutex;  // the sequence check and the write it guards are one step
  // The highest sequence of each id written through this storage, under write_mutex: the
  // sequence check then costs no read per append. Only this object writes the directory
  // (RocksDB's LOCK keeps other processes out), so the cache cannot go stale.
  // Looked up by string_view: a hit (every write after an id's first) allocates nothing.
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept {
      return std::hash<std::string_view>{}(id);
    }
  };
  std::unordered_map<std::string, std::uint64_t, id_hash, std::equal_to<>> highest_written;

  std::uint64_t highest_for_write(std::string_view id) {
    if (auto it = highest_written.find(id); it != highest_written.end()) return it->second;
    std::uint64_t h = highest(id);
    highest_written.emplace(std::string(id), h);
    return h;
  }

  std::string describe_id(std::string_view id) const {
    return "RocksDB journal " + directory + ", persistence id '" + std::string(id) + "'";
  }

  // The payload of the record under `key`, nullopt if absent; corrupt_record (naming `id` and
  // `seq`) if it fails its CRC or RocksDB reports it corrupt.
  std::optional<std::string> get(const std::string& key, std::string_view id, std::uint64_t seq,
                                 const char* what) {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return std::nullopt;
    if (s.IsCorruption()) {
      throw corrupt_record(describe_id(id) + ": " + what + " is corrupt: " + describe(s),
                           std::string(id), seq);
    }
    if (!s.ok()) fail(describe_id(id) + ": reading the " + what, s);
    auto payload = detail::unseal(key, value);
    if (!payload) {
      throw corrupt_record(describe_id(id) + ": " + what + " fails its CRC check", std::string(id),
                           seq);
    }
    return std::string(*payload);
  }

  // The sequence of the id's last stored event, or of the record a deletion of its events
  // left (events up to a snapshot may all be gone), whichever is higher.
  std::uint64_t highest(std::string_view id) {
    std::uint64_t recorded = 0;
    if (auto v = get(id_prefix(highest_kind, id), id, 0, "highest sequence")) {
      if (v->size() != 8) {
        throw corrupt_record(describe_id(id) + ": highest sequence record has a bad size",
                             std::string(id), 0);
      }
      recorded = detail::get_u64(*v, 0);
    }
    return std::max(recorded, last_event(id));
  }

  std::uint64_t last_event(std::string_view id) {
    const std::string prefix = id_prefix(event_kind, id);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(event_key(id, std::numeric_limits<std::uint64_t>::max()));
    std::uint64_t last = 0;
    if (it->Valid() && it->key().starts_with(prefix) && it->key().size() == prefix.size() + 8) {
      last = detail::get_u64(std::string_view(it->key().data(), it->key().size()), prefix.size());
    }
    rocksdb::Status s = it->status();
    if (s.IsCorruption()) {
      throw corrupt_record(describe_id(id) + ": its last event is corrupt: " + describe(s),
                           std::string(id), 0);
    }
    if (!s.ok()) fail(describe_id(id) + ": finding its last event", s);
    return last;
  }
};

rocksdb_storage::rocksdb_storage(std::string directory, rocksdb_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->directory = std::move(directory);
  rocksdb::Options o;
  o.create_if_missing = options.create_if_missing;
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  o.paranoid_checks = true;
  o.memtable_insert_with_hint_prefix_extractor = std::make_shared<event_prefix_extractor>();
  if (options.write_buffer_size != 0) o.write_buffer_size = options.write_buffer_size;
  if (!options.compress) o.compression = rocksdb::kNoCompression;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, impl_->directory, &db);
  if (!s.ok()) {
    if (s.IsCorruption()) {
      throw storage_error("RocksDB journal " + impl_->directory +
                              " is corrupt before the end of its log (not a torn tail; records "
                              "after the damage may have been acknowledged): " +
                              describe(s),
                          false);
    }
    fail("cannot open the RocksDB journal " + impl_->directory, s);
  }
  impl_->db.reset(db);
}

rocksdb_storage::~rocksdb_storage() {
  if (impl_ && impl_->db) {
    impl_->db->Close().PermitUncheckedError();
  }
}

const std::string& rocksdb_storage::directory() const noexcept { return impl_->directory; }

void rocksdb_storage::write(const write_batch& batch, bool sync) {
  std::lock_guard lock(impl_->write_mutex);
  detail::check_sequences(batch, [&](std::string_view id) { return impl_->highest_for_write(id); });
  rocksdb::WriteBatch wb;
  // One key buffer for the whole batch, and each value put as two parts (its CRC, then the
  // payload where it already lies): an event costs no allocation of its own.
  std::string key;
  auto put = [&](std::string_view payload) {
    auto header = detail::seal_header(key, payload);
    rocksdb::Slice key_part(key);
    rocksdb::Slice value_parts[2] = {{header.data(), header.size()},
                                     {payload.data(), payload.size()}};
    rocksdb::Status s =
        wb.Put(rocksdb::SliceParts(&key_part, 1), rocksdb::SliceParts(value_parts, 2));
    if (!s.ok()) fail("RocksDB journal " + impl_->directory + ": building a write", s);
  };
  for (const auto& a : batch.appends) {
    const std::string prefix = id_prefix(event_kind, a.persistence_id);
    std::uint64_t seq = a.first_sequence;
    for (const auto& e : a.events) {
      key.assign(prefix);  // event_key() in the buffer the batch reuses
      detail::put_u64(key, seq++);
      put(e);
    }
    if (a.key) {
      key = key_key(a.persistence_id, a.key->key);
      put(idem_payload(*a.key));
    }
  }
  for (const auto& w : batch.snapshots) {
    std::string snapshot_key = id_prefix(snapshot_kind, w.persistence_id);
    auto current = impl_->get(snapshot_key, w.persistence_id, 0, "snapshot");
    if (current && current->size() >= 8 && detail::get_u64(*current, 0) > w.value.sequence) {
      continue;  // only the latest snapshot is worth keeping
    }
    std::string v;
    detail::put_u64(v, w.value.sequence);
    v.append(w.value.bytes);
    key = std::move(snapshot_key);
    put(v);
  }
  for (const auto& d : batch.deletions) {
    if (d.through == 0) continue;
    rocksdb::Status s =
        wb.DeleteRange(id_prefix(event_kind, d.persistence_id),  // sorts before event 1
                       event_key(d.persistence_id, d.through + 1));
    if (!s.ok()) fail(impl_->describe_id(d.persistence_id) + ": building a deletion", s);
    // The deletion may take the id's last event: the highest sequence is then kept in a record
    // of its own (written only here, so that appends cost one record per event).
    std::string v;
    detail::put_u64(
        v, highest_after(batch, d.persistence_id, impl_->highest_for_write(d.persistence_id)));
    key = id_prefix(highest_kind, d.persistence_id);
    put(v);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = impl_->db->Write(wo, &wb);
  if (!s.ok()) fail("RocksDB journal " + impl_->directory + ": write failed", s);
  for (const auto& a : batch.appends) {
    if (a.events.empty()) continue;
    const std::uint64_t last = a.first_sequence + a.events.size() - 1;
    if (auto it = impl_->highest_written.find(std::string_view(a.persistence_id));
        it != impl_->highest_written.end()) {
      it->second = last;
    } else {
      impl_->highest_written.emplace(a.persistence_id, last);
    }
  }
}

std::vector<stored_event> rocksdb_storage::read_events(std::string_view persistence_id,
                                                       std::uint64_t from, std::uint64_t to) {
  std::vector<stored_event> out;
  if (from > to) return out;
  if (from == 0) from = 1;
  std::string prefix = id_prefix(event_kind, persistence_id);
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro));
  std::uint64_t expected = from;  // the sequence a failure would be at
  for (it->Seek(event_key(persistence_id, from)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(prefix) || k.size() != prefix.size() + 8) break;
    std::uint64_t seq = detail::get_u64(std::string_view(k.data(), k.size()), prefix.size());
    if (seq > to) break;
    std::string key = k.ToString();
    auto payload = detail::unseal(key, std::string_view(it->value().data(), it->value().size()));
    if (!payload) {
      throw corrupt_record(impl_->describe_id(persistence_id) + ": event " + std::to_string(seq) +
                               " fails its CRC check",
                           std::string(persistence_id), seq);
    }
    out.push_back({seq, std::string(*payload)});
    expected = seq + 1;
  }
  rocksdb::Status s = it->status();
  if (s.IsCorruption()) {
    throw corrupt_record(impl_->describe_id(persistence_id) + ": events from " +
                             std::to_string(expected) + " are corrupt: " + describe(s),
                         std::string(persistence_id), expected);
  }
  if (!s.ok()) fail(impl_->describe_id(persistence_id) + ": reading events", s);
  return out;
}

std::uint64_t rocksdb_storage::highest_sequence(std::string_view persistence_id) {
  return impl_->highest(persistence_id);
}

std::optional<stored_snapshot> rocksdb_storage::latest_snapshot(std::string_view persistence_id) {
  auto v = impl_->get(id_prefix(snapshot_kind, persistence_id), persistence_id, 0, "snapshot");
  if (!v) return std::nullopt;
  if (v->size() < 8) {
    throw corrupt_record(impl_->describe_id(persistence_id) + ": snapshot record is too short",
                         std::string(persistence_id), 0);
  }
  return stored_snapshot{detail::get_u64(*v, 0), v->substr(8)};
}

std::optional<idempotency_record> rocksdb_storage::find_key(std::string_view persistence_id,
                                                            std::string_view key) {
  auto v = impl_->get(key_key(persistence_id, key), persistence_id, 0, "idempotency key");
  if (!v) return std::nullopt;
  if (v->size() < 16) {
    throw corrupt_record(impl_->describe_id(persistence_id) + ": idempotency key '" +
                             std::string(key) + "' is too short",
                         std::string(persistence_id), 0);
  }
  return idempotency_record{std::string(key), v->substr(16), detail::get_u64(*v, 0),
                            static_cast<std::int64_t>(detail::get_u64(*v, 8))};
}

std::size_t rocksdb_storage::expire_keys(std::int64_t now_ms) {
  // A scan of every key record: expiry runs rarely (the journal's sweep), and a key's record
  // is small. An index by expiry time would make it proportional to what expires instead.
  std::lock_guard lock(impl_->write_mutex);
  rocksdb::WriteBatch wb;
  std::size_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  std::string kind_prefix(1, key_kind);
  for (it->Seek(kind_prefix); it->Valid() && it->key().starts_with(kind_prefix); it->Next()) {
    std::string key = it->key().ToString();
    auto payload = detail::unseal(key, std::string_view(it->value().data(), it->value().size()));
    if (!payload || payload->size() < 16) continue;  // reported by find_key, not dropped here
    auto expires = static_cast<std::int64_t>(detail::get_u64(*payload, 8));
    if (expires < now_ms) {
      rocksdb::Status s = wb.Delete(key);
      if (!s.ok()) fail("RocksDB journal " + impl_->directory + ": expiring keys", s);
      ++n;
    }
  }
  if (!it->status().ok())
    fail("RocksDB journal " + impl_->directory + ": scanning keys", it->status());
  if (n == 0) return 0;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = impl_->db->Write(wo, &wb);
  if (!s.ok()) fail("RocksDB journal " + impl_->directory + ": expiring keys", s);
  return n;
}

void rocksdb_storage::flush() {
  rocksdb::Status s = impl_->db->Flush(rocksdb::FlushOptions());
  if (!s.ok()) fail("RocksDB journal " + impl_->directory + ": flush", s);
}

}  // namespace bitactor::persist
