// parse_vision_upload: the multipart camera upload, image sniffing and limits.
#include <gtest/gtest.h>

#include "http/vision_upload.h"
#include "test_images.h"
#include "vision_fixture.h"

using xz::http::parse_vision_upload;
using xz::http::VisionUploadError;
using xz::protocol::ImageType;
using xz::test::camera_body;
using xz::test::tiny_jpeg;
using xz::test::tiny_png;

namespace {

const std::string kType = "multipart/form-data; boundary=----ESP32_CAMERA_BOUNDARY";
constexpr std::size_t kLimit = 5 * 1024 * 1024;

int status_of(const std::string& content_type, const std::string& body, std::size_t limit = kLimit) {
  try {
    parse_vision_upload(content_type, body, limit);
  } catch (const VisionUploadError& e) {
    EXPECT_GT(std::string(e.what()).size(), 5u);
    return e.status;
  }
  return 200;
}

}  // namespace

TEST(VisionUpload, FirstPartIsTheQuestionSecondTheImage) {
  auto up = parse_vision_upload(kType, camera_body("What colour is it?", tiny_jpeg()), kLimit);
  EXPECT_EQ(up.question, "What colour is it?");
  EXPECT_EQ(up.image, tiny_jpeg());
  EXPECT_EQ(up.type, ImageType::jpeg);
}

TEST(VisionUpload, FieldNamesAreNotRequired) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nWhat?\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\n" + tiny_png() + "\r\n--b--\r\n";
  auto up = parse_vision_upload("multipart/form-data; boundary=b", body, kLimit);
  EXPECT_EQ(up.question, "What?");
  EXPECT_EQ(up.type, ImageType::png);
  EXPECT_EQ(up.image, tiny_png());
}

TEST(VisionUpload, BlankQuestionGetsTheDefault) {
  auto up = parse_vision_upload(kType, camera_body("  ", tiny_jpeg()), kLimit);
  EXPECT_EQ(up.question, xz::http::kDefaultVisionQuestion);
}

TEST(VisionUpload, EverySupportedImageTypeIsRecognised) {
  struct Case {
    std::string bytes;
    ImageType type;
  };
  std::vector<Case> cases = {
      {tiny_jpeg(), ImageType::jpeg},
      {tiny_png(), ImageType::png},
      {"GIF89a\x01\x00\x01\x00", ImageType::gif},
      {std::string("BM\x3a\x00\x00\x00", 6), ImageType::bmp},
      {std::string("II*\0\x08\0\0\0", 8), ImageType::tiff},
      {std::string("MM\0*\0\0\0\x08", 8), ImageType::tiff},
      {std::string("RIFF\x24\0\0\0WEBPVP8 ", 16), ImageType::webp},
  };
  for (const auto& c : cases) {
    auto up = parse_vision_upload(kType, camera_body("?", c.bytes), kLimit);
    EXPECT_EQ(up.type, c.type) << xz::protocol::mime_type(c.type);
  }
}

TEST(VisionUpload, RejectsWhatIsNotAnImageUpload) {
  EXPECT_EQ(status_of(kType, camera_body("Read this", "plain text, not an image")), 400);
  EXPECT_EQ(status_of(kType, camera_body("Read this", std::string("RIFF\x24\0\0\0WAVEfmt ", 16))), 400)
      << "a RIFF that is not WEBP";
  EXPECT_EQ(status_of(kType, camera_body("Empty", "")), 400);
  EXPECT_EQ(status_of("application/json", "{}"), 400);
  EXPECT_EQ(status_of("multipart/form-data", camera_body("?", tiny_jpeg())), 400) << "no boundary";
  EXPECT_EQ(status_of(kType, ""), 400);
  EXPECT_EQ(status_of(kType, "------ESP32_CAMERA_BOUNDARY--\r\n"), 400) << "no parts";
  EXPECT_EQ(status_of(kType, "------ESP32_CAMERA_BOUNDARY\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n"
                             "only a question\r\n------ESP32_CAMERA_BOUNDARY--\r\n"),
            400);
  EXPECT_EQ(status_of(kType, camera_body("?", tiny_jpeg()).substr(0, 100)), 400) << "cut short";
  EXPECT_EQ(status_of(kType, camera_body(std::string(20000, 'q'), tiny_jpeg())), 400) << "question too long";
}

TEST(VisionUpload, SizeLimitsAre413) {
  std::string image = tiny_jpeg();
  image.resize(1000, '\x55');
  EXPECT_EQ(status_of(kType, camera_body("?", image), 1000), 200) << "exactly at the limit";
  image.resize(1001, '\x55');
  EXPECT_EQ(status_of(kType, camera_body("?", image), 1000), 413) << "one byte over";
  std::string huge = tiny_jpeg();
  huge.resize(6 * 1024 * 1024, '\x55');
  EXPECT_EQ(status_of(kType, camera_body("?", huge)), 413) << "rejected before parsing";
  EXPECT_EQ(status_of(kType, std::string(6 * 1024 * 1024, 'x')), 413);
}
