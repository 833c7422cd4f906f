// Payload: immutable bytes, shared by reference counting.
//
// An entry's command is stored once and shared by everything that holds
// the entry: the proposal, the node's entry cache, a MemoryLog, every
// AppendEntries carrying it, and the apply call. Copying a Payload copies a
// pointer (and bumps an atomic count); the bytes never change after
// construction, so sharing across threads is safe.
//
//   Payload p = std::string("set x 1");   // takes the string (no byte copy
//                                         // for large ones)
//   Payload q = p;                        // shares
//   std::string_view v = q;               // read it
//
// Built from a std::string it adopts the string's buffer when that is large
// (no copy) and copies small ones into a single allocation with the count;
// built from a string_view or a C string it copies. The empty Payload holds
// no allocation; a moved-from Payload is empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace coraft {

class Payload {
 public:
  Payload() noexcept = default;
  Payload(std::string bytes);                                       // NOLINT: implicit by design
  Payload(std::string_view bytes);                                  // NOLINT
  Payload(const char* bytes) : Payload(std::string_view(bytes)) {}  // NOLINT
  Payload(const Payload& other) noexcept : rep_(other.rep_) { retain(); }
  Payload(Payload&& other) noexcept : rep_(other.rep_) { other.rep_ = nullptr; }
  Payload& operator=(const Payload& other) noexcept {
    Payload copy(other);
    swap(copy);
    return *this;
  }
  Payload& operator=(Payload&& other) noexcept {
    Payload moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~Payload() { release(); }

  const char* data() const noexcept;
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  std::string_view view() const noexcept { return {data(), size()}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  // A copy of the bytes.
  std::string str() const { return std::string(view()); }

  // The bytes this payload keeps in memory, its bookkeeping included: what
  // a cache that holds it should count.
  std::size_t footprint() const noexcept;
  // How many Payloads share these bytes (0 for the empty payload).
  std::uint32_t use_count() const noexcept;

  void swap(Payload& other) noexcept {
    Rep* t = rep_;
    rep_ = other.rep_;
    other.rep_ = t;
  }

  friend bool operator==(const Payload& a, const Payload& b) noexcept {
    return a.rep_ == b.rep_ || a.view() == b.view();
  }
  friend bool operator==(const Payload& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const Payload& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const Payload& a, const char* b) noexcept { return a.view() == std::string_view(b); }

 private:
  struct Rep;
  void retain() const noexcept;
  void release() noexcept;

  Rep* rep_ = nullptr;
};

}  // namespace coraft
