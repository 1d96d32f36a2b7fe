#pragma once
// UPnP/DLNA as dlna_play_music speaks it: SSDP search messages and answers, device
// descriptions, SOAP actions and their answers, DIDL-Lite item lists. Pure: every input
// comes from devices on the network, which may be hostile or broken; bad input is a
// UpnpError (or nullopt for an SSDP datagram), never a crash.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xz::tools::builtin {

struct UpnpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view kMediaServerType = "urn:schemas-upnp-org:device:MediaServer:1";
inline constexpr std::string_view kMediaRendererType = "urn:schemas-upnp-org:device:MediaRenderer:1";
inline constexpr std::string_view kContentDirectoryType = "urn:schemas-upnp-org:service:ContentDirectory:1";
inline constexpr std::string_view kAvTransportType = "urn:schemas-upnp-org:service:AVTransport:1";

// An M-SEARCH request for `search_target`, answered within `mx` seconds.
std::string ssdp_search_request(std::string_view host_port, std::string_view search_target, int mx);

struct SsdpAnswer {
  std::string location;  // the description's URL (http only)
  std::string st, usn, server;
};

// A unicast answer to an M-SEARCH ("HTTP/1.1 200 OK" with LOCATION); nullopt for
// anything else (NOTIFY, other methods, no http:// LOCATION, malformed lines).
std::optional<SsdpAnswer> parse_ssdp_answer(std::string_view datagram);

struct UpnpService {
  std::string type;         // "urn:schemas-upnp-org:service:AVTransport:1"
  std::string control_url;  // absolute
};

struct UpnpDevice {
  std::string type, friendly_name, udn;
  std::vector<UpnpService> services;  // the device's and its embedded devices'

  // The control URL of the first service whose type starts with `type_prefix` (any
  // version), or "".
  std::string control_url(std::string_view type_prefix) const;
};

// A device description fetched from `location`; relative URLs resolve against URLBase
// or `location`. Only http:// control URLs are kept. Throws UpnpError.
UpnpDevice parse_device_description(std::string_view xml, std::string_view location);

// The SOAP request body for `action` of `service_type` with `args` (in order).
std::string soap_request(std::string_view service_type, std::string_view action,
                         const std::vector<std::pair<std::string, std::string>>& args);

// The output arguments of a SOAP answer to `action`. Throws UpnpError for a SOAP fault
// (naming UPnP's errorCode and errorDescription) or an answer that is not one.
std::map<std::string, std::string> parse_soap_answer(std::string_view xml, std::string_view action);

struct DidlItem {
  std::string title, url;  // url: the first http(s) <res>
};

// The playable items of a DIDL-Lite document (a Browse answer's Result). Throws UpnpError.
std::vector<DidlItem> parse_didl_items(std::string_view xml, std::size_t max_items = 2000);

// DIDL-Lite metadata for one audio item, as SetAVTransportURI's CurrentURIMetaData.
std::string didl_metadata(std::string_view title, std::string_view url);

// Text with &, <, >, " and ' escaped for XML.
std::string xml_escape(std::string_view text);

}  // namespace xz::tools::builtin
