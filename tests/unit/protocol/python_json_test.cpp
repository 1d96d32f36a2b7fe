#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

#include "protocol/python_json.h"

using namespace xz::protocol;

// Expected texts are what CPython 3.11 prints for json.dumps(x) / repr(x).
TEST(PythonJson, FloatReprMatchesCPython) {
  EXPECT_EQ(python_float_repr(4102444800.0), "4102444800.0");
  EXPECT_EQ(python_float_repr(1767229200.123456), "1767229200.123456");
  EXPECT_EQ(python_float_repr(1767229200.5), "1767229200.5");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(-1.0), "-1.0");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1.5e-5), "1.5e-05");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(9999999999999998.0), "9999999999999998.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e22), "1e+22");
  EXPECT_EQ(python_float_repr(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_THROW(python_float_repr(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  EXPECT_THROW(python_float_repr(-std::numeric_limits<double>::infinity()), std::invalid_argument);
}

TEST(PythonJson, StringsAreAsciiEscapedLikeCPython) {
  EXPECT_EQ(python_json_string("aa:bb:cc:dd:ee:ff"), "\"aa:bb:cc:dd:ee:ff\"");
  EXPECT_EQ(python_json_string(""), "\"\"");
  EXPECT_EQ(python_json_string("\"\\/\n\r\t\b\f"), R"("\"\\/\n\r\t\b\f")");
  EXPECT_EQ(python_json_string(std::string("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
  EXPECT_EQ(python_json_string("\xc3\xa9\xe8\xae\xbe"), R"("\u00e9\u8bbe")");     // é 设
  EXPECT_EQ(python_json_string("\xf0\x9f\x98\x80"), R"("\ud83d\ude00")");        // 😀
}

TEST(PythonJson, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(python_json_string("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(python_json_string("\xe8\xae"), R"("\ufffd\ufffd")");          // truncated sequence
  EXPECT_EQ(python_json_string("\xc0\xaf"), R"("\ufffd\ufffd")");          // overlong '/'
  EXPECT_EQ(python_json_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // lone surrogate
}
