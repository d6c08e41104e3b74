// The other sources of this test each include one public header alone; building them is the
// test.
#include <gtest/gtest.h>

TEST(term_headers, each_public_header_compiles_on_its_own) { SUCCEED(); }
