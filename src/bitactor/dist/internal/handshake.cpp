#include "bitactor/dist/internal/handshake.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace bitactor::dist::handshake {
namespace {

class writer {
 public:
  writer() { out_.resize(2); }  // the length, filled in by done()
  writer& u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  writer& u16(std::uint16_t v) { return u8(static_cast<std::uint8_t>(v >> 8)).u8(v & 0xff); }
  writer& u32(std::uint32_t v) {
    return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v));
  }
  writer& u64(std::uint64_t v) {
    return u32(static_cast<std::uint32_t>(v >> 32)).u32(static_cast<std::uint32_t>(v));
  }
  writer& bytes(std::string_view s) {
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  writer& bytes(const digest& d) {
    out_.insert(out_.end(), d.begin(), d.end());
    return *this;
  }
  std::vector<std::uint8_t> done() {
    std::size_t n = out_.size() - 2;
    out_[0] = static_cast<std::uint8_t>(n >> 8);
    out_[1] = static_cast<std::uint8_t>(n);
    return std::move(out_);
  }

 private:
  std::vector<std::uint8_t> out_;
};

class reader {
 public:
  explicit reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool has(std::size_t n) const { return in_.size() - pos_ >= n; }
  std::uint8_t u8() { return in_[pos_++]; }
  std::uint16_t u16() {
    auto hi = u8();
    return static_cast<std::uint16_t>((hi << 8) | u8());
  }
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  std::uint64_t u64() {
    std::uint64_t hi = u32();
    return (hi << 32) | u32();
  }
  std::string text(std::size_t n) {
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  digest dig() {
    digest d{};
    for (auto& b : d) b = u8();
    return d;
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

bool plausible_name(const std::string& name) {
  return !name.empty() && name.find('@') != std::string::npos;
}

/// The name that ends a send_name and a challenge: a 2-byte length, then the name itself.
bool read_name(reader& r, std::string& name) {
  const std::uint16_t n = r.u16();
  if (!r.has(n)) return false;
  name = r.text(n);
  return plausible_name(name);
}

}  // namespace

std::vector<std::uint8_t> encode(const send_name& m) {
  return writer()
      .u8('N')
      .u64(m.flags)
      .u32(m.creation)
      .u16(static_cast<std::uint16_t>(m.name.size()))
      .bytes(m.name)
      .done();
}

std::vector<std::uint8_t> encode(const challenge& m) {
  return writer()
      .u8('N')
      .u64(m.flags)
      .u32(m.value)
      .u32(m.creation)
      .u16(static_cast<std::uint16_t>(m.name.size()))
      .bytes(m.name)
      .done();
}

std::vector<std::uint8_t> encode(const challenge_reply& m) {
  return writer().u8('r').u32(m.value).bytes(m.answer).done();
}

std::vector<std::uint8_t> encode_status(std::string_view status) {
  return writer().u8('s').bytes(status).done();
}

std::vector<std::uint8_t> encode_ack(const digest& d) { return writer().u8('a').bytes(d).done(); }

std::optional<send_name> parse_send_name(std::span<const std::uint8_t> body) {
  reader r(body);
  if (!r.has(1 + 8 + 4 + 2) || r.u8() != 'N') return std::nullopt;
  send_name m;
  m.flags = r.u64();
  m.creation = r.u32();
  if (!read_name(r, m.name)) return std::nullopt;
  return m;
}

std::optional<challenge> parse_challenge(std::span<const std::uint8_t> body) {
  reader r(body);
  if (!r.has(1 + 8 + 4 + 4 + 2) || r.u8() != 'N') return std::nullopt;
  challenge m;
  m.flags = r.u64();
  m.value = r.u32();
  m.creation = r.u32();
  if (!read_name(r, m.name)) return std::nullopt;
  return m;
}

std::optional<challenge_reply> parse_challenge_reply(std::span<const std::uint8_t> body) {
  reader r(body);
  if (body.size() != 1 + 4 + 16 || r.u8() != 'r') return std::nullopt;
  challenge_reply m;
  m.value = r.u32();
  m.answer = r.dig();
  return m;
}

std::optional<std::string> parse_status(std::span<const std::uint8_t> body) {
  reader r(body);
  if (!r.has(1) || r.u8() != 's') return std::nullopt;
  return r.text(body.size() - 1);
}

std::optional<digest> parse_ack(std::span<const std::uint8_t> body) {
  reader r(body);
  if (body.size() != 1 + 16 || r.u8() != 'a') return std::nullopt;
  return r.dig();
}

digest make_digest(std::uint32_t challenge_value, std::string_view cookie) {
  std::string text(cookie);
  text += std::to_string(challenge_value);
  digest d{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), d.data(), &len, EVP_md5(), nullptr) != 1 ||
      len != d.size()) {
    throw std::runtime_error("dist: MD5 digest failed (OpenSSL)");
  }
  return d;
}

bool same_digest(const digest& a, const digest& b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::uint32_t new_challenge() {
  std::uint32_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
    throw std::runtime_error("dist: no random bytes for the challenge (OpenSSL)");
  }
  return v;
}

}  // namespace bitactor::dist::handshake
