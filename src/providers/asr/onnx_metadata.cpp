#include "providers/asr/onnx_metadata.h"

#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace xz::providers {

namespace {

constexpr std::uint64_t kMetadataProps = 14;  // ModelProto.metadata_props
constexpr std::size_t kMaxEntries = 4096;
constexpr std::uint64_t kMaxString = 1 << 20;

[[noreturn]] void bad(std::string_view what) { throw std::runtime_error(fmt::format("not an ONNX model: {}", what)); }

// The stream with its size known, so a length past the end is caught before seeking
// (a file stream would seek past its end without complaint).
class Reader {
 public:
  explicit Reader(std::istream& in) : in_(in) {
    in_.seekg(0, std::ios::end);
    const auto end = in_.tellg();
    in_.seekg(0, std::ios::beg);
    if (end < 0 || !in_) bad("unreadable");
    size_ = static_cast<std::uint64_t>(end);
  }

  std::uint64_t pos() { return static_cast<std::uint64_t>(in_.tellg()); }
  std::uint64_t left() { return size_ - pos(); }

  // A varint, or nullopt at the end of input (before its first byte).
  std::optional<std::uint64_t> varint() {
    if (left() == 0) return std::nullopt;
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const int c = in_.get();
      if (c == std::char_traits<char>::eof()) bad("truncated varint");
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if ((c & 0x80) == 0) return v;
    }
    bad("varint longer than 10 bytes");
  }

  std::uint64_t need_varint() {
    auto v = varint();
    if (!v) bad("truncated field");
    return *v;
  }

  void skip(std::uint64_t n) {
    if (n > left()) bad("field longer than the file");
    in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
    if (!in_) bad("unreadable");
  }

  std::string bytes(std::uint64_t n) {
    if (n > kMaxString) bad("metadata string over 1 MiB");
    if (n > left()) bad("truncated metadata");
    std::string s(n, '\0');
    if (!in_.read(s.data(), static_cast<std::streamsize>(n))) bad("truncated metadata");
    return s;
  }

 private:
  std::istream& in_;
  std::uint64_t size_ = 0;
};

// One StringStringEntryProto of `len` bytes.
std::pair<std::string, std::string> entry(Reader& r, std::uint64_t len) {
  if (len > r.left()) bad("metadata entry longer than the file");
  const std::uint64_t end = r.pos() + len;
  std::string key, value;
  while (r.pos() < end) {
    const std::uint64_t tag = r.need_varint();
    if ((tag & 7) != 2) bad("metadata entry with a non-string field");
    const std::uint64_t n = r.need_varint();
    if (r.pos() > end || n > end - r.pos()) bad("metadata entry overruns itself");
    switch (tag >> 3) {
      case 1:
        key = r.bytes(n);
        break;
      case 2:
        value = r.bytes(n);
        break;
      default:
        r.skip(n);
    }
  }
  return {std::move(key), std::move(value)};
}

}  // namespace

std::map<std::string, std::string> read_onnx_metadata(std::istream& in) {
  Reader r(in);
  std::map<std::string, std::string> out;
  std::size_t entries = 0;
  while (auto tag = r.varint()) {
    const std::uint64_t field = *tag >> 3;
    if (field == 0) bad("field number 0");
    switch (*tag & 7) {
      case 0:
        r.need_varint();
        break;
      case 1:
        r.skip(8);
        break;
      case 5:
        r.skip(4);
        break;
      case 2: {
        const std::uint64_t n = r.need_varint();
        if (field == kMetadataProps) {
          if (++entries > kMaxEntries) bad("more than 4096 metadata entries");
          auto [k, v] = entry(r, n);
          out[std::move(k)] = std::move(v);
        } else {
          r.skip(n);
        }
        break;
      }
      default:
        bad(fmt::format("wire type {} at the top level", *tag & 7));
    }
  }
  return out;
}

std::map<std::string, std::string> read_onnx_metadata_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path));
  try {
    return read_onnx_metadata(in);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace xz::providers
