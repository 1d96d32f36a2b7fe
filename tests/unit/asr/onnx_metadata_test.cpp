#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "providers/asr/onnx_metadata.h"
#include "support/tiny_sense_voice.h"

namespace fs = std::filesystem;
using xz::providers::read_onnx_metadata;
using xz::providers::read_onnx_metadata_file;

namespace {

std::string tiny_model() {
  static const struct Model {
    fs::path dir = fs::temp_directory_path() / ("xz-onnx-meta-" + std::to_string(::getpid()));
    std::string path = xz::test::write_tiny_sense_voice(dir.string()).model;
    ~Model() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } m;
  return m.path;
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::map<std::string, std::string> meta_of(const std::string& bytes) {
  std::istringstream in(bytes);
  return read_onnx_metadata(in);
}

}  // namespace

TEST(OnnxMetadata, ReadsEveryEntryOfAModelWithoutItsGraph) {
  const auto meta = read_onnx_metadata_file(tiny_model());
  EXPECT_EQ(meta.at("model_type"), "sense_voice_ctc");
  EXPECT_EQ(meta.at("vocab_size"), "15");
  EXPECT_EQ(meta.at("lfr_window_size"), "7");
  EXPECT_EQ(meta.size(), 17u);
}

TEST(OnnxMetadata, AnEmptyFileHasNoMetadata) { EXPECT_TRUE(meta_of("").empty()); }

TEST(OnnxMetadata, ATruncatedModelIsAnError) {
  const auto bytes = file_bytes(tiny_model());
  for (std::size_t cut : {std::size_t{1}, bytes.size() / 3, bytes.size() - 1}) {
    EXPECT_THROW(meta_of(bytes.substr(0, cut)), std::runtime_error) << "cut at " << cut;
  }
}

TEST(OnnxMetadata, BytesThatAreNoProtobufAreAnError) {
  EXPECT_THROW(meta_of("\x07"), std::runtime_error);                   // wire type 7
  EXPECT_THROW(meta_of("\x72\xff\xff\xff\xff\x0f"), std::runtime_error);  // metadata longer than the input
  EXPECT_THROW(meta_of(std::string(12, '\xff')), std::runtime_error);  // a varint past 10 bytes
  EXPECT_THROW(read_onnx_metadata_file("/nonexistent/model.onnx"), std::runtime_error);
}

TEST(OnnxMetadata, AHugeValueIsRefused) {
  // metadata_props { key: "k", value: <2 MiB> }
  const std::string value(2u << 20, 'v');
  std::string entry = std::string("\x0a\x01k") + "\x12";
  std::uint64_t n = value.size();
  while (n >= 0x80) {
    entry += static_cast<char>(n | 0x80);
    n >>= 7;
  }
  entry += static_cast<char>(n);
  entry += value;
  std::string model = "\x72";
  n = entry.size();
  while (n >= 0x80) {
    model += static_cast<char>(n | 0x80);
    n >>= 7;
  }
  model += static_cast<char>(n);
  model += entry;
  EXPECT_THROW(meta_of(model), std::runtime_error);
}
