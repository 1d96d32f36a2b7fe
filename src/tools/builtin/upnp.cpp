#include "tools/builtin/upnp.h"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>

#include "tools/builtin/xml_document.h"

namespace xz::tools::builtin {

namespace {

std::string_view local_name(std::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

const XmlElement* child_named(const XmlElement& el, std::string_view local) {
  for (const auto& c : el.children)
    if (local_name(c.name) == local) return &c;
  return nullptr;
}

std::string trimmed(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

std::string child_text(const XmlElement& el, std::string_view local) {
  const XmlElement* c = child_named(el, local);
  return c ? trimmed(c->text) : std::string();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

XmlElement parse(std::string_view xml, const char* what) {
  XmlLimits limits;
  limits.max_bytes = 2 << 20;
  limits.max_depth = 24;
  try {
    return parse_xml(xml, limits);
  } catch (const XmlError& e) {
    throw UpnpError(fmt::format("{} is not well-formed XML: {}", what, e.what()));
  }
}

// `ref` resolved against `base`; "" unless the result is an http:// URL.
std::string resolve_http(std::string_view base, std::string_view ref) {
  auto b = boost::urls::parse_uri(base);
  auto r = boost::urls::parse_uri_reference(ref);
  if (!b || !r) return {};
  boost::urls::url out;
  if (!boost::urls::resolve(*b, *r, out)) return {};
  std::string s(out.buffer());
  return s.rfind("http://", 0) == 0 && s.size() <= 2048 ? s : std::string();
}

void collect_services(const XmlElement& device, std::string_view base, UpnpDevice& out, int depth) {
  if (const XmlElement* list = child_named(device, "serviceList"))
    for (const auto& s : list->children) {
      if (local_name(s.name) != "service" || out.services.size() >= 64) continue;
      UpnpService svc{child_text(s, "serviceType"), resolve_http(base, child_text(s, "controlURL"))};
      if (!svc.type.empty() && !svc.control_url.empty()) out.services.push_back(std::move(svc));
    }
  if (depth >= 4) return;
  if (const XmlElement* list = child_named(device, "deviceList"))
    for (const auto& d : list->children)
      if (local_name(d.name) == "device") collect_services(d, base, out, depth + 1);
}

}  // namespace

std::string ssdp_search_request(std::string_view host_port, std::string_view search_target, int mx) {
  return fmt::format("M-SEARCH * HTTP/1.1\r\nHOST: {}\r\nMAN: \"ssdp:discover\"\r\nMX: {}\r\nST: {}\r\n\r\n", host_port,
                     mx, search_target);
}

std::optional<SsdpAnswer> parse_ssdp_answer(std::string_view datagram) {
  if (datagram.size() > 8192) return std::nullopt;
  std::size_t eol = datagram.find("\r\n");
  if (eol == std::string_view::npos) eol = datagram.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  const std::string_view status = datagram.substr(0, eol);
  if (status.rfind("HTTP/1.", 0) != 0 || status.find(" 200") == std::string_view::npos) return std::nullopt;
  SsdpAnswer a;
  std::size_t pos = eol;
  while (pos < datagram.size()) {
    while (pos < datagram.size() && (datagram[pos] == '\r' || datagram[pos] == '\n')) ++pos;
    std::size_t end = datagram.find('\n', pos);
    if (end == std::string_view::npos) end = datagram.size();
    std::string_view line = datagram.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string value = trimmed(line.substr(colon + 1));
    if (iequals(name, "location")) a.location = std::move(value);
    else if (iequals(name, "st")) a.st = std::move(value);
    else if (iequals(name, "usn")) a.usn = std::move(value);
    else if (iequals(name, "server")) a.server = std::move(value);
  }
  if (a.location.rfind("http://", 0) != 0 || a.location.size() > 2048 || !boost::urls::parse_uri(a.location))
    return std::nullopt;
  return a;
}

std::string UpnpDevice::control_url(std::string_view type_prefix) const {
  for (const auto& s : services)
    if (s.type.rfind(type_prefix, 0) == 0) return s.control_url;
  return {};
}

UpnpDevice parse_device_description(std::string_view xml, std::string_view location) {
  const XmlElement root = parse(xml, "the device description");
  if (local_name(root.name) != "root") throw UpnpError("the device description's root is not <root>");
  const XmlElement* device = child_named(root, "device");
  if (!device) throw UpnpError("the device description has no <device>");
  std::string base(location);
  if (std::string url_base = child_text(root, "URLBase"); !url_base.empty() && resolve_http(location, url_base) != "")
    base = resolve_http(location, url_base);
  UpnpDevice d;
  d.type = child_text(*device, "deviceType");
  d.friendly_name = child_text(*device, "friendlyName");
  d.udn = child_text(*device, "UDN");
  collect_services(*device, base, d, 0);
  return d;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string soap_request(std::string_view service_type, std::string_view action,
                         const std::vector<std::pair<std::string, std::string>>& args) {
  std::string body = fmt::format(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:{} xmlns:u=\"{}\">",
      action, xml_escape(service_type));
  for (const auto& [name, value] : args) body += fmt::format("<{0}>{1}</{0}>", name, xml_escape(value));
  body += fmt::format("</u:{}></s:Body></s:Envelope>", action);
  return body;
}

std::map<std::string, std::string> parse_soap_answer(std::string_view xml, std::string_view action) {
  const XmlElement envelope = parse(xml, "the SOAP answer");
  if (local_name(envelope.name) != "Envelope") throw UpnpError("the SOAP answer has no Envelope");
  const XmlElement* body = child_named(envelope, "Body");
  if (!body) throw UpnpError("the SOAP answer has no Body");
  if (const XmlElement* fault = child_named(*body, "Fault")) {
    std::string code, description;
    if (const XmlElement* detail = child_named(*fault, "detail"))
      if (const XmlElement* err = child_named(*detail, "UPnPError")) {
        code = child_text(*err, "errorCode");
        description = child_text(*err, "errorDescription");
      }
    if (code.empty()) code = child_text(*fault, "faultcode");
    if (description.empty()) description = child_text(*fault, "faultstring");
    throw UpnpError(fmt::format("{} failed: UPnP error {} {}", action, code.substr(0, 40), description.substr(0, 200)));
  }
  const std::string expected = std::string(action) + "Response";
  const XmlElement* answer = child_named(*body, expected);
  if (!answer) throw UpnpError(fmt::format("the SOAP answer has no {}", expected));
  std::map<std::string, std::string> out;
  for (const auto& c : answer->children) out[std::string(local_name(c.name))] = c.text;
  return out;
}

std::vector<DidlItem> parse_didl_items(std::string_view xml, std::size_t max_items) {
  const XmlElement root = parse(xml, "the DIDL-Lite list");
  if (local_name(root.name) != "DIDL-Lite") throw UpnpError("the browse result is not DIDL-Lite");
  std::vector<DidlItem> out;
  for (const auto& item : root.children) {
    if (local_name(item.name) != "item" || out.size() >= max_items) continue;
    DidlItem d;
    d.title = child_text(item, "title");
    for (const auto& c : item.children) {
      if (local_name(c.name) != "res") continue;
      std::string url = trimmed(c.text);
      if ((url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) && url.size() <= 2048) {
        d.url = std::move(url);
        break;
      }
    }
    if (!d.title.empty() && !d.url.empty()) out.push_back(std::move(d));
  }
  return out;
}

std::string didl_metadata(std::string_view title, std::string_view url) {
  return fmt::format(
      "<DIDL-Lite xmlns=\"urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:upnp=\"urn:schemas-upnp-org:metadata-1-0/upnp/\"><item id=\"0\" parentID=\"-1\" restricted=\"1\">"
      "<dc:title>{}</dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class>"
      "<res protocolInfo=\"http-get:*:audio/mpeg:*\">{}</res></item></DIDL-Lite>",
      xml_escape(title), xml_escape(url));
}

}  // namespace xz::tools::builtin
