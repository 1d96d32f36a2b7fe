// The shared web API helpers: which links count as private.
#include "tools/builtin/web_api.h"

#include <gtest/gtest.h>

using xz::tools::builtin::private_host;

TEST(WebApi, PrivateHostsAreLiteralLocalAddresses) {
  for (const char* url : {"http://localhost/x", "http://LOCALHOST:8080/", "http://api.localhost/", "http://127.0.0.1/",
                          "http://127.8.9.10:80/a", "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/",
                          "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
                          "http://100.64.0.1/", "http://[::1]/", "http://[fc00::1]/", "http://[fd12:3456::1]/",
                          "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:192.168.0.1]/"})
    EXPECT_TRUE(private_host(url)) << url;
  for (const char* url : {"https://www.chinanews.com.cn/rss/society.xml", "http://8.8.8.8/", "http://172.32.0.1/",
                          "http://192.169.0.1/", "http://[2001:db8::1]/", "http://localhost.example.com/",
                          "http://11.0.0.1/", "not a url"})
    EXPECT_FALSE(private_host(url)) << url;
}

TEST(WebApi, CredentialsInQueriesAreRedactedForMessages) {
  using xz::tools::builtin::redact_url;
  EXPECT_EQ(redact_url("https://restapi.amap.com/v3/geocode/geo?key=abc123&address=%E8%A5%BF&output=json"),
            "https://restapi.amap.com/v3/geocode/geo?key=***&address=%E8%A5%BF&output=json");
  EXPECT_EQ(redact_url("https://h/geo/v2/city/lookup?location=x&KEY=s3cret&lang=zh#frag"),
            "https://h/geo/v2/city/lookup?location=x&KEY=***&lang=zh#frag");
  EXPECT_EQ(redact_url("http://h/a?apiKey=1&token=2&access_token=3&api_key=4&secret=5&keyword=6"),
            "http://h/a?apiKey=***&token=***&access_token=***&api_key=***&secret=***&keyword=6");
  EXPECT_EQ(redact_url("http://h/a"), "http://h/a");
  EXPECT_EQ(redact_url("http://h/a?key"), "http://h/a?key");
}
