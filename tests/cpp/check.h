// What the C++ tests' checks share: doctest, how an output is measured against its reference, and the names that
// INFO gives a failure.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "ppms/conv1x1.h"

// INFO and CHECK print a C string as its text, not its address (DOCTEST_CONFIG_TREAT_CHAR_STAR_AS_STRING does not
// compile in doctest 2.4.9). doctest's own main (main.cpp) prints none, so it need not see this.
namespace doctest {
template <>
struct StringMaker<const char*> {
  static String convert(const char* s) { return s ? s : "nullptr"; }
};
}  // namespace doctest

namespace ppms {
namespace check {

// The largest |got[i] - want[i]|, infinite where one is NaN: the tests fill outputs with NaN, so that an element a
// kernel never wrote fails.
template <typename Got, typename Want>
double max_error(const Got& got, const Want& want) {
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    err = std::max(err, d != d ? INFINITY : d);
  }
  return err;
}

// The largest |v[i]|, at least `floor`: the scale of a relative tolerance.
template <typename V>
double max_abs(const V& v, double floor) {
  double m = floor;
  for (const auto x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
  return m;
}

inline const char* name(Activation a) {
  switch (a) {
    case Activation::none: return "none";
    case Activation::relu: return "relu";
    case Activation::relu6: return "relu6";
    case Activation::hardswish: return "hardswish";
  }
  return "?";
}

inline const char* threading(bool threaded) { return threaded ? "on 3 threads" : "serially"; }

}  // namespace check
}  // namespace ppms
