#include <gmp.h>

#include <algorithm>
#include <bitactor/term/big_integer.hpp>
#include <cmath>
#include <limits>
#include <memory>

namespace bitactor::term {

namespace {

// Decimal conversion of a 100 KB integer is quadratic done limb by limb (about 5 s each way);
// GMP's subquadratic radix conversion does it in milliseconds. GMP is used for that alone:
// the value stays in big_integer's own limbs, and crosses over by mpz_import / mpz_export.
class mpz {
 public:
  mpz() { mpz_init(z_); }
  mpz(const mpz&) = delete;
  mpz& operator=(const mpz&) = delete;
  ~mpz() { mpz_clear(z_); }
  mpz_ptr get() noexcept { return z_; }

 private:
  mpz_t z_;
};

}  // namespace

big_integer::big_integer(std::int64_t v) {
  negative_ = v < 0;
  // Negate in unsigned arithmetic so INT64_MIN does not overflow.
  std::uint64_t mag = negative_ ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  limbs_ = {static_cast<std::uint32_t>(mag), static_cast<std::uint32_t>(mag >> 32)};
  trim();
}

big_integer big_integer::from_uint64(std::uint64_t v) {
  big_integer r;
  r.limbs_ = {static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(v >> 32)};
  r.trim();
  return r;
}

big_integer big_integer::from_le_bytes(bool negative, std::span<const std::uint8_t> bytes) {
  big_integer r;
  r.limbs_.assign((bytes.size() + 3) / 4, 0);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    r.limbs_[i / 4] |= static_cast<std::uint32_t>(bytes[i]) << (8 * (i % 4));
  }
  r.negative_ = negative;
  r.trim();
  return r;
}

std::optional<big_integer> big_integer::from_string(std::string_view text, unsigned base) {
  if (base < 2 || base > 36) return std::nullopt;
  bool neg = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  // Checked here, since mpz_set_str would skip white space and take a second sign.
  for (char c : text) {
    unsigned d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'z') {
      d = static_cast<unsigned>(c - 'a') + 10;
    } else if (c >= 'A' && c <= 'Z') {
      d = static_cast<unsigned>(c - 'A') + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
  }
  big_integer r;
  if (text.size() <= 9) {  // 36^9 < 2^47: a short number needs no GMP
    std::uint64_t v = 0;
    for (char c : text) {
      unsigned d = c <= '9'   ? static_cast<unsigned>(c - '0')
                   : c >= 'a' ? static_cast<unsigned>(c - 'a') + 10
                              : static_cast<unsigned>(c - 'A') + 10;
      v = v * base + d;  // 36^9 < 2^47: no overflow
    }
    r = from_uint64(v);
  } else {
    mpz z;
    std::string digits(text);  // mpz_set_str wants a NUL-terminated string
    mpz_set_str(z.get(), digits.c_str(), static_cast<int>(base));
    r.limbs_.resize((mpz_sizeinbase(z.get(), 2) + 31) / 32);
    std::size_t count = 0;
    mpz_export(r.limbs_.data(), &count, -1, sizeof(std::uint32_t), 0, 0, z.get());
    r.limbs_.resize(count);
  }
  r.negative_ = neg;
  r.trim();
  return r;
}

std::optional<big_integer> big_integer::from_double_trunc(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  d = std::trunc(d);
  big_integer r;
  r.negative_ = d < 0;
  double mag = std::fabs(d);
  if (mag < 1.0) return big_integer{};
  int exp = 0;
  double frac = std::frexp(mag, &exp);  // mag = frac * 2^exp, frac in [0.5, 1)
  // 53 significant bits as an integer, then shift left by exp - 53.
  auto mant = static_cast<std::uint64_t>(std::ldexp(frac, 53));
  int shift = exp - 53;
  if (shift < 0) {
    mant >>= -shift;
    shift = 0;
  }
  r.limbs_.assign(static_cast<std::size_t>(shift / 32) + 3, 0);
  std::size_t word = static_cast<std::size_t>(shift / 32);
  unsigned bit = static_cast<unsigned>(shift % 32);
  // mant has at most 53 bits and bit < 32, so the shifted value fits in 96 bits.
  std::uint64_t lo = mant << bit;
  std::uint64_t hi = bit == 0 ? 0 : mant >> (64 - bit);
  r.limbs_[word] = static_cast<std::uint32_t>(lo);
  r.limbs_[word + 1] = static_cast<std::uint32_t>(lo >> 32);
  r.limbs_[word + 2] = static_cast<std::uint32_t>(hi);
  r.trim();
  return r;
}

bool big_integer::fits_int64() const noexcept { return to_int64().has_value(); }

std::optional<std::int64_t> big_integer::to_int64() const noexcept {
  if (limbs_.size() > 2) return std::nullopt;
  std::uint64_t mag = 0;
  if (!limbs_.empty()) mag = limbs_[0];
  if (limbs_.size() == 2) mag |= static_cast<std::uint64_t>(limbs_[1]) << 32;
  constexpr std::uint64_t kMaxPos =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative_) {
    if (mag > kMaxPos) return std::nullopt;
    return static_cast<std::int64_t>(mag);
  }
  if (mag > kMaxPos + 1) return std::nullopt;
  if (mag == kMaxPos + 1) return std::numeric_limits<std::int64_t>::min();
  return -static_cast<std::int64_t>(mag);
}

double big_integer::to_double() const noexcept {
  double r = 0;
  for (auto it = limbs_.rbegin(); it != limbs_.rend(); ++it) r = r * 4294967296.0 + *it;
  return negative_ ? -r : r;
}

std::size_t big_integer::byte_size() const noexcept {
  if (limbs_.empty()) return 0;
  std::uint32_t top = limbs_.back();
  std::size_t top_bytes = top > 0xFFFFFF ? 4 : top > 0xFFFF ? 3 : top > 0xFF ? 2 : 1;
  return (limbs_.size() - 1) * 4 + top_bytes;
}

void big_integer::write_le_bytes(std::uint8_t* out) const noexcept {
  std::size_t n = byte_size();
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::uint8_t>(limbs_[i / 4] >> (8 * (i % 4)));
  }
}

std::string big_integer::to_string(unsigned base) const {
  if (base < 2 || base > 36) base = 10;
  if (limbs_.empty()) return "0";
  if (limbs_.size() <= 2) {
    static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::uint64_t v = limbs_[0];
    if (limbs_.size() == 2) v |= static_cast<std::uint64_t>(limbs_[1]) << 32;
    std::string rev;
    while (v != 0) {
      rev.push_back(kDigits[v % base]);
      v /= base;
    }
    if (negative_) rev.push_back('-');
    std::reverse(rev.begin(), rev.end());
    return rev;
  }
  mpz z;
  mpz_import(z.get(), limbs_.size(), -1, sizeof(std::uint32_t), 0, 0, limbs_.data());
  if (negative_) mpz_neg(z.get(), z.get());
  // Room for the digits, a sign and the NUL; a negative base asks for upper-case letters.
  std::string out(mpz_sizeinbase(z.get(), static_cast<int>(base)) + 2, '\0');
  mpz_get_str(out.data(), -static_cast<int>(base), z.get());
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

big_integer big_integer::operator-() const {
  big_integer r = *this;
  if (!r.limbs_.empty()) r.negative_ = !r.negative_;
  return r;
}

std::strong_ordering operator<=>(const big_integer& a, const big_integer& b) noexcept {
  if (a.negative_ != b.negative_) {
    return a.negative_ ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  std::strong_ordering mag = std::strong_ordering::equal;
  if (a.limbs_.size() != b.limbs_.size()) {
    mag = a.limbs_.size() <=> b.limbs_.size();
  } else {
    for (std::size_t i = a.limbs_.size(); i-- > 0;) {
      if (a.limbs_[i] != b.limbs_[i]) {
        mag = a.limbs_[i] <=> b.limbs_[i];
        break;
      }
    }
  }
  if (a.negative_) return 0 <=> mag;  // reversed for negative magnitudes
  return mag;
}

void big_integer::trim() noexcept {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
  if (limbs_.empty()) negative_ = false;
}

}  // namespace bitactor::term
