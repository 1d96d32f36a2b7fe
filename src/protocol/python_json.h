#pragma once
// The exact text Python's json.dumps (default settings: ensure_ascii, ", " and ": "
// separators) writes for strings and floats. Reference tokens sign or encrypt such
// text, so reproducing them byte for byte needs it.
#include <string>
#include <string_view>

namespace xz::protocol {

// A quoted JSON string; everything outside printable ASCII becomes \uXXXX (surrogate
// pairs above U+FFFF), invalid UTF-8 becomes \ufffd.
std::string python_json_string(std::string_view utf8);
// repr(float): shortest round-trip digits, ".0" on integral values, "1e+16" style
// exponents. Throws std::invalid_argument for NaN and infinities (json.dumps would
// write non-standard NaN/Infinity).
std::string python_float_repr(double v);

}  // namespace xz::protocol
