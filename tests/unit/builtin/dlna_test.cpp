// dlna_play_music against a fake home network on loopback: an SSDP responder and a
// media server and renderer speaking UPnP's SOAP (tests/support/fake_upnp).
#include <gtest/gtest.h>

#include "builtin_test_util.h"
#include "support/child_process.h"
#include "support/fake_upnp.h"
#include "tools/builtin/dlna_play_music.h"
#include "tools/builtin/upnp.h"

using namespace xz::tools::builtin;
using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::call_tool;
using xz::test::FakeSession;
using xz::test::FakeUpnp;
using xz::test::ToolLoop;
using xz::tools::Action;

namespace {

struct DlnaFixture : ::testing::Test {
  DlnaFixture() {
    upnp.set_songs("1$4", {{"两只老虎", "http://127.0.0.1:8200/MediaItems/21.mp3"},
                           {"Twinkle Twinkle Little Star", "http://127.0.0.1:8200/MediaItems/22.mp3"}});
  }
  DlnaSettings settings() {
    DlnaSettings s;
    s.ssdp_address = "127.0.0.1";
    s.ssdp_port = upnp.ssdp_port();
    s.discovery_time = 300ms;
    s.timeout = 2s;
    return s;
  }
  std::vector<std::string> avt_actions() {
    std::vector<std::string> out;
    for (const auto& a : upnp.actions())
      if (a.service == "avt") out.push_back(a.action);
    return out;
  }
  FakeUpnp upnp;
  ToolLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();
  FakeSession session{loop.loop().get_executor()};
};

}  // namespace

TEST(UpnpWire, SsdpAnswersAndDescriptions) {
  auto a = parse_ssdp_answer(
      "HTTP/1.1 200 OK\r\nCache-Control: max-age=1800\r\nlocation: http://192.168.1.5:8200/rootDesc.xml\r\n"
      "ST: urn:schemas-upnp-org:device:MediaServer:1\r\nUSN: uuid:x::urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->location, "http://192.168.1.5:8200/rootDesc.xml");
  EXPECT_EQ(a->st, kMediaServerType);
  EXPECT_FALSE(parse_ssdp_answer("NOTIFY * HTTP/1.1\r\nLOCATION: http://a/b\r\n\r\n"));
  EXPECT_FALSE(parse_ssdp_answer("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n"));
  EXPECT_FALSE(parse_ssdp_answer("HTTP/1.1 404 Not Found\r\nLOCATION: http://a/b\r\n\r\n"));
  EXPECT_FALSE(parse_ssdp_answer(""));
  EXPECT_EQ(ssdp_search_request("239.255.255.250:1900", kMediaRendererType, 1),
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
            "ST: urn:schemas-upnp-org:device:MediaRenderer:1\r\n\r\n");

  auto d = parse_device_description(
      "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><URLBase>http://10.0.0.2:49152/</URLBase>"
      "<device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:2</deviceType><friendlyName>TV</friendlyName>"
      "<deviceList><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:AVTransport:2</serviceType>"
      "<controlURL>upnp/control/AVTransport1</controlURL></service><service><serviceType>x</serviceType>"
      "<controlURL>javascript:alert(1)</controlURL></service></serviceList></device></deviceList></device></root>",
      "http://10.0.0.2:49152/description.xml");
  EXPECT_EQ(d.friendly_name, "TV");
  EXPECT_EQ(d.control_url("urn:schemas-upnp-org:service:AVTransport:"), "http://10.0.0.2:49152/upnp/control/AVTransport1");
  EXPECT_EQ(d.services.size(), 1u);  // the non-http control URL is dropped
  EXPECT_THROW(parse_device_description("<html/>", "http://a/"), UpnpError);
  EXPECT_THROW(parse_device_description("<root><device>", "http://a/"), UpnpError);
}

TEST(UpnpWire, SoapAnswersFaultsAndDidl) {
  const std::string body = soap_request(kAvTransportType, "SetAVTransportURI", {{"InstanceID", "0"}, {"CurrentURI", "http://a/b?x=1&y=2"}});
  EXPECT_NE(body.find("<u:SetAVTransportURI xmlns:u=\"urn:schemas-upnp-org:service:AVTransport:1\"><InstanceID>0</InstanceID>"
                      "<CurrentURI>http://a/b?x=1&amp;y=2</CurrentURI></u:SetAVTransportURI>"),
            std::string::npos)
      << body;
  auto out = parse_soap_answer(
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:BrowseResponse xmlns:u=\"x\">"
      "<Result>&lt;DIDL-Lite&gt;&lt;/DIDL-Lite&gt;</Result><NumberReturned>0</NumberReturned></u:BrowseResponse></s:Body></s:Envelope>",
      "Browse");
  EXPECT_EQ(out["Result"], "<DIDL-Lite></DIDL-Lite>");
  try {
    parse_soap_answer("<s:Envelope xmlns:s=\"e\"><s:Body><s:Fault><faultcode>s:Client</faultcode><detail><UPnPError>"
                      "<errorCode>701</errorCode><errorDescription>Transition not available</errorDescription></UPnPError>"
                      "</detail></s:Fault></s:Body></s:Envelope>",
                      "Play");
    FAIL() << "no fault";
  } catch (const UpnpError& e) {
    EXPECT_EQ(std::string(e.what()), "Play failed: UPnP error 701 Transition not available");
  }
  EXPECT_THROW(parse_soap_answer("<s:Envelope><s:Body><u:StopResponse/></s:Body></s:Envelope>", "Play"), UpnpError);
  auto items = parse_didl_items(
      "<DIDL-Lite xmlns:dc=\"d\"><container id=\"1\"><dc:title>Folder</dc:title></container><item><dc:title>A</dc:title>"
      "<res>rtsp://x</res><res protocolInfo=\"http-get:*:audio/mpeg:*\"> http://h/a.mp3 </res></item>"
      "<item><dc:title>No res</dc:title></item></DIDL-Lite>");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].title, "A");
  EXPECT_EQ(items[0].url, "http://h/a.mp3");
}

TEST_F(DlnaFixture, DiscoversBothDevicesBrowsesAndPlaysTheNamedSong) {
  DlnaPlayMusic tool(settings(), http);
  auto r = call_tool(loop, tool, {{"song_name", "两只老虎"}}, session);
  ASSERT_EQ(r.action, Action::response) << r.result << r.response;
  EXPECT_EQ(r.response, "正在播放两只老虎");
  EXPECT_EQ(r.result, "Living Room Speaker plays 两只老虎");
  EXPECT_EQ(upnp.transport_uri(), "http://127.0.0.1:8200/MediaItems/21.mp3");
  EXPECT_EQ(upnp.transport_state(), "PLAYING");
  EXPECT_EQ(upnp.searches(), 2u);  // one M-SEARCH per device type
  auto actions = upnp.actions();
  ASSERT_EQ(actions.size(), 4u);
  EXPECT_EQ(actions[0].action, "Browse");
  EXPECT_EQ(actions[0].args["ObjectID"], "1$4");
  EXPECT_EQ(actions[0].args["BrowseFlag"], "BrowseDirectChildren");
  EXPECT_EQ(avt_actions(), (std::vector<std::string>{"Stop", "SetAVTransportURI", "Play"}));
  EXPECT_NE(actions[2].args["CurrentURIMetaData"].find("<dc:title>两只老虎</dc:title>"), std::string::npos);
  EXPECT_EQ(actions[3].args["Speed"], "1");

  // Within refresh_time the devices and the song list are reused: no new search or Browse.
  auto again = call_tool(loop, tool, {{"song_name", "twinkle little star"}}, session);
  ASSERT_EQ(again.action, Action::response);
  EXPECT_EQ(upnp.transport_uri(), "http://127.0.0.1:8200/MediaItems/22.mp3");
  EXPECT_EQ(upnp.searches(), 2u);
  EXPECT_EQ(upnp.actions().size(), 7u);
}

TEST_F(DlnaFixture, DevicesArePickedByNameAndAnUnknownSongPlaysARandomOne) {
  auto s = settings();
  s.dms_name = "Fake Music Server";
  s.dmr_name = "Kitchen Radio";  // no such renderer
  DlnaPlayMusic wrong(s, http);
  auto r = call_tool(loop, wrong, {{"song_name", "random"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_NE(r.response.find("DLNA player"), std::string::npos);
  EXPECT_EQ(r.result, "no DLNA renderer named 'Kitchen Radio' answered");

  s.dmr_name = "living room speaker";
  DlnaPlayMusic right(s, http);
  auto any = call_tool(loop, right, {{"song_name", "Bohemian Rhapsody"}}, session);
  ASSERT_EQ(any.action, Action::response) << any.result;
  EXPECT_EQ(any.result.rfind("no song matches 'Bohemian Rhapsody', a random one plays; ", 0), 0u) << any.result;
  EXPECT_EQ(upnp.transport_state(), "PLAYING");
}

TEST_F(DlnaFixture, MissingDevicesAndFailingActionsAreSpokenErrors) {
  upnp.answer_ssdp(false, true);
  DlnaPlayMusic tool(settings(), http);
  const auto start = std::chrono::steady_clock::now();
  auto none = call_tool(loop, tool, {{"song_name", "random"}}, session);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // discovery is bounded
  EXPECT_EQ(none.action, Action::error);
  EXPECT_NE(none.response.find("music server"), std::string::npos);

  upnp.answer_ssdp(true, true);  // found next time: a failed find is not cached
  upnp.fail_next_action("Play", 704, "Playing failed");
  auto failed = call_tool(loop, tool, {{"song_name", "两只老虎"}}, session);
  EXPECT_EQ(failed.action, Action::error);
  EXPECT_NE(failed.result.find("UPnP error 704 Playing failed"), std::string::npos) << failed.result;

  upnp.set_songs("1$4", {});
  DlnaPlayMusic empty(settings(), http);
  auto nothing = call_tool(loop, empty, {{"song_name", "random"}}, session);
  EXPECT_EQ(nothing.action, Action::not_found);
}

TEST_F(DlnaFixture, NobodyAnsweringIsASpokenErrorWithinTheDiscoveryTime) {
  auto s = settings();
  s.ssdp_port = xz::test::free_port();  // nothing listens there
  DlnaPlayMusic tool(s, http);
  auto r = call_tool(loop, tool, {{"song_name", "random"}}, session);
  EXPECT_EQ(r.action, Action::error);
  EXPECT_FALSE(r.response.empty());
  EXPECT_EQ(r.result, "no DLNA media server answered");
}
