#include "bitactor/dist/internal/frame_writer.hpp"

#include <algorithm>
#include <cstring>

namespace bitactor::dist::detail {

namespace {
void put_u32(std::uint8_t* p, std::size_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}
constexpr std::size_t header_end = 7;  // Len:32 131 68 0
}  // namespace

void to_header_form(outgoing_frame& f) {
  // Pass-through: [Len][112][131 C'][131 M']; C' = bytes[6, control_end). The header form
  // [Len][131 68 0][C'][M'] has the same length when a message follows: C' moves one byte
  // right, over the message's version byte, and M' stays where it is.
  auto& b = f.bytes;
  const bool message = f.control_end < b.size();
  if (!message) b.push_back(0);
  std::memmove(b.data() + header_end, b.data() + 6, f.control_end - 6);
  b[4] = 131;
  b[5] = 68;
  b[6] = 0;  // NumberOfAtomCacheRefs
  put_u32(b.data(), b.size() - 4);
  f.control_end += 1;
}

void frame_writer::configure(bool header, bool fragments, std::size_t fragment_bytes) {
  configured_ = true;
  header_ = header || fragments;
  fragments_ = fragments;
  fragment_bytes_ = fragment_bytes;
  auto held = std::move(held_);
  held_.clear();
  for (auto& [sender, f] : held) push(sender, std::move(f));
}

void frame_writer::push(std::uint64_t sender, outgoing_frame f) {
  if (!configured_) {
    held_.emplace_back(sender, std::move(f));
    return;
  }
  if (auto it = by_sender_.find(sender); it != by_sender_.end()) {
    it->second->later.push_back(std::move(f));
    return;
  }
  queue(sender, std::move(f));
}

void frame_writer::queue(std::uint64_t sender, outgoing_frame f) {
  if (header_) to_header_form(f);
  if (!fragments_ || f.bytes.size() - header_end <= fragment_bytes_) {
    ready_.push_back(std::move(f.bytes));
    ++ready_queued_;
    return;
  }
  stream s;
  s.sender = sender;
  s.sequence = next_sequence_++;
  s.at = header_end;
  s.after_ready = ready_queued_;
  const std::size_t data = f.bytes.size() - header_end;
  s.fragment_id = (data + fragment_bytes_ - 1) / fragment_bytes_;
  s.frame = std::move(f.bytes);
  streams_.push_back(std::move(s));
  by_sender_[sender] = std::prev(streams_.end());
}

void frame_writer::push_raw(std::vector<std::uint8_t> bytes) {
  if (!configured_) return;
  ready_.push_back(std::move(bytes));
  ++ready_queued_;
}

std::vector<std::uint8_t> frame_writer::next_fragment(stream& s) {
  const bool first = s.at == header_end;
  const std::size_t n = std::min(fragment_bytes_, s.frame.size() - s.at);
  // 131 69 Seq:8 Frag:8 NumberOfAtomCacheRefs(0) | data, or 131 70 Seq:8 Frag:8 | data.
  const std::size_t head = first ? 4 + 19 : 4 + 18;
  std::vector<std::uint8_t> out(head + n);
  out[4] = 131;
  out[5] = first ? 69 : 70;
  put_u64(out.data() + 6, s.sequence);
  put_u64(out.data() + 14, s.fragment_id);
  if (first) out[22] = 0;
  std::memcpy(out.data() + head, s.frame.data() + s.at, n);
  put_u32(out.data(), out.size() - 4);
  s.at += n;
  --s.fragment_id;
  return out;
}

bool frame_writer::take(std::vector<std::vector<std::uint8_t>>& out) {
  const std::size_t before = out.size();
  std::size_t bytes = 0;
  while (!ready_.empty() && bytes < batch_bytes) {
    bytes += ready_.front().size();
    out.push_back(std::move(ready_.front()));
    ready_.pop_front();
    ++ready_taken_;
  }
  // The first stream in turn that may go: one that has started, or whose earlier whole frames
  // are all out (streams are created in queue order, so a later one never waits on less).
  auto it = std::find_if(streams_.begin(), streams_.end(), [this](const stream& s) {
    return s.at != header_end || s.after_ready <= ready_taken_;
  });
  if (it != streams_.end()) {
    out.push_back(next_fragment(*it));
    if (it->fragment_id == 0) {
      // The last fragment: the sender's held frames follow, in order (one of them may be a
      // large message again, which then holds back the rest).
      std::uint64_t sender = it->sender;
      auto later = std::move(it->later);
      by_sender_.erase(sender);
      streams_.erase(it);
      for (auto& f : later) push(sender, std::move(f));
    } else {
      streams_.splice(streams_.end(), streams_, it);
    }
  }
  return out.size() > before;
}

void frame_writer::clear() {
  held_.clear();
  ready_.clear();
  streams_.clear();
  by_sender_.clear();
  ready_taken_ = ready_queued_;
}

void frame_writer::adopt(frame_writer& other) {
  for (auto& [sender, f] : other.held_) push(sender, std::move(f));
  other.held_.clear();
}

}  // namespace bitactor::dist::detail
