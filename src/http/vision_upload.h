#pragma once
// The camera upload of the vision-explain endpoint (device-protocol.md §5.7): a
// multipart/form-data body whose first part is the question and whose second part is
// the image (field names are not checked, as in the reference). Pure; a 5 MB body
// takes a few milliseconds, so callers run it on the worker pool.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "protocol/multipart.h"

namespace xz::http {

struct VisionUpload {
  std::string question;
  std::string image;
  protocol::ImageType type = protocol::ImageType::unknown;  // never unknown in a parsed upload
};

// A rejected upload: the HTTP status to answer (400 or 413) and why.
struct VisionUploadError : std::runtime_error {
  VisionUploadError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

// The question sent when the first part is blank.
inline constexpr std::string_view kDefaultVisionQuestion = "Describe what you see in this image.";
// Longest question accepted (the device's LLM writes it; anything longer is not a question).
inline constexpr std::size_t kMaxVisionQuestionBytes = 16 * 1024;

// Throws VisionUploadError: 413 when the body or the image is larger than allowed,
// 400 for a missing or malformed multipart body, a missing or empty image, or an image
// whose magic bytes are not JPEG, PNG, GIF, BMP, TIFF or WEBP.
VisionUpload parse_vision_upload(std::string_view content_type, std::string_view body, std::size_t max_image_bytes);

}  // namespace xz::http
