#pragma once

#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <string>

namespace ppms {

// "[1, 3, 4]" for error messages. Streaming a c10::ArrayRef into TORCH_CHECK's message segfaulted with torch
// 2.11+cu130 and the extension built on that machine (seen on the H100 device), so shapes are formatted here.
inline std::string shape_str(c10::ArrayRef<int64_t> s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace ppms
