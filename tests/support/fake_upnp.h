#pragma once
// A local, protocol-faithful fake of a home's DLNA devices, as dlna_play_music finds and
// drives them: an SSDP responder on 127.0.0.1 (UDP, ephemeral port) answering M-SEARCH
// for MediaServer:1 and MediaRenderer:1 with unicast "HTTP/1.1 200 OK" + LOCATION (and,
// first, a NOTIFY and a garbage datagram, as busy networks do), and one HTTP server
// with both devices: descriptions (GET /server.xml, /renderer.xml), ContentDirectory
// (POST /cds/control: Browse of the songs' container -> DIDL-Lite Result) and AVTransport
// (POST /avt/control: Stop, SetAVTransportURI, Play, GetTransportInfo; Stop while
// stopped is UPnP error 701 as real renderers answer). Every SOAP action is recorded.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xz::test {

struct FakeUpnpSong {
  std::string title, url;
};

struct FakeUpnpAction {
  std::string service;  // "cds" or "avt"
  std::string action;
  std::map<std::string, std::string> args;
};

class FakeUpnp {
 public:
  FakeUpnp(std::string server_name = "Fake Music Server", std::string renderer_name = "Living Room Speaker");
  ~FakeUpnp();
  FakeUpnp(const FakeUpnp&) = delete;
  FakeUpnp& operator=(const FakeUpnp&) = delete;

  std::uint16_t ssdp_port() const;
  std::string url() const;  // the devices' HTTP server, "http://127.0.0.1:PORT"

  void set_songs(std::string container_id, std::vector<FakeUpnpSong> songs);  // default container "1$4"
  // Which devices answer M-SEARCH (both by default).
  void answer_ssdp(bool server, bool renderer);
  // The next call of `action` answers a SOAP fault with this UPnP error.
  void fail_next_action(std::string action, int code, std::string description);

  std::vector<FakeUpnpAction> actions() const;
  std::string transport_uri() const;
  std::string transport_state() const;  // "NO_MEDIA_PRESENT", "STOPPED", "PLAYING"
  std::size_t searches() const;         // M-SEARCH datagrams received

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
