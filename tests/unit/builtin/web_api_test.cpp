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
