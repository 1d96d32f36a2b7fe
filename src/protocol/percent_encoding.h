#pragma once
// RFC 3986 percent-encoding, as signed vendor requests need it byte for byte: only
// A-Z a-z 0-9 - _ . ~ stay, everything else is %XX (upper case). form: a space is '+'
// (application/x-www-form-urlencoded, Python's urlencode) instead of %20.
#include <string>
#include <string_view>

namespace xz::protocol {

std::string percent_encode(std::string_view s, bool form = false);

}  // namespace xz::protocol
