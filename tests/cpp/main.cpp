// doctest's main, compiled once and linked into every test executable (CMakeLists.txt: ppms_test_main).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
