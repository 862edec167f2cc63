#pragma once

#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <string>

namespace ppms {

// Error messages are built from strings only. Streaming numbers into TORCH_CHECK's message (ints, c10::ArrayRef)
// segfaulted in std::num_put with torch 2.11+cu130 and the extension built on that machine (seen on the H100 device;
// cause not established), so numbers and shapes are formatted with std::to_string here.
inline std::string num(int64_t v) { return std::to_string(v); }

inline std::string shape_str(c10::ArrayRef<int64_t> s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace ppms
