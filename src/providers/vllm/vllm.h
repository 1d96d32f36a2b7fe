#pragma once
// Vision language models: one image and a question in, the model's answer out.
// Used by the vision-explain HTTP endpoint (the device's camera tool).
#include <string>

#include <boost/asio/awaitable.hpp>

namespace xz::providers {

class VllmEngine {
 public:
  virtual ~VllmEngine() = default;
  // `image_bytes` is the encoded image (JPEG, PNG, ...) and `mime_type` its type
  // ("image/jpeg"). Throws std::runtime_error with a readable reason on HTTP errors,
  // timeouts and malformed answers. Never blocks the caller's event loop.
  virtual boost::asio::awaitable<std::string> explain(std::string image_bytes, std::string mime_type,
                                                      std::string question) = 0;
};

}  // namespace xz::providers
