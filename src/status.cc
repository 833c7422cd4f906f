#include "coraft/status.h"

namespace coraft {

const char* Status::code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotLeader: return "not leader";
    case Code::kTimeout: return "timeout";
    case Code::kStopped: return "stopped";
    case Code::kCancelled: return "cancelled";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kCorrupt: return "corrupt";
    case Code::kBrokenPromise: return "broken promise";
    case Code::kLeadershipLost: return "leadership lost";
    case Code::kIoError: return "io error";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out = code_name(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  if (code_ == Code::kNotLeader && leader_hint_ != 0) {
    out += " (leader hint: node " + std::to_string(leader_hint_) + ")";
  }
  return out;
}

}  // namespace coraft
