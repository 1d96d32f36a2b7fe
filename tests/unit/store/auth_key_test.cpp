#include <sys/stat.h>

#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "store/auth_key.h"
#include "store_test_util.h"

using xz::store::load_or_create_auth_key;

TEST(AuthKey, GeneratedOnceAndKeptAcrossLoads) {
  xz::test::TempDir dir;
  const auto data = dir.file("data");
  auto first = load_or_create_auth_key(data, "");
  EXPECT_TRUE(std::regex_match(first, std::regex("[0-9a-f]{64}"))) << first;

  struct stat st {};
  ASSERT_EQ(::stat((data + "/.auth_key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the key file is private";

  EXPECT_EQ(load_or_create_auth_key(data, ""), first) << "a restart reuses the stored key";

  xz::test::TempDir other;
  EXPECT_NE(load_or_create_auth_key(other.str(), ""), first) << "keys are random per data directory";
}

TEST(AuthKey, ConfiguredKeyWinsAndIsNotWritten) {
  xz::test::TempDir dir;
  EXPECT_EQ(load_or_create_auth_key(dir.str(), "my-secret"), "my-secret");
  EXPECT_FALSE(std::filesystem::exists(dir.file(".auth_key")));
}

TEST(AuthKey, ReferencePlaceholderCountsAsUnset) {
  xz::test::TempDir dir;
  auto key = load_or_create_auth_key(dir.str(), "你的密钥");
  EXPECT_EQ(key.size(), 64u);
  EXPECT_TRUE(std::filesystem::exists(dir.file(".auth_key")));
}

TEST(AuthKey, AnExistingFileIsReadTrimmed) {
  xz::test::TempDir dir;
  std::ofstream(dir.file(".auth_key")) << "  hand-made-key \n";
  EXPECT_EQ(load_or_create_auth_key(dir.str(), ""), "hand-made-key");
}

TEST(AuthKey, UnwritableDirectoryIsAClearError) {
  try {
    load_or_create_auth_key("/proc/self/no-such-dir", "");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/self/no-such-dir"), std::string::npos) << e.what();
  }
}
