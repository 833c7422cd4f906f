// libFuzzer target for coraft's codec: any input either fails to decode
// with Status::corrupt, or decodes to a value that re-encodes to exactly the
// same bytes (the encoding is canonical). Never a crash, never UB.
//
//   cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCORAFT_BUILD_FUZZERS=ON
//   cmake --build build/fuzz --target coraft_decode_fuzz
//   ./build/fuzz/tests/fuzz/coraft_decode_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "coraft/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  coraft::Result<coraft::Message> m = coraft::decode_message(in);
  if (m.ok()) {
    if (coraft::encode_message(*m) != in) std::abort();
  } else if (!m.status().is_corrupt()) {
    std::abort();
  }
  coraft::Result<coraft::ClusterConfig> c = coraft::decode_config(in);
  if (c.ok()) {
    if (coraft::encode_config(*c) != in) std::abort();
  } else if (!c.status().is_corrupt()) {
    std::abort();
  }
  return 0;
}
