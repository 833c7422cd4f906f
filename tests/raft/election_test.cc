// Election conformance tests: being written.
#include <gtest/gtest.h>
