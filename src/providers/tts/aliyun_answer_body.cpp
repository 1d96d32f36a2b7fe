#include "providers/tts/aliyun_answer_body.h"

#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "providers/tts/engine_error.h"

namespace xz::providers {

namespace {

constexpr std::size_t kMaxErrorBytes = 64 * 1024;

class AliyunAnswerBody final : public audio::AudioStreamDecoder {
 public:
  AliyunAnswerBody(audio::AudioFormat format, int rate) : audio_(audio::make_audio_stream_decoder(format, rate)) {}

  audio::DecodedPcm push(std::span<const std::uint8_t> bytes) override {
    if (!decided_ && !bytes.empty()) {
      decided_ = true;
      error_ = bytes.front() == '{';
    }
    if (!error_) return audio_->push(bytes);
    if (body_.size() + bytes.size() > kMaxErrorBytes) throw audio::AudioFormatError("an error answer over 64 KiB");
    body_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return {};
  }

  audio::DecodedPcm finish() override {
    if (!error_) return audio_->finish();
    const auto j = nlohmann::json::parse(body_, nullptr, false);
    if (j.is_object() && j.contains("status") && j["status"].is_number_integer())
      throw std::runtime_error(fmt::format("status {}: {}", j["status"].get<long long>(), vendor_error_message(body_)));
    throw std::runtime_error(fmt::format("not audio: {}", vendor_error_message(body_)));
  }

 private:
  std::unique_ptr<audio::AudioStreamDecoder> audio_;
  bool decided_ = false, error_ = false;
  std::string body_;
};

}  // namespace

std::unique_ptr<audio::AudioStreamDecoder> aliyun_answer_body(audio::AudioFormat format, int sample_rate) {
  return std::make_unique<AliyunAnswerBody>(format, sample_rate);
}

}  // namespace xz::providers
