// Firmware images in data/bin: naming, version comparison, the cached catalog, and
// the download endpoint's refusal of anything outside data/bin.
#include <filesystem>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/runtime.h"
#include "http/firmware_catalog.h"
#include "http/firmware_download.h"
#include "ota_fixture.h"

using namespace xz::http;
using xz::test::http_request;
using xz::test::OtaServer;

TEST(FirmwareName, ReferencePatternSplitsModelAndVersion) {
  auto a = parse_firmware_file_name("bread-compact-wifi_2.4.3.bin");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->model, "bread-compact-wifi");
  EXPECT_EQ(a->version, "2.4.3");
  auto b = parse_firmware_file_name("esp_box_3_1.7.0.bin");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->model, "esp_box") << "the model ends at the first _<digit>";
  EXPECT_EQ(b->version, "3_1.7.0");
  EXPECT_FALSE(parse_firmware_file_name("nover.bin"));
  EXPECT_FALSE(parse_firmware_file_name("board_v1.2.bin")) << "versions start with a digit";
  EXPECT_FALSE(parse_firmware_file_name("board_1.2.bin.txt"));
  EXPECT_FALSE(parse_firmware_file_name("_1.2.bin"));
}

TEST(FirmwareVersion, NumericDottedComparison) {
  EXPECT_GT(compare_versions("2.10.0", "2.9.9"), 0) << "numbers, not strings";
  EXPECT_LT(compare_versions("1.6.9", "1.7"), 0);
  EXPECT_EQ(compare_versions("1.2", "1.2.0"), 0);
  EXPECT_GT(compare_versions("1.2.1", "1.2"), 0);
  EXPECT_EQ(compare_versions("3-rc", "3"), 0);
  EXPECT_TRUE(is_numeric_version("2.4.2"));
  EXPECT_TRUE(is_numeric_version("10"));
  EXPECT_FALSE(is_numeric_version("2.4.x"));
  EXPECT_FALSE(is_numeric_version("2..4"));
  EXPECT_FALSE(is_numeric_version("2.4."));
  EXPECT_FALSE(is_numeric_version(""));
}

TEST(FirmwareCatalogIndex, NewestOfferableImagePerModel) {
  std::vector<std::string> names{"a_1.0.0.bin", "a_1.10.0.bin", "a_1.9.0.bin", "a_2.0.0-beta.bin",
                                 "b_0.1.bin",   "readme.txt",   "c_x.bin"};
  auto idx = newest_by_model(names);
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx["a"].version, "1.10.0") << "2.0.0-beta is not something the firmware can compare";
  EXPECT_EQ(idx["a"].file_name, "a_1.10.0.bin");
  EXPECT_EQ(idx["b"].version, "0.1");
}

namespace {

struct CatalogFixture {
  std::string dir = xz::test::fresh_dir("catalog");
  xz::core::Runtime rt{1, 2};
  CatalogFixture() {
    rt.start();
    std::filesystem::create_directories(dir + "/bin");
  }
  ~CatalogFixture() {
    rt.stop();
    std::filesystem::remove_all(dir);
  }
  void put(const std::string& name) { std::ofstream(dir + "/bin/" + name) << "x"; }
  std::optional<FirmwareImage> ask(FirmwareCatalog& c, const std::string& model, const std::string& version) {
    return boost::asio::co_spawn(rt.loop(0), c.newer_than(model, version), boost::asio::use_future).get();
  }
};

}  // namespace

TEST(FirmwareCatalogCache, ADirectoryScanIsReusedWithinTheTtl) {
  CatalogFixture f;
  f.put("m_1.1.0.bin");
  FirmwareCatalog cached(f.dir + "/bin", std::chrono::hours(1), f.rt.pool());
  FirmwareCatalog uncached(f.dir + "/bin", std::chrono::seconds(0), f.rt.pool());
  EXPECT_EQ(f.ask(cached, "m", "1.0.0")->version, "1.1.0");
  EXPECT_EQ(f.ask(uncached, "m", "1.0.0")->version, "1.1.0");
  f.put("m_1.2.0.bin");
  EXPECT_EQ(f.ask(cached, "m", "1.0.0")->version, "1.1.0") << "within the TTL the old listing is used";
  EXPECT_EQ(f.ask(uncached, "m", "1.0.0")->version, "1.2.0");
  EXPECT_FALSE(f.ask(uncached, "m", "1.2.0"));
  EXPECT_FALSE(f.ask(uncached, "other", "0.0.1"));
  EXPECT_FALSE(f.ask(uncached, "", "0.0.1"));
}

TEST(FirmwareCatalogCache, MissingDirectoryOffersNothing) {
  xz::core::Runtime rt(1, 1);
  rt.start();
  FirmwareCatalog c("/nonexistent/xz/bin", std::chrono::seconds(0), rt.pool());
  auto r = boost::asio::co_spawn(rt.loop(0), c.newer_than("m", "1.0"), boost::asio::use_future).get();
  EXPECT_FALSE(r);
}

TEST(FirmwareDownloadCheck, OnlyPlainBinNamesInsideTheDirectory) {
  auto dir = xz::test::fresh_dir("dl");
  std::filesystem::create_directories(dir + "/bin");
  std::ofstream(dir + "/bin/ok_1.0.bin") << "image";
  std::ofstream(dir + "/secret.bin") << "outside";
  std::filesystem::create_symlink(dir + "/secret.bin", dir + "/bin/link_1.0.bin");
  std::filesystem::create_directories(dir + "/bin/sub_1.0.bin");

  auto ok = resolve_firmware_download(dir + "/bin", "ok_1.0.bin");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.path, std::filesystem::canonical(dir + "/bin/ok_1.0.bin").string());
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "../secret.bin").status, 400);
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "/etc/passwd").status, 400);
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "notes.txt").status, 400);
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "").status, 400);
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "link_1.0.bin").status, 403) << "symlink out of data/bin";
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "missing_1.0.bin").status, 404);
  EXPECT_EQ(resolve_firmware_download(dir + "/bin", "sub_1.0.bin").status, 404) << "directories are not images";
  EXPECT_EQ(resolve_firmware_download(dir + "/nobin", "ok_1.0.bin").status, 404);
  std::filesystem::remove_all(dir);
}

TEST(FirmwareDownload, TraversalAttemptsAreRefusedOverHttp) {
  OtaServer srv;
  srv.put_firmware("ok_1.0.bin", "image bytes");
  const std::string secret = "TOP-SECRET-CONTENT";
  std::ofstream(srv.data_dir() + "/secret.bin") << secret;
  std::ofstream(srv.data_dir() + "/secret.txt") << secret;
  std::filesystem::create_symlink(srv.data_dir() + "/secret.bin", srv.bin_dir() + "/link_1.0.bin");

  const char* attempts[] = {
      "/xiaozhi/ota/download/..%2Fsecret.bin",
      "/xiaozhi/ota/download/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "/xiaozhi/ota/download/%2e%2e%2fsecret.bin",
      "/xiaozhi/ota/download/..",
      "/xiaozhi/ota/download/%2Fetc%2Fpasswd",
      "/xiaozhi/ota/download//etc/passwd",
      "/xiaozhi/ota/download/%2F"
      "tmp%2Fsecret.bin",
      "/xiaozhi/ota/download/..%5Csecret.bin",
      "/xiaozhi/ota/download/secret.txt",
      "/xiaozhi/ota/download/link_1.0.bin",
      "/xiaozhi/ota/download/ok_1.0.bin%00.txt",
  };
  for (const char* target : attempts) {
    auto r = http_request(srv.port(), "GET", target);
    EXPECT_TRUE(r.status == 400 || r.status == 403 || r.status == 404) << target << " -> " << r.status;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
  EXPECT_EQ(http_request(srv.port(), "GET", "/xiaozhi/ota/download/link_1.0.bin").status, 403);
  EXPECT_EQ(http_request(srv.port(), "GET", "/xiaozhi/ota/download/secret.txt").status, 400);
  EXPECT_EQ(http_request(srv.port(), "GET", "/xiaozhi/ota/download/missing_1.0.bin").status, 404);

  auto ok = http_request(srv.port(), "GET", "/xiaozhi/ota/download/ok_1.0.bin");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "image bytes");
  EXPECT_EQ(ok.header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(ok.header("Content-Disposition").find("ok_1.0.bin"), std::string::npos);
}
