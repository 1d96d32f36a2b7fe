#pragma once
// Joins token pieces into valid UTF-8: a model's tokens may split a character across
// pieces (byte tokens), so an incomplete sequence at the end is held back until the next
// piece completes it, and bytes that can never form a character become U+FFFD (invalid
// UTF-8 would break every JSON message built from the text). Pure.
#include <string>
#include <string_view>

namespace xz::providers {

class Utf8Stream {
 public:
  // The complete characters of pending + bytes.
  std::string feed(std::string_view bytes);
  // End of the text: a held incomplete sequence becomes U+FFFD.
  std::string finish();

 private:
  std::string pending_;
};

}  // namespace xz::providers
