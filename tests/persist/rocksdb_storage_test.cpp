// rocksdb_storage keeps the storage contract, and on real files: a torn log tail is cut at the
// last good record, damage before it fails the open, and a damaged record fails its read
// with corrupt_record naming the persistence id and the sequence.
#include "bitactor/persist/rocksdb_storage.hpp"

#include <rocksdb/db.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>

#include "storage_contract.hpp"
#include "temp_directory.hpp"

namespace bitactor::persist::testing {
namespace {

namespace fs = std::filesystem;

struct rocksdb_backend {
  temp_directory dir;
  std::unique_ptr<rocksdb_storage> store;
  storage& open() {
    store = std::make_unique<rocksdb_storage>(dir.str());
    return *store;
  }
  storage& reopen() {
    store.reset();
    return open();
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(rocksdb, storage_contract, ::testing::Types<rocksdb_backend>);

// The files of `dir` whose names match `pattern`, sorted by name (RocksDB numbers them).
std::vector<fs::path> files_matching(const fs::path& dir, const std::string& pattern) {
  std::vector<fs::path> out;
  std::regex re(pattern);
  for (const auto& e : fs::directory_iterator(dir)) {
    if (std::regex_match(e.path().filename().string(), re)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The one write-ahead log holding data (RocksDB: NNNNNN.log).
fs::path wal_of(const fs::path& dir) {
  std::optional<fs::path> found;
  for (const auto& p : files_matching(dir, "[0-9]+\\.log")) {
    if (fs::file_size(p) > 0) found = p;
  }
  if (!found) throw std::runtime_error("no write-ahead log with data in " + dir.string());
  return *found;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Ten events of "acct", one synced write each, then the storage is closed.
void write_ten_events(const temp_directory& dir) {
  rocksdb_storage s(dir.str());
  for (std::uint64_t i = 1; i <= 10; ++i) {
    s.write(append_batch("acct", i, {"event-" + std::to_string(i) + "-payload"}), true);
  }
}

TEST(rocksdb_storage, torn_tail_is_cut_at_last_good_record) {
  temp_directory dir;
  write_ten_events(dir);
  fs::path wal = wal_of(dir.path());
  // A crash in the middle of writing the last record: its last bytes never reached the disk.
  fs::resize_file(wal, fs::file_size(wal) - 5);
  rocksdb_storage s(dir.str());
  EXPECT_EQ(s.highest_sequence("acct"), 9u);
  auto events = s.read_events("acct", 1);
  ASSERT_EQ(events.size(), 9u);
  for (std::uint64_t i = 1; i <= 9; ++i) {
    EXPECT_EQ(events[i - 1], (stored_event{i, "event-" + std::to_string(i) + "-payload"}));
  }
  // The journal goes on from the last good record.
  s.write(append_batch("acct", 10, {"again"}), true);
  EXPECT_EQ(s.read_events("acct", 10).at(0).bytes, "again");
}

TEST(rocksdb_storage, log_cut_inside_a_record_header_is_also_a_torn_tail) {
  temp_directory dir;
  std::uintmax_t after_nine = 0;
  {
    rocksdb_storage s(dir.str());
    for (std::uint64_t i = 1; i <= 10; ++i) {
      s.write(append_batch("acct", i, {"event-" + std::to_string(i) + "-payload"}), true);
      // Synced: the log on disk ends exactly where the tenth write's record will begin.
      if (i == 9) after_nine = fs::file_size(wal_of(dir.path()));
    }
  }
  fs::path wal = wal_of(dir.path());
  ASSERT_GT(fs::file_size(wal), after_nine + 3);
  // The crash left only the first 3 bytes of the tenth record's 7-byte header.
  fs::resize_file(wal, after_nine + 3);
  rocksdb_storage s(dir.str());
  EXPECT_EQ(s.highest_sequence("acct"), 9u);
  EXPECT_EQ(s.read_events("acct", 1).size(), 9u);
}

TEST(rocksdb_storage, damage_before_the_end_of_the_log_fails_the_open_with_a_clear_error) {
  temp_directory dir;
  write_ten_events(dir);
  fs::path wal = wal_of(dir.path());
  std::string bytes = read_file(wal);
  std::size_t at = bytes.find("event-3-payload");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = static_cast<char>(bytes[at + 2] ^ 0x40);
  write_file(wal, bytes);
  try {
    rocksdb_storage s(dir.str());
    FAIL() << "opened a journal with a damaged record before its tail";
  } catch (const storage_error& e) {
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find(dir.str()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
}

TEST(rocksdb_storage, flipped_byte_in_a_table_file_fails_the_read_naming_id_and_sequence) {
  temp_directory dir;
  {
    // Uncompressed, so the test finds the event's bytes in the table file to damage them.
    rocksdb_storage s(dir.str(), {.compress = false});
    for (std::uint64_t i = 1; i <= 10; ++i) {
      s.write(append_batch("acct", i, {"table-event-" + std::to_string(i) + "-payload"}), true);
    }
    s.flush();
  }
  auto tables = files_matching(dir.path(), "[0-9]+\\.sst");
  ASSERT_FALSE(tables.empty());
  bool damaged = false;
  for (const auto& t : tables) {
    std::string bytes = read_file(t);
    std::size_t at = bytes.find("table-event-6-payload");
    if (at == std::string::npos) continue;
    bytes[at + 4] = static_cast<char>(bytes[at + 4] ^ 0x01);
    write_file(t, bytes);
    damaged = true;
  }
  ASSERT_TRUE(damaged) << "the event's bytes were not found in a table file";
  rocksdb_storage s(dir.str());
  try {
    s.read_events("acct", 1);
    FAIL() << "read a damaged record";
  } catch (const corrupt_record& e) {
    EXPECT_EQ(e.persistence_id(), "acct");
    EXPECT_GE(e.sequence(), 1u);
    EXPECT_LE(e.sequence(), 6u);
    EXPECT_NE(std::string(e.what()).find("acct"), std::string::npos) << e.what();
  }
}

TEST(rocksdb_storage, record_moved_under_another_key_fails_its_crc) {
  temp_directory dir;
  write_ten_events(dir);
  {
    // Swap the values of two event records behind the storage's back: each value is intact
    // for RocksDB, but its CRC covers the key it was written under.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.str(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::vector<std::pair<std::string, std::string>> events;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek("e"); it->Valid() && it->key().starts_with("e"); it->Next()) {
      events.emplace_back(it->key().ToString(), it->value().ToString());
    }
    ASSERT_EQ(events.size(), 10u);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), events[3].first, events[4].second).ok());
    it.reset();
    ASSERT_TRUE(db->Close().ok());
  }
  rocksdb_storage s(dir.str());
  EXPECT_EQ(s.read_events("acct", 1, 3).size(), 3u);  // the records before it read fine
  try {
    s.read_events("acct", 1);
    FAIL() << "read a record stored under another key";
  } catch (const corrupt_record& e) {
    EXPECT_EQ(e.persistence_id(), "acct");
    EXPECT_EQ(e.sequence(), 4u);
    EXPECT_NE(std::string(e.what()).find("event 4 fails its CRC check"), std::string::npos)
        << e.what();
  }
}

TEST(rocksdb_storage, directory_held_by_another_storage_is_a_clear_error) {
  temp_directory dir;
  rocksdb_storage first(dir.str());
  try {
    rocksdb_storage second(dir.str());
    FAIL() << "opened a journal twice";
  } catch (const storage_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.str()), std::string::npos) << e.what();
  }
}

TEST(rocksdb_storage, missing_directory_without_create_if_missing_is_a_clear_error) {
  temp_directory dir;
  std::string missing = (dir.path() / "nothing-here").string();
  EXPECT_THROW(rocksdb_storage(missing, rocksdb_options{.create_if_missing = false}),
               storage_error);
}

}  // namespace
}  // namespace bitactor::persist::testing
