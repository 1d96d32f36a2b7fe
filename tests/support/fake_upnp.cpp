#include "support/fake_upnp.h"

#include <mutex>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/runtime.h"
#include "net/http_server.h"
#include "net/http_types.h"
#include "tools/builtin/upnp.h"
#include "tools/builtin/xml_document.h"

namespace xz::test {

namespace asio = boost::asio;
using net::HttpRequest;
using net::HttpResponse;
using tools::builtin::xml_escape;

struct FakeUpnp::Impl {
  core::Runtime rt{1, 1};
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<asio::ip::udp::socket> ssdp;
  std::string server_name, renderer_name;

  mutable std::mutex mu;
  std::map<std::string, std::vector<FakeUpnpSong>> containers;
  bool answer_server = true, answer_renderer = true;
  std::map<std::string, std::pair<int, std::string>> failures;
  std::vector<FakeUpnpAction> actions;
  std::string uri, state = "NO_MEDIA_PRESENT";
  std::size_t searches = 0;

  std::string base() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  asio::awaitable<void> ssdp_loop() {
    std::array<char, 2048> buf;
    for (;;) {
      asio::ip::udp::endpoint from;
      std::size_t n = 0;
      try {
        n = co_await ssdp->async_receive_from(asio::buffer(buf), from, asio::use_awaitable);
      } catch (const boost::system::system_error&) {
        co_return;  // closed
      }
      const std::string msg(buf.data(), n);
      if (msg.rfind("M-SEARCH * HTTP/1.1\r\n", 0) != 0 || msg.find("ssdp:discover") == std::string::npos) continue;
      const auto st_at = msg.find("\r\nST: ");
      if (st_at == std::string::npos) continue;
      const std::string st = msg.substr(st_at + 6, msg.find("\r\n", st_at + 6) - st_at - 6);
      std::vector<std::string> out;
      {
        std::lock_guard lk(mu);
        ++searches;
        const bool server_type = st == tools::builtin::kMediaServerType;
        const bool renderer_type = st == tools::builtin::kMediaRendererType;
        if ((server_type && answer_server) || (renderer_type && answer_renderer)) {
          const std::string uuid = server_type ? "uuid:4d696e69-444c-164e-9d41-b827eb000001"
                                               : "uuid:5f9ec1b3-ed59-79bb-4530-b827eb000002";
          out.push_back("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
                        "LOCATION: http://10.9.9.9/x.xml\r\n\r\n");
          out.push_back("HTTP/1.1 200 OK\r\nLOCATION: not a url\r\n\r\n");
          out.push_back("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nDATE: Wed, 10 Jan 2024 12:00:00 GMT\r\n"
                        "EXT:\r\nLOCATION: " + base() + (server_type ? "/server.xml" : "/renderer.xml") +
                        "\r\nSERVER: Linux/5.10 UPnP/1.0 FakeDLNA/1.0\r\nST: " + st + "\r\nUSN: " + uuid + "::" + st +
                        "\r\n\r\n");
        }
      }
      for (const auto& m : out) co_await ssdp->async_send_to(asio::buffer(m), from, asio::use_awaitable);
    }
  }

  static HttpResponse xml(int status, std::string body) {
    HttpResponse r = HttpResponse::text(status, std::move(body));
    r.content_type = "text/xml; charset=\"utf-8\"";
    return r;
  }

  HttpResponse description(bool is_server) const {
    const std::string type(is_server ? tools::builtin::kMediaServerType : tools::builtin::kMediaRendererType);
    const std::string service(is_server ? tools::builtin::kContentDirectoryType : tools::builtin::kAvTransportType);
    const std::string id = is_server ? "ContentDirectory" : "AVTransport";
    const std::string control = is_server ? "cds/control" : "/avt/control";  // one relative, one absolute path
    return xml(200,
               "<?xml version=\"1.0\"?>\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\" "
               "xmlns:dlna=\"urn:schemas-dlna-org:device-1-0\"><specVersion><major>1</major><minor>0</minor></specVersion>"
               "<device><deviceType>" + type + "</deviceType><friendlyName>" +
               xml_escape(is_server ? server_name : renderer_name) +
               "</friendlyName><manufacturer>Fake</manufacturer><modelName>Fake DLNA</modelName>"
               "<UDN>uuid:fake-" + id + "</UDN><dlna:X_DLNADOC>DMS-1.50</dlna:X_DLNADOC><serviceList>"
               "<service><serviceType>urn:schemas-upnp-org:service:ConnectionManager:1</serviceType>"
               "<serviceId>urn:upnp-org:serviceId:ConnectionManager</serviceId><SCPDURL>/cm.xml</SCPDURL>"
               "<controlURL>/cm/control</controlURL><eventSubURL>/cm/event</eventSubURL></service>"
               "<service><serviceType>" + service + "</serviceType><serviceId>urn:upnp-org:serviceId:" + id +
               "</serviceId><SCPDURL>/" + id + ".xml</SCPDURL><controlURL>" + control +
               "</controlURL><eventSubURL>/" + id + "/event</eventSubURL></service></serviceList></device></root>\n");
  }

  static HttpResponse fault(int code, const std::string& description) {
    return xml(500,
               "<?xml version=\"1.0\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
               "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><s:Fault>"
               "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
               "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" + std::to_string(code) +
               "</errorCode><errorDescription>" + description + "</errorDescription></UPnPError></detail></s:Fault>"
               "</s:Body></s:Envelope>\n");
  }

  static HttpResponse answer(const std::string& service_type, const std::string& action, const std::string& out) {
    return xml(200, "<?xml version=\"1.0\"?>\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                    "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:" + action +
                    "Response xmlns:u=\"" + service_type + "\">" + out + "</u:" + action +
                    "Response></s:Body></s:Envelope>\n");
  }

  // The action and its arguments, after checking the SOAPAction header against the body.
  std::optional<FakeUpnpAction> read_action(HttpRequest& req, const std::string& service_type, const char* service) {
    tools::builtin::XmlElement env;
    try {
      env = tools::builtin::parse_xml(req.body);
    } catch (const tools::builtin::XmlError&) {
      return std::nullopt;
    }
    auto local = [](const std::string& n) { return n.substr(n.find(':') == std::string::npos ? 0 : n.find(':') + 1); };
    if (local(env.name) != "Envelope" || env.children.empty() || local(env.children[0].name) != "Body" ||
        env.children[0].children.empty())
      return std::nullopt;
    const auto& call = env.children[0].children[0];
    FakeUpnpAction a{service, local(call.name), {}};
    if (req.header("soapaction") != "\"" + service_type + "#" + a.action + "\"") return std::nullopt;
    for (const auto& arg : call.children) a.args[arg.name] = arg.text;
    return a;
  }

  HttpResponse control(HttpRequest& req, bool is_server) {
    const std::string service_type(is_server ? tools::builtin::kContentDirectoryType : tools::builtin::kAvTransportType);
    auto a = read_action(req, service_type, is_server ? "cds" : "avt");
    if (!a) return fault(401, "Invalid Action");
    std::lock_guard lk(mu);
    actions.push_back(*a);
    if (auto f = failures.find(a->action); f != failures.end()) {
      auto [code, text] = f->second;
      failures.erase(f);
      return fault(code, text);
    }
    if (is_server) {
      if (a->action != "Browse") return fault(401, "Invalid Action");
      auto c = containers.find(a->args["ObjectID"]);
      if (c == containers.end()) return fault(701, "No such object");
      std::string didl = "<DIDL-Lite xmlns=\"urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/\" "
                         "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:upnp=\"urn:schemas-upnp-org:metadata-1-0/upnp/\">"
                         "<container id=\"1$4$1\" parentID=\"1$4\" restricted=\"1\"><dc:title>Sub</dc:title>"
                         "<upnp:class>object.container.storageFolder</upnp:class></container>";
      int n = 0;
      for (const auto& s : c->second)
        didl += "<item id=\"" + c->first + "$" + std::to_string(++n) + "\" parentID=\"" + c->first +
                "\" restricted=\"1\"><dc:title>" + xml_escape(s.title) +
                "</dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class>"
                "<res size=\"3558000\" duration=\"0:03:42.000\" protocolInfo=\"http-get:*:audio/mpeg:DLNA.ORG_PN=MP3\">" +
                xml_escape(s.url) + "</res></item>";
      didl += "</DIDL-Lite>";
      return answer(service_type, "Browse",
                    "<Result>" + xml_escape(didl) + "</Result><NumberReturned>" + std::to_string(n) +
                        "</NumberReturned><TotalMatches>" + std::to_string(n) + "</TotalMatches><UpdateID>7</UpdateID>");
    }
    if (a->args["InstanceID"] != "0") return fault(718, "Invalid InstanceID");
    if (a->action == "Stop") {
      if (state != "PLAYING") return fault(701, "Transition not available");
      state = "STOPPED";
      return answer(service_type, "Stop", "");
    }
    if (a->action == "SetAVTransportURI") {
      uri = a->args["CurrentURI"];
      state = "STOPPED";
      return answer(service_type, "SetAVTransportURI", "");
    }
    if (a->action == "Play") {
      if (uri.empty()) return fault(701, "Transition not available");
      state = "PLAYING";
      return answer(service_type, "Play", "");
    }
    if (a->action == "GetTransportInfo")
      return answer(service_type, "GetTransportInfo",
                    "<CurrentTransportState>" + state +
                        "</CurrentTransportState><CurrentTransportStatus>OK</CurrentTransportStatus><CurrentSpeed>1</CurrentSpeed>");
    return fault(401, "Invalid Action");
  }
};

FakeUpnp::FakeUpnp(std::string server_name, std::string renderer_name) : impl_(std::make_unique<Impl>()) {
  impl_->server_name = std::move(server_name);
  impl_->renderer_name = std::move(renderer_name);
  impl_->containers["1$4"] = {};
  auto router = std::make_shared<net::HttpRouter>();
  Impl* self = impl_.get();
  router->add("GET", "/server.xml", [self](HttpRequest&) -> asio::awaitable<HttpResponse> { co_return self->description(true); });
  router->add("GET", "/renderer.xml", [self](HttpRequest&) -> asio::awaitable<HttpResponse> { co_return self->description(false); });
  router->add("POST", "/cds/control", [self](HttpRequest& r) -> asio::awaitable<HttpResponse> { co_return self->control(r, true); });
  router->add("POST", "/avt/control", [self](HttpRequest& r) -> asio::awaitable<HttpResponse> { co_return self->control(r, false); });
  impl_->rt.start();
  net::HttpServerOptions o;
  o.name = "fake-upnp";
  o.address = "127.0.0.1";
  o.port = 0;
  impl_->server = std::make_unique<net::HttpServer>(impl_->rt, o, router);
  impl_->server->start();
  impl_->ssdp = std::make_unique<asio::ip::udp::socket>(
      impl_->rt.loop(0), asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  asio::co_spawn(impl_->rt.loop(0), impl_->ssdp_loop(), asio::detached);
}

FakeUpnp::~FakeUpnp() {
  asio::post(impl_->rt.loop(0), [s = impl_->ssdp.get()] { s->close(); });
  impl_->server->stop_accepting();
  impl_->rt.stop();
  impl_->server.reset();
  impl_->ssdp.reset();
}

std::uint16_t FakeUpnp::ssdp_port() const { return impl_->ssdp->local_endpoint().port(); }
std::string FakeUpnp::url() const { return impl_->base(); }

void FakeUpnp::set_songs(std::string container_id, std::vector<FakeUpnpSong> songs) {
  std::lock_guard lk(impl_->mu);
  impl_->containers[std::move(container_id)] = std::move(songs);
}
void FakeUpnp::answer_ssdp(bool server, bool renderer) {
  std::lock_guard lk(impl_->mu);
  impl_->answer_server = server;
  impl_->answer_renderer = renderer;
}
void FakeUpnp::fail_next_action(std::string action, int code, std::string description) {
  std::lock_guard lk(impl_->mu);
  impl_->failures[std::move(action)] = {code, std::move(description)};
}
std::vector<FakeUpnpAction> FakeUpnp::actions() const {
  std::lock_guard lk(impl_->mu);
  return impl_->actions;
}
std::string FakeUpnp::transport_uri() const {
  std::lock_guard lk(impl_->mu);
  return impl_->uri;
}
std::string FakeUpnp::transport_state() const {
  std::lock_guard lk(impl_->mu);
  return impl_->state;
}
std::size_t FakeUpnp::searches() const {
  std::lock_guard lk(impl_->mu);
  return impl_->searches;
}

}  // namespace xz::test
