// {{local_address}}: pconline's GBK answers read, private addresses never looked up, and
// lookups bounded (timeout) and cached per address in a bounded cache.
#include <gtest/gtest.h>

#include "core/async.h"
#include "net/http_client.h"
#include "pipeline/ip_location.h"
#include "support/fake_http_apis.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace xz::pipeline;
using xz::core::Task;
using xz::test::ClientLoop;
using xz::test::FakeHttpApis;

TEST(IpLocation, GbkIsDecodedAndBadBytesReplaced) {
  // "深圳市" in GBK.
  EXPECT_EQ(gbk_to_utf8("\xC9\xEE\xDB\xDA\xCA\xD0"), "深圳市");
  EXPECT_EQ(gbk_to_utf8("ip \xB9\xE3\xB6\xAB"), "ip 广东");
  EXPECT_EQ(gbk_to_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(gbk_to_utf8("cut \xC9"), "cut \xEF\xBF\xBD");
}

TEST(IpLocation, CityOfJsonAndJsonpAnswers) {
  const std::string json_gbk = "\r\n\r\n{\"ip\":\"1.2.3.4\",\"pro\":\"\xB9\xE3\xB6\xAB\xCA\xA1\",\"city\":\"\xC9\xEE\xDB\xDA\xCA\xD0\",\"err\":\"\"}\r\n";
  EXPECT_EQ(city_from_ip_answer(json_gbk, "gbk"), "深圳市");
  EXPECT_EQ(city_from_ip_answer(json_gbk, ""), "深圳市") << "GBK unless the answer says otherwise";
  EXPECT_EQ(city_from_ip_answer("if(window.IPCallBack) {IPCallBack({\"city\":\"Hangzhou\"});}", "gbk"), "Hangzhou");
  EXPECT_EQ(city_from_ip_answer(R"({"city":"杭州市"})", "UTF-8"), "杭州市");
  EXPECT_EQ(city_from_ip_answer(R"({"pro":"","city":"","addr":" 美国"})", "utf-8"), "");
  EXPECT_EQ(city_from_ip_answer("<html>503</html>", "gbk"), "");
  EXPECT_EQ(city_from_ip_answer(R"({"city":5})", "gbk"), "");
  EXPECT_EQ(city_from_ip_answer("", "gbk"), "");
}

TEST(IpLocation, OnlyPublicAddressesAreLookedUp) {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.20", "169.254.3.3", "100.64.0.1",
                         "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:192.168.1.2", "localhost", "", "nonsense"})
    EXPECT_FALSE(is_public_ip(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "114.114.114.114", "2001:4860:4860::8888", "::ffff:8.8.4.4"})
    EXPECT_TRUE(is_public_ip(ip)) << ip;
}

namespace {

struct LocatorFixture : ::testing::Test {
  FakeHttpApis fake;
  ClientLoop loop;
  std::shared_ptr<xz::net::HttpClient> http = std::make_shared<xz::net::HttpClient>();

  IpLocationSettings settings() {
    IpLocationSettings s;
    s.url = fake.url() + "/ipJson.jsp?json=true&ip={ip}";
    return s;
  }
  std::string locate(IpLocator& l, std::string ip, std::string* error = nullptr) {
    return loop.run([&]() -> Task<std::string> { co_return co_await l.locate(ip, error); }());
  }
};

}  // namespace

TEST_F(LocatorFixture, AsksWithTheAddressAndReadsTheGbkAnswer) {
  fake.add_ip_location("113.87.1.1", "广东省", "深圳市");
  IpLocator locator(settings(), http);
  EXPECT_EQ(locate(locator, "113.87.1.1"), "深圳市");
  auto call = fake.last_call();
  EXPECT_EQ(call.path, "/ipJson.jsp");
  EXPECT_EQ(call.query["ip"], "113.87.1.1");
  EXPECT_EQ(call.query["json"], "true");
  // JSONP, as the URL without json=true answers.
  IpLocationSettings s = settings();
  s.url = fake.url() + "/ipJson.jsp?ip={ip}";
  IpLocator jsonp(s, http);
  EXPECT_EQ(locate(jsonp, "113.87.1.1"), "深圳市");
  EXPECT_EQ(locate(jsonp, "8.8.8.8"), "") << "a foreign address has no city";
}

TEST_F(LocatorFixture, PrivateAddressesCostNoRequest) {
  IpLocator locator(settings(), http);
  EXPECT_EQ(locate(locator, "192.168.1.5"), "");
  EXPECT_EQ(locate(locator, "127.0.0.1"), "");
  EXPECT_EQ(fake.call_count(), 0u);
  EXPECT_EQ(locator.cached("10.0.0.1"), std::optional<std::string>(""));
}

TEST_F(LocatorFixture, EachAddressIsAskedOnceAndTheCacheIsBounded) {
  fake.add_ip_location("1.1.1.1", "北京市", "北京市");
  fake.add_ip_location("2.2.2.2", "浙江省", "杭州市");
  fake.add_ip_location("3.3.3.3", "四川省", "成都市");
  IpLocationSettings s = settings();
  s.cache_entries = 2;
  IpLocator locator(s, http);
  EXPECT_EQ(locate(locator, "1.1.1.1"), "北京市");
  EXPECT_EQ(locate(locator, "1.1.1.1"), "北京市");
  EXPECT_EQ(fake.call_count(), 1u) << "the second answer comes from the cache";
  EXPECT_EQ(locator.cached("1.1.1.1"), std::optional<std::string>("北京市"));
  EXPECT_EQ(locate(locator, "2.2.2.2"), "杭州市");
  EXPECT_EQ(locate(locator, "3.3.3.3"), "成都市");
  EXPECT_EQ(locator.cached("1.1.1.1"), std::nullopt) << "the least recently used address was dropped";
  EXPECT_EQ(locator.cached("3.3.3.3"), std::optional<std::string>("成都市"));
  EXPECT_EQ(locate(locator, "1.1.1.1"), "北京市");
  EXPECT_EQ(fake.call_count(), 4u);
}

TEST_F(LocatorFixture, ASlowOrFailingServiceGivesNothingWithinTheTimeout) {
  fake.add_ip_location("1.1.1.1", "北京市", "北京市");
  IpLocationSettings s = settings();
  s.timeout = 300ms;
  IpLocator locator(s, http);
  fake.delay_next(3s);
  std::string error;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(locate(locator, "1.1.1.1", &error), "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  // A failure is remembered for a while: no request per connection to a dead service.
  EXPECT_EQ(locate(locator, "1.1.1.1"), "");
  EXPECT_EQ(fake.call_count(), 1u);

  IpLocator other(settings(), http);
  fake.fail_next(502, "bad gateway");
  EXPECT_EQ(locate(other, "1.1.1.1", &error), "");
  EXPECT_EQ(error, "HTTP 502");
}
