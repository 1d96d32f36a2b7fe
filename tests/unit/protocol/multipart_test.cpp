#include <gtest/gtest.h>

#include "protocol/multipart.h"

using namespace xz::protocol;

namespace {
constexpr std::string_view kBoundary = "----ESP32_CAMERA_BOUNDARY";
const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11) + std::string("\r\n--not-a-boundary\r\n") +
                          std::string(200, '\x55') + "\xFF\xD9";

// The firmware's exact upload body (device-protocol.md §5.7, Esp32Camera::Explain()).
std::string firmware_body(std::string_view question, std::string_view jpeg) {
  std::string b;
  b += "------ESP32_CAMERA_BOUNDARY\r\n";
  b += "Content-Disposition: form-data; name=\"question\"\r\n";
  b += "\r\n";
  b += question;
  b += "\r\n";
  b += "------ESP32_CAMERA_BOUNDARY\r\n";
  b += "Content-Disposition: form-data; name=\"file\"; filename=\"camera.jpg\"\r\n";
  b += "Content-Type: image/jpeg\r\n";
  b += "\r\n";
  b += jpeg;
  b += "\r\n";
  b += "------ESP32_CAMERA_BOUNDARY--\r\n";
  return b;
}
}  // namespace

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----ESP32_CAMERA_BOUNDARY").value_or(""), kBoundary);
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;boundary=\"a b;c\"").value_or(""), "a b;c");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=xyz").value_or(""), "xyz");
  EXPECT_EQ(multipart_boundary("multipart/form-data; flag; boundary=xyz").value_or(""), "xyz");
  EXPECT_FALSE(multipart_boundary("application/json; boundary=x"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"unterminated"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b')));
  EXPECT_FALSE(multipart_boundary(""));
}

TEST(Multipart, ParsesTheFirmwareCameraUpload) {
  std::string error;
  const auto parts = parse_multipart(firmware_body("What is in front of you?", kJpeg), kBoundary, &error);
  ASSERT_TRUE(parts) << error;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "question");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[0].content_type, "");
  EXPECT_EQ((*parts)[0].data, "What is in front of you?");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "camera.jpg");
  EXPECT_EQ((*parts)[1].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[1].data, kJpeg);  // binary data, CRLFs and dashes included, intact
  EXPECT_EQ(sniff_image_type((*parts)[1].data), ImageType::jpeg);
}

TEST(Multipart, PreambleEpilogueEmptyValuesAndQuotedNames) {
  const std::string body =
      "preamble to ignore\r\n--b\r\n"
      "content-disposition: form-data; name=\"a \\\"q\\\"\"; filename=x.txt\r\n\r\n"
      "\r\n--b\r\n"
      "\r\n"
      "no headers\r\n--b--\r\nepilogue";
  std::string error;
  const auto parts = parse_multipart(body, "b", &error);
  ASSERT_TRUE(parts) << error;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "a \"q\"");
  EXPECT_EQ((*parts)[0].filename, "x.txt");
  EXPECT_EQ((*parts)[0].data, "");
  EXPECT_EQ((*parts)[1].name, "");
  EXPECT_EQ((*parts)[1].data, "no headers");
}

TEST(Multipart, Errors) {
  const std::string body = firmware_body("q", kJpeg);
  std::string error;
  EXPECT_FALSE(parse_multipart(body, "----OTHER_BOUNDARY", &error));
  EXPECT_EQ(error, "multipart: opening boundary \"------OTHER_BOUNDARY\" not found");

  // Cut before the closing delimiter: an upload that stopped half way.
  EXPECT_FALSE(parse_multipart(body.substr(0, body.size() / 2), kBoundary, &error));
  EXPECT_EQ(error, "multipart: closing boundary \"------ESP32_CAMERA_BOUNDARY--\" missing");

  EXPECT_FALSE(parse_multipart("--b\r\nContent-Disposition: form-data\r\nno blank line\r\n--b--", "b", &error));
  EXPECT_EQ(error, "multipart part 1: header block not terminated");
  EXPECT_FALSE(parse_multipart("--b\r\nnot a header\r\n\r\ndata\r\n--b--", "b", &error));
  EXPECT_EQ(error, "multipart part 1: header line without ':'");
  EXPECT_FALSE(parse_multipart("--bX\r\n\r\ndata\r\n--b--", "b", &error));
  EXPECT_EQ(error, "multipart: boundary line not followed by CRLF");
  EXPECT_FALSE(parse_multipart("", "b", &error));
  EXPECT_FALSE(parse_multipart(body, "", &error));
  EXPECT_EQ(error, "multipart: invalid boundary");
  EXPECT_FALSE(parse_multipart("--b", "b", nullptr));  // null error pointer is fine
}

TEST(Multipart, PartCountIsBounded) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += "--b\r\n\r\nx\r\n";
  body += "--b--";
  EXPECT_EQ(parse_multipart(body, "b", nullptr, 5).value().size(), 5u);
  std::string error;
  EXPECT_FALSE(parse_multipart(body, "b", &error, 4));
  EXPECT_EQ(error, "multipart: more than 4 parts");
}

TEST(ImageSniffing, MagicBytes) {
  using namespace std::string_view_literals;
  EXPECT_EQ(sniff_image_type("\xFF\xD8\xFF\xDB"sv), ImageType::jpeg);
  EXPECT_EQ(sniff_image_type("\x89PNG\r\n\x1A\n\0\0"sv), ImageType::png);
  EXPECT_EQ(sniff_image_type("GIF89a..."sv), ImageType::gif);
  EXPECT_EQ(sniff_image_type("GIF87a"sv), ImageType::gif);
  EXPECT_EQ(sniff_image_type("BM\x36\x00"sv), ImageType::bmp);
  EXPECT_EQ(sniff_image_type("II*\0\x08\0"sv), ImageType::tiff);
  EXPECT_EQ(sniff_image_type("MM\0*\0\0"sv), ImageType::tiff);
  EXPECT_EQ(sniff_image_type("RIFF\x24\0\0\0WEBPVP8 "sv), ImageType::webp);
  EXPECT_EQ(sniff_image_type("RIFF\x24\0\0\0WAVEfmt "sv), ImageType::unknown);  // a WAV is not an image
  EXPECT_EQ(sniff_image_type("\xFF\xD8"sv), ImageType::unknown);
  EXPECT_EQ(sniff_image_type(""sv), ImageType::unknown);
  EXPECT_EQ(sniff_image_type("hello"sv), ImageType::unknown);
  EXPECT_EQ(mime_type(ImageType::jpeg), "image/jpeg");
  EXPECT_EQ(mime_type(ImageType::png), "image/png");
  EXPECT_EQ(mime_type(ImageType::gif), "image/gif");
  EXPECT_EQ(mime_type(ImageType::bmp), "image/bmp");
  EXPECT_EQ(mime_type(ImageType::tiff), "image/tiff");
  EXPECT_EQ(mime_type(ImageType::webp), "image/webp");
  EXPECT_EQ(mime_type(ImageType::unknown), "application/octet-stream");
}
