#pragma once
// The body of an Aliyun NLS RESTful TTS answer: the audio file, or (when it starts with
// '{') the service's JSON error, {"task_id","result","status","message"}, which the
// reference tells apart by the Content-Type. The error is thrown at the end of the body.
#include <memory>

#include "audio/audio_stream_decoder.h"

namespace xz::providers {

// Audio of `format` at `sample_rate` (for pcm) is decoded as it arrives; an error answer
// (at most 64 KiB, else AudioFormatError) ends in std::runtime_error "status <status>:
// <message>" ("not audio: <body's start>" for JSON without a status).
std::unique_ptr<audio::AudioStreamDecoder> aliyun_answer_body(audio::AudioFormat format, int sample_rate);

}  // namespace xz::providers
