#pragma once
// Tiny but complete images for upload tests, built from their format's structure.
#include <cstdint>
#include <string>

namespace xz::test {

// A 1x1 grey baseline JPEG: SOI, JFIF APP0, an all-ones quantisation table, SOF0,
// one-code DC and AC Huffman tables, one scan (DC difference 0, then end of block), EOI.
inline std::string tiny_jpeg() {
  std::string j;
  auto bytes = [&j](std::initializer_list<int> b) {
    for (int v : b) j.push_back(static_cast<char>(v));
  };
  bytes({0xFF, 0xD8});                                                       // SOI
  bytes({0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01,      // APP0 JFIF 1.1
         0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00});                         // aspect 1:1, no thumbnail
  bytes({0xFF, 0xDB, 0x00, 0x43, 0x00});                                     // DQT table 0, 8-bit
  j.append(64, '\x01');
  bytes({0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01,        // SOF0 8-bit 1x1, 1 component:
         0x01, 0x11, 0x00});                                                 // id 1, 1x1 sampling, table 0
  for (int table_class : {0x00, 0x10}) {                                     // DHT: DC 0, then AC 0
    bytes({0xFF, 0xC4, 0x00, 0x14, table_class, 0x01});                      // one code of length 1 ("0")...
    j.append(15, '\0');
    bytes({0x00});                                                           // ...for symbol 0 (DC: size 0; AC: EOB)
  }
  bytes({0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00});      // SOS: component 1, tables 0/0
  bytes({0x3F});                                                             // bits "0" (DC) "0" (EOB), 1-padded
  bytes({0xFF, 0xD9});                                                       // EOI
  return j;
}

namespace detail {
inline std::uint32_t crc32(const std::string& data) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}
inline std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
inline std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}
}  // namespace detail

// A 1x1 8-bit grey PNG: IHDR, one IDAT (zlib stream with a stored block), IEND.
inline std::string tiny_png() {
  using detail::be32;
  const std::string raw("\x00\x80", 2);  // filter byte "none", then one mid-grey pixel
  std::uint32_t a = 1, b = 0;            // Adler-32 of raw
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  std::string zlib("\x78\x01", 2);
  zlib += std::string("\x01\x02\x00\xFD\xFF", 5);  // final stored block, LEN 2, NLEN ~2
  zlib += raw + be32((b << 16) | a);
  std::string ihdr = be32(1) + be32(1) + std::string("\x08\x00\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1A\n", 8) + detail::png_chunk("IHDR", ihdr) + detail::png_chunk("IDAT", zlib) +
         detail::png_chunk("IEND", "");
}

}  // namespace xz::test
