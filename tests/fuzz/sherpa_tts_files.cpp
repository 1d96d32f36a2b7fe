// The checks of a local TTS model's files before sherpa-onnx reads them
// (providers/tts/sherpa_tts_checks): tokens.txt and the VITS metadata, both a user's
// download. A tokens.txt the check passes must not be one sherpa-onnx 1.13.8's reader
// ends the process on (its loop is replayed here as the oracle); the metadata check gives
// a frontend or a std::runtime_error, nothing else.
#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_check.h"
#include "providers/tts/sherpa_tts_checks.h"

using namespace xz::providers::sherpa_tts;

namespace {

// sherpa-onnx's ReadTokens (lexicon.cc): true where it would call exit(-1).
bool sherpa_would_exit(const std::string& text) {
  std::istringstream is(text);
  std::string line, sym;
  std::int32_t id = 0;
  while (std::getline(is, line)) {
    std::istringstream iss(line);
    iss >> sym;
    if (iss.eof()) continue;
    iss >> id;
    if (!iss.eof()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(xz::fuzz::as_text(data, size));
  if (!tokens_problem(text)) FUZZ_CHECK(!sherpa_would_exit(text));

  // The input as metadata: "key=value" lines.
  std::map<std::string, std::string> meta;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line) && meta.size() < 64) {
    const auto eq = line.find('=');
    meta[line.substr(0, eq)] = eq == std::string::npos ? "" : line.substr(eq + 1);
  }
  for (unsigned files = 0; files < 8; ++files) {
    try {
      const auto frontend = check_vits(meta, VitsFiles{(files & 1) != 0, (files & 2) != 0, (files & 4) != 0});
      // What was accepted has what sherpa-onnx needs.
      FUZZ_CHECK(!meta["language"].empty() && !meta["comment"].empty() && !meta["n_speakers"].empty());
      FUZZ_CHECK(metadata_integer(meta, "sample_rate").value_or(0) >= 1000);
      if (frontend == VitsFrontend::lexicon) FUZZ_CHECK((files & 1) != 0);
    } catch (const std::runtime_error&) {
    }
  }
  return 0;
}
