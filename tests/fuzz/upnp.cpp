// What dlna_play_music reads from devices in the home network (tools/builtin/upnp): SSDP
// answers, device descriptions, SOAP answers and faults, DIDL-Lite lists. The first byte
// picks the reader; any input is a value or a UpnpError (nullopt for SSDP), and what is
// kept is bounded and only http(s) URLs.
#include <string>

#include "fuzz/fuzz_check.h"
#include "tools/builtin/upnp.h"

using namespace xz::tools::builtin;

namespace {

bool http_url(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = xz::fuzz::as_text(data + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0:
        if (auto a = parse_ssdp_answer(text)) {
          FUZZ_CHECK(a->location.rfind("http://", 0) == 0 && a->location.size() <= 2048);
        }
        break;
      case 1: {
        const UpnpDevice d = parse_device_description(text, "http://192.168.1.20:8200/rootDesc.xml");
        FUZZ_CHECK(d.services.size() <= 64 * 5);
        for (const auto& s : d.services) FUZZ_CHECK(s.control_url.rfind("http://", 0) == 0 && !s.type.empty());
        break;
      }
      case 2: {
        const auto out = parse_soap_answer(text, "Browse");
        if (auto it = out.find("Result"); it != out.end()) {
          try {
            for (const auto& item : parse_didl_items(it->second, 50)) FUZZ_CHECK(http_url(item.url));
          } catch (const UpnpError&) {
          }
        }
        break;
      }
      default: {
        const auto items = parse_didl_items(text, 50);
        FUZZ_CHECK(items.size() <= 50);
        for (const auto& item : items) FUZZ_CHECK(!item.title.empty() && http_url(item.url) && item.url.size() <= 2048);
        // What the server sends back about an item must be well-formed XML again.
        for (const auto& item : items) (void)parse_didl_items(didl_metadata(item.title, item.url), 1);
        break;
      }
    }
  } catch (const UpnpError&) {
  }
  return 0;
}
