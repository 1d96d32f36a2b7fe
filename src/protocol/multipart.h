#pragma once
// multipart/form-data (RFC 7578), as the firmware's camera upload sends it
// (device-protocol.md §5.7: boundary ----ESP32_CAMERA_BOUNDARY, parts "question", "file"),
// and image type sniffing for the vision endpoint (reference-server.md §6.4).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xz::protocol {

struct MultipartPart {
  std::string name, filename, content_type;
  std::string data;
};

// The boundary parameter of a multipart/* Content-Type header value (quoted or not);
// std::nullopt if the type is not multipart or the boundary is missing or invalid.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Parts in body order. Lines end in CRLF. Errors (no opening boundary, no closing
// boundary, a part without its header block, more than max_parts parts) set *error
// (may be null) and return std::nullopt.
std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                          std::string* error, std::size_t max_parts = 16);

enum class ImageType { unknown, jpeg, png, gif, bmp, tiff, webp };
ImageType sniff_image_type(std::string_view bytes);  // magic bytes
std::string_view mime_type(ImageType);                // "application/octet-stream" for unknown

}  // namespace xz::protocol
