#include "history/history_settings.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using xz::core::Config;
using xz::history::HistorySettings;
using nlohmann::json;

TEST(HistorySettings, DefaultsWithoutAnyKeys) {
  std::string warning;
  auto s = HistorySettings::from_config(Config(json::object()), &warning);
  EXPECT_TRUE(s.enabled);
  EXPECT_FALSE(s.store_audio);
  EXPECT_EQ(s.queue_size, 1000u);
  EXPECT_EQ(s.max_turns_per_device, 1000u);
  EXPECT_FALSE(s.uploads());
  EXPECT_FALSE(s.collects_audio());
  EXPECT_EQ(s.manager.timeout, 30s);
  EXPECT_EQ(s.manager.max_retries, 6);
  EXPECT_EQ(s.manager.retry_delay, 10s);
  EXPECT_TRUE(warning.empty());
}

TEST(HistorySettings, ReadsChatHistoryAndTheReferencesManagerKeys) {
  auto cfg = Config(json::parse(R"({
    "chat_history": {"enabled": true, "store_audio": false, "queue_size": 20, "max_turns_per_device": 50,
                     "upload": true, "upload_audio": true, "drain_upload_grace": 2.5},
    "manager-api": {"url": "http://127.0.0.1:8002/xiaozhi/", "secret": "abc", "timeout": 5, "max_retries": 2,
                    "retry_delay": 0.5}})"));
  auto s = HistorySettings::from_config(cfg);
  EXPECT_EQ(s.queue_size, 20u);
  EXPECT_EQ(s.max_turns_per_device, 50u);
  EXPECT_EQ(s.manager.url, "http://127.0.0.1:8002/xiaozhi") << "a trailing slash is dropped";
  EXPECT_EQ(s.manager.secret, "abc");
  EXPECT_EQ(s.manager.timeout, 5s);
  EXPECT_EQ(s.manager.max_retries, 2);
  EXPECT_EQ(s.manager.retry_delay, 500ms);
  EXPECT_EQ(s.drain_upload_grace, 2500ms);
  EXPECT_TRUE(s.uploads());
  EXPECT_TRUE(s.collects_audio()) << "audio is needed for the upload";
}

TEST(HistorySettings, PlaceholderUrlMeansNoUploadAndSaysWhy) {
  std::string warning;
  auto s = HistorySettings::from_config(Config(json::parse(R"({"manager-api": {"url": "你的manager-api地址"}})")),
                                        &warning);
  EXPECT_FALSE(s.uploads());
  EXPECT_NE(warning.find("manager-api.url"), std::string::npos) << warning;
}

TEST(HistorySettings, BadNumbersFallBackToDefaults) {
  auto s = HistorySettings::from_config(
      Config(json::parse(R"({"chat_history": {"queue_size": -5, "max_turns_per_device": "lots"}})")));
  EXPECT_EQ(s.queue_size, 1000u);
  EXPECT_EQ(s.max_turns_per_device, 1000u);
}
