#pragma once
// The key that signs device tokens (and vision tokens). A configured key wins;
// otherwise one is generated once and kept in <data_dir>/.auth_key (mode 0600), so
// tokens handed out before a restart still verify after it.
#include <string>

namespace xz::store {

// `configured` is server.auth_key; empty or the reference's placeholder text ("你")
// counts as unset. Blocking file I/O: call at start-up. Throws std::runtime_error
// naming the path when the file cannot be read or written.
std::string load_or_create_auth_key(const std::string& data_dir, const std::string& configured);

}  // namespace xz::store
