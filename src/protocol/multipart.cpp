#include "protocol/multipart.h"

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace xz::protocol {
namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046
constexpr std::size_t kMaxHeaderBlock = 8 * 1024;

char lower(char c) { return char(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// Header parameters: `; key=value` or `; key="quoted \"value\""`. Returns the first match.
std::optional<std::string> header_param(std::string_view value, std::string_view key) {
  std::size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const std::size_t eq = value.find('=', i);
    const std::size_t semi = value.find(';', i);
    if (eq == std::string_view::npos) return std::nullopt;
    if (semi < eq) {  // a parameter without a value: skip it
      i = semi;
      continue;
    }
    const std::string_view name = core::trim(value.substr(i, eq - i));
    std::size_t j = eq + 1;
    while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
    std::string param;
    if (j < value.size() && value[j] == '"') {
      ++j;
      bool closed = false;
      for (; j < value.size(); ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) {
          param += value[++j];
        } else if (value[j] == '"') {
          closed = true;
          ++j;
          break;
        } else {
          param += value[j];
        }
      }
      if (!closed) return std::nullopt;
      i = value.find(';', j);
    } else {
      const std::size_t end = value.find(';', j);
      param = std::string(core::trim(value.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    if (iequals(name, key)) return param;
  }
  return std::nullopt;
}

bool fail(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return false;
}

// One part: header block, blank line, data. Fills `part`; false with *error on failure.
bool parse_part(std::string_view raw, MultipartPart& part, std::size_t index, std::string* error) {
  const std::string where = "multipart part " + std::to_string(index + 1);
  std::size_t headers_end;
  if (raw.substr(0, 2) == "\r\n") {
    headers_end = 0;  // no headers at all
  } else {
    headers_end = raw.find("\r\n\r\n");
    if (headers_end == std::string_view::npos) return fail(error, where + ": header block not terminated");
    headers_end += 2;
  }
  if (headers_end > kMaxHeaderBlock) return fail(error, where + ": header block over 8 KiB");
  std::string_view headers = raw.substr(0, headers_end);
  part.data = std::string(raw.substr(headers_end + 2));

  while (!headers.empty()) {
    const std::size_t eol = headers.find("\r\n");
    const std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(error, where + ": header line without ':'");
    const std::string_view name = core::trim(line.substr(0, colon));
    const std::string_view value = core::trim(line.substr(colon + 1));
    if (iequals(name, "Content-Disposition")) {
      part.name = header_param(value, "name").value_or("");
      part.filename = header_param(value, "filename").value_or("");
    } else if (iequals(name, "Content-Type")) {
      part.content_type = std::string(value);
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const std::string_view media = core::trim(content_type.substr(0, content_type.find(';')));
  if (media.size() < 10 || !iequals(media.substr(0, 10), "multipart/")) return std::nullopt;
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) return std::nullopt;
  // A boundary never ends in a space and never holds CR/LF.
  if (boundary->back() == ' ' || boundary->find_first_of("\r\n") != std::string::npos) return std::nullopt;
  return boundary;
}

std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                          std::string* error, std::size_t max_parts) {
  if (boundary.empty() || boundary.size() > kMaxBoundary) {
    fail(error, "multipart: invalid boundary");
    return std::nullopt;
  }
  const std::string dash = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash;

  // The first delimiter may start the body (no preamble) or follow a preamble line.
  std::size_t pos;
  if (body.substr(0, dash.size()) == dash) {
    pos = dash.size();
  } else {
    pos = body.find(delimiter);
    if (pos == std::string_view::npos) {
      fail(error, "multipart: opening boundary \"" + dash + "\" not found");
      return std::nullopt;
    }
    pos += delimiter.size();
  }

  std::vector<MultipartPart> parts;
  while (true) {
    // After a delimiter: "--" ends the body, otherwise optional padding then CRLF.
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") {
      fail(error, "multipart: boundary line not followed by CRLF");
      return std::nullopt;
    }
    pos += 2;
    const std::size_t next = body.find(delimiter, pos);
    if (next == std::string_view::npos) {
      fail(error, "multipart: closing boundary \"" + dash + "--\" missing");
      return std::nullopt;
    }
    if (parts.size() == max_parts) {
      fail(error, "multipart: more than " + std::to_string(max_parts) + " parts");
      return std::nullopt;
    }
    MultipartPart part;
    if (!parse_part(body.substr(pos, next - pos), part, parts.size(), error)) return std::nullopt;
    parts.push_back(std::move(part));
    pos = next + delimiter.size();
  }
}

ImageType sniff_image_type(std::string_view b) {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  using namespace std::string_view_literals;
  if (starts("\xFF\xD8\xFF"sv)) return ImageType::jpeg;
  if (starts("\x89PNG\r\n\x1A\n"sv)) return ImageType::png;
  if (starts("GIF87a"sv) || starts("GIF89a"sv)) return ImageType::gif;
  if (starts("BM"sv)) return ImageType::bmp;
  if (starts("II*\0"sv) || starts("MM\0*"sv)) return ImageType::tiff;
  if (b.size() >= 12 && starts("RIFF"sv) && b.substr(8, 4) == "WEBP"sv) return ImageType::webp;
  return ImageType::unknown;
}

std::string_view mime_type(ImageType t) {
  switch (t) {
    case ImageType::jpeg: return "image/jpeg";
    case ImageType::png: return "image/png";
    case ImageType::gif: return "image/gif";
    case ImageType::bmp: return "image/bmp";
    case ImageType::tiff: return "image/tiff";
    case ImageType::webp: return "image/webp";
    case ImageType::unknown: break;
  }
  return "application/octet-stream";
}

}  // namespace xz::protocol
