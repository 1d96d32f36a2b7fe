#include "http/vision_upload.h"

#include <fmt/format.h>

namespace xz::http {

namespace {

// Room for the question and the part headers around the largest image.
constexpr std::size_t kMultipartOverhead = 64 * 1024;

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string megabytes(std::size_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0)); }

}  // namespace

VisionUpload parse_vision_upload(std::string_view content_type, std::string_view body, std::size_t max_image_bytes) {
  if (body.size() > max_image_bytes + kMultipartOverhead)
    throw VisionUploadError(413, "image too large: at most " + megabytes(max_image_bytes) + " allowed");
  auto boundary = protocol::multipart_boundary(content_type);
  if (!boundary) throw VisionUploadError(400, "expected a multipart/form-data body with a boundary");

  std::string error;
  auto parts = protocol::parse_multipart(body, *boundary, &error, 8);
  if (!parts) throw VisionUploadError(400, "malformed multipart body: " + error);
  if (parts->empty()) throw VisionUploadError(400, "missing question field");
  if (parts->size() < 2) throw VisionUploadError(400, "missing image file");

  VisionUpload up;
  up.question = std::move((*parts)[0].data);
  if (up.question.size() > kMaxVisionQuestionBytes) throw VisionUploadError(400, "question too long");
  if (blank(up.question)) up.question = std::string(kDefaultVisionQuestion);
  up.image = std::move((*parts)[1].data);
  if (up.image.empty()) throw VisionUploadError(400, "image data is empty");
  if (up.image.size() > max_image_bytes)
    throw VisionUploadError(413, "image too large: at most " + megabytes(max_image_bytes) + " allowed");
  up.type = protocol::sniff_image_type(up.image);
  if (up.type == protocol::ImageType::unknown)
    throw VisionUploadError(400, "unsupported file format: upload a JPEG, PNG, GIF, BMP, TIFF or WEBP image");
  return up;
}

}  // namespace xz::http
