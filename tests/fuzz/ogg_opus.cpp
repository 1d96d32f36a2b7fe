// Ogg Opus files (audio/ogg_opus_reader): music a user configures or a tool plays.
// Input: the file. A file that is not Ogg Opus we can decode is refused with
// std::runtime_error; one that opens decodes to chunks of at most the chunk size.
#include <sstream>

#include "audio/ogg_opus_reader.h"
#include "fuzz/fuzz_check.h"

using namespace xz::audio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file(reinterpret_cast<const char*>(data), size);
  (void)starts_ogg_opus(file);
  constexpr std::size_t kChunk = 1600;
  try {
    OggOpusStream stream(std::make_unique<std::istringstream>(file), "fuzz.opus", 16000, kChunk);
    for (int i = 0; i < 200; ++i) {  // 20 s of audio: enough to reach every page of a small file
      auto chunk = stream.next_chunk();
      FUZZ_CHECK(chunk.size() <= kChunk);
      if (chunk.empty()) break;
    }
  } catch (const std::runtime_error&) {
  }
  return 0;
}
