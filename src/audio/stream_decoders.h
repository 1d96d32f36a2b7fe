#pragma once
// The concrete AudioStreamDecoders, one per file (mp3_stream_decoder.cpp, ...), made
// through make_audio_stream_decoder(), which wraps each in the guard that slices large
// pushes, caps the decoded length and repeats the first error.
#include <cstddef>
#include <memory>

#include "audio/audio_stream_decoder.h"

namespace xz::audio {

// Bytes one inner push() sees at most: every decoder's undecoded input stays within its
// largest frame plus this.
inline constexpr std::size_t kDecoderSliceBytes = 4096;

std::unique_ptr<AudioStreamDecoder> make_mp3_stream_decoder();
std::unique_ptr<AudioStreamDecoder> make_ogg_opus_stream_decoder();
std::unique_ptr<AudioStreamDecoder> make_aac_stream_decoder();
std::unique_ptr<AudioStreamDecoder> make_flac_stream_decoder();
std::unique_ptr<AudioStreamDecoder> make_wav_stream_decoder();
std::unique_ptr<AudioStreamDecoder> make_pcm_stream_decoder(int sample_rate);

}  // namespace xz::audio
