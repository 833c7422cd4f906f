// Status and Result<T>: expected outcomes as values.
//
// Expected failures (not leader, timeout, stopped, bad input) are values, not
// exceptions. Exceptions are reserved for bugs and for fatal errors raised by
// user code (a LogAPI that cannot write), which stop a node safely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace coraft {

class Status {
 public:
  enum class Code : std::uint8_t {
    kOk = 0,
    kNotLeader,        // this node is not the leader; leader_hint() may name it
    kTimeout,          // the operation did not complete in time
    kStopped,          // the node (or the component) was stopped
    kCancelled,        // a stop_token asked the operation to stop
    kInvalidArgument,  // the caller passed something unusable
    kCorrupt,          // input bytes are not a valid encoding
    kBrokenPromise,    // the producer of a value was dropped without setting it
    kLeadershipLost,   // the entry was overwritten by a newer leader's log
    kIoError,          // a user-provided component (LogAPI, StateMachine) failed
    kUnavailable,      // temporarily unable (for example, too many in flight)
    kInternal,         // a bug
  };

  Status() = default;

  static Status ok() { return Status(); }
  static Status not_leader(std::uint64_t leader_hint = 0) {
    Status s(Code::kNotLeader, "not the leader");
    s.leader_hint_ = leader_hint;
    return s;
  }
  static Status timeout(std::string msg = "timed out") { return {Code::kTimeout, std::move(msg)}; }
  static Status stopped(std::string msg = "stopped") { return {Code::kStopped, std::move(msg)}; }
  static Status cancelled(std::string msg = "cancelled") { return {Code::kCancelled, std::move(msg)}; }
  static Status invalid_argument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status corrupt(std::string msg) { return {Code::kCorrupt, std::move(msg)}; }
  static Status broken_promise(std::string msg = "promise dropped without a value") {
    return {Code::kBrokenPromise, std::move(msg)};
  }
  static Status leadership_lost(std::string msg = "another leader's entry was committed in its place") {
    return {Code::kLeadershipLost, std::move(msg)};
  }
  static Status io_error(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  bool is_not_leader() const { return code_ == Code::kNotLeader; }
  bool is_timeout() const { return code_ == Code::kTimeout; }
  bool is_stopped() const { return code_ == Code::kStopped; }
  bool is_cancelled() const { return code_ == Code::kCancelled; }
  bool is_invalid_argument() const { return code_ == Code::kInvalidArgument; }
  bool is_corrupt() const { return code_ == Code::kCorrupt; }
  bool is_broken_promise() const { return code_ == Code::kBrokenPromise; }
  bool is_leadership_lost() const { return code_ == Code::kLeadershipLost; }
  bool is_io_error() const { return code_ == Code::kIoError; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The id of the node believed to lead, for kNotLeader; 0 when unknown.
  std::uint64_t leader_hint() const { return leader_hint_; }

  // "ok", or "<code name>: <message>" (with the leader hint when known).
  std::string to_string() const;
  static const char* code_name(Code code);

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_ && a.leader_hint_ == b.leader_hint_;
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::uint64_t leader_hint_ = 0;
};

// Either a value of T or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(v_).is_ok()) v_.template emplace<1>(Status::internal("Result built from an ok Status"));
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The status: ok() when a value is held.
  Status status() const { return ok() ? Status::ok() : std::get<1>(v_); }

  // Precondition: ok(). Calling these on an error throws std::bad_variant_access.
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace coraft
