#include "coraft/payload.h"

#include <atomic>
#include <cstring>
#include <new>
#include <utility>

namespace coraft {

namespace {
// Strings at least this long are adopted (their buffer is kept, no copy);
// shorter ones are copied next to the count, in one allocation.
constexpr std::size_t kAdoptFrom = 1024;
}  // namespace

// One allocation: this header, then either the bytes (inline) or a
// std::string that owns them (adopted).
struct Payload::Rep {
  std::atomic<std::uint32_t> refs{1};
  bool adopted = false;
  std::size_t size = 0;
  const char* bytes = nullptr;

  static std::size_t header() {
    return (sizeof(Rep) + alignof(std::string) - 1) / alignof(std::string) * alignof(std::string);
  }
  std::string* owned() {
    return std::launder(reinterpret_cast<std::string*>(reinterpret_cast<char*>(this) + header()));
  }
  char* inline_bytes() { return reinterpret_cast<char*>(this) + header(); }
  std::size_t allocated() const { return header() + (adopted ? sizeof(std::string) : size); }

  static Rep* make_inline(std::string_view b) {
    void* mem = ::operator new(header() + b.size());
    Rep* r = new (mem) Rep;
    r->size = b.size();
    std::memcpy(r->inline_bytes(), b.data(), b.size());
    r->bytes = r->inline_bytes();
    return r;
  }
  static Rep* make_adopted(std::string&& s) {
    void* mem = ::operator new(header() + sizeof(std::string));
    Rep* r = new (mem) Rep;
    r->adopted = true;
    std::string* owned = new (r->inline_bytes()) std::string(std::move(s));
    r->size = owned->size();
    r->bytes = owned->data();
    return r;
  }
  static void destroy(Rep* r) {
    if (r->adopted) r->owned()->~basic_string();
    r->~Rep();
    ::operator delete(static_cast<void*>(r));
  }
};

Payload::Payload(std::string bytes) {
  if (bytes.empty()) return;
  rep_ = bytes.size() >= kAdoptFrom ? Rep::make_adopted(std::move(bytes)) : Rep::make_inline(bytes);
}

Payload::Payload(std::string_view bytes) {
  if (!bytes.empty()) rep_ = Rep::make_inline(bytes);
}

const char* Payload::data() const noexcept { return rep_ ? rep_->bytes : ""; }
std::size_t Payload::size() const noexcept { return rep_ ? rep_->size : 0; }

std::size_t Payload::footprint() const noexcept {
  if (!rep_) return 0;
  return rep_->allocated() + (rep_->adopted ? rep_->owned()->capacity() + 1 : 0);
}

std::uint32_t Payload::use_count() const noexcept {
  return rep_ ? rep_->refs.load(std::memory_order_relaxed) : 0;
}

void Payload::retain() const noexcept {
  if (rep_) rep_->refs.fetch_add(1, std::memory_order_relaxed);
}

void Payload::release() noexcept {
  if (rep_ && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) Rep::destroy(rep_);
  rep_ = nullptr;
}

}  // namespace coraft
