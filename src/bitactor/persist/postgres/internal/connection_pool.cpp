#include "bitactor/persist/postgres/internal/connection_pool.hpp"

#include <zlib.h>

#include <algorithm>
#include <thread>

#include "bitactor/persist/postgres/internal/statements.hpp"

namespace bitactor::persist::postgres_internal {

namespace {

// The first key of the advisory lock taken while creating the schema ("BA" + 1).
constexpr int advisory_lock_class = 0x4241'0001;

void validate(const postgres_options& o) {
  auto bad = [](const std::string& what) {
    throw storage_error("postgres_storage: invalid options: " + what, false);
  };
  if (o.pool_size == 0) bad("pool_size must be at least 1");
  if (o.schema.empty()) bad("schema must not be empty");
  if (o.retry_budget.count() < 0) bad("retry_budget must not be negative");
  if (o.initial_backoff.count() <= 0) bad("initial_backoff must be positive");
  if (o.max_backoff < o.initial_backoff) bad("max_backoff must be at least initial_backoff");
  if (o.connect_timeout.count() < 1) bad("connect_timeout must be at least one second");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(o.connection.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error != nullptr ? error : "cannot parse it";
    if (error != nullptr) PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    bad("connection string: " + message);
  }
  PQconninfoFree(parsed);
}

// A schema name as an SQL identifier, quoted (PostgreSQL's rule: double the double quotes).
std::string quote_identifier(const std::string& name) {
  if (name.find('\0') != std::string::npos) {
    throw storage_error("postgres_storage: invalid options: schema holds a NUL byte", false);
  }
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + '"';
}

}  // namespace

connection_pool::connection_pool(postgres_options options)
    : options_(std::move(options)),
      quoted_schema_((validate(options_), quote_identifier(options_.schema))) {
  // The first connection counts as open like any other: give_back and discard uncount it.
  auto first = connect(deadline());
  open_ = 1;
  give_back(std::move(first));
}

connection_pool::~connection_pool() = default;

connection_pool::lease::~lease() {
  if (c_ != nullptr) pool_->give_back(std::move(c_));
}

void connection_pool::lease::discard() noexcept {
  if (c_ == nullptr) return;
  c_.reset();
  std::lock_guard lock(pool_->mutex_);
  --pool_->open_;
  pool_->returned_.notify_one();
}

connection_pool::lease connection_pool::acquire(clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return lease(*this, std::move(c));
    }
    if (open_ < options_.pool_size) break;
    // Waiting for a connection to come back is not bounded by the retry budget: the callers
    // holding them are bounded by theirs.
    returned_.wait(lock);
  }
  ++open_;
  lock.unlock();
  try {
    return lease(*this, connect(deadline));
  } catch (...) {
    lock.lock();
    --open_;
    returned_.notify_one();
    throw;
  }
}

void connection_pool::give_back(std::unique_ptr<connection> c) noexcept {
  std::lock_guard lock(mutex_);
  if (c->healthy()) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  returned_.notify_one();
}

bool connection_pool::pause(int attempt, clock::time_point deadline) const {
  auto backoff = options_.initial_backoff;
  for (int i = 1; i < attempt && backoff < options_.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, options_.max_backoff);
  const auto now = clock::now();
  if (now >= deadline) return false;
  std::this_thread::sleep_for(std::min<clock::duration>(backoff, deadline - now));
  return true;
}

std::unique_ptr<connection> connection_pool::connect(clock::time_point deadline) {
  const auto started = clock::now();
  for (int attempt = 1;; ++attempt) {
    try {
      return connect_once();
    } catch (const connection_lost& e) {
      if (!pause(attempt, deadline)) {
        const auto spent =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
        throw storage_error(std::string(e.what()) + " (" + std::to_string(attempt) +
                                " attempt(s) in " + std::to_string(spent.count()) + " ms)",
                            true);
      }
    }
  }
}

std::unique_ptr<connection> connection_pool::connect_once() {
  auto c = std::make_unique<connection>(options_.connection,
                                        static_cast<int>(options_.connect_timeout.count()));
  // The schema is checked (and created) on every new connection rather than once per storage:
  // a server restored from an older backup, or another database behind the same name after a
  // failover, is then noticed too. It costs one transaction per connection.
  create_schema(*c);
  for (const auto& s : statements_sql(quoted_schema_)) c->prepare(s.name, s.sql);
  return c;
}

void connection_pool::create_schema(connection& c) {
  // One creator at a time: CREATE ... IF NOT EXISTS races with itself (unique violations on
  // the catalogs) when several nodes open the same database at once. The lock's key is the
  // CRC-32 of the schema's name, in a class of its own (the first key).
  const auto name = reinterpret_cast<const Bytef*>(options_.schema.data());
  const auto key =
      static_cast<std::int32_t>(crc32(0, name, static_cast<uInt>(options_.schema.size())));
  std::vector<std::string> versions;
  c.exec("BEGIN");
  try {
    c.exec("SELECT pg_advisory_xact_lock(" + std::to_string(advisory_lock_class) + ", " +
           std::to_string(key) + ")");
    c.exec(create_schema_sql(quoted_schema_));
    auto r = c.exec(read_version_sql(quoted_schema_));
    for (int row = 0; row < r.rows(); ++row) versions.emplace_back(r.bytes(row, 0));  // text
    c.exec("COMMIT");
  } catch (const connection_lost&) {
    throw;
  } catch (...) {
    if (c.healthy()) c.exec("ROLLBACK");
    throw;
  }
  for (const auto& version : versions) {
    if (version != std::to_string(schema_version)) {
      throw storage_error("postgres_storage: the schema " + quoted_schema_ + " at " + c.where() +
                              " has layout version " + version + "; this build uses " +
                              std::to_string(schema_version),
                          false);
    }
  }
}

}  // namespace bitactor::persist::postgres_internal
