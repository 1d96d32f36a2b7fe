// Aliyun NLS (providers/tts/aliyun_wire): FlowingSpeechSynthesizer events, CreateToken
// answers and the fake's check of a CreateToken query. Any text gives a value or a
// WireError, never a crash.
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "providers/tts/aliyun_wire.h"

using namespace xz::providers::aliyun;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  try {
    Event e = parse_event(text);
    FUZZ_CHECK(!e.name.empty());
  } catch (const WireError&) {
  }
  try {
    Token t = parse_token_answer(text);
    FUZZ_CHECK(!t.id.empty());
  } catch (const WireError& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("CreateToken: "));
  }
  // The input as a query: k=v pairs split at '&'.
  std::vector<std::pair<std::string, std::string>> query;
  std::size_t at = 0;
  while (at <= text.size() && query.size() < 64) {
    auto amp = text.find('&', at);
    if (amp == std::string_view::npos) amp = text.size();
    auto part = text.substr(at, amp - at);
    auto eq = part.find('=');
    query.emplace_back(std::string(part.substr(0, eq)), eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1)));
    at = amp + 1;
  }
  const auto check = check_token_request(query, "secret");
  FUZZ_CHECK(check.ok || !check.why.empty());
  FUZZ_CHECK(percent_encode(text).size() <= 3 * size);
  return 0;
}
