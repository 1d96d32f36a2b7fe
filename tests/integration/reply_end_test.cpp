// However a reply ends (it finished, a tool failed, the LLM failed, the user talked over
// it, the device aborted it), the device gets exactly one tts stop for it and the chat
// history one row. The real server and xiaozhi-sim; the LLM is the local fake speaking
// the OpenAI wire protocol. Close-after-reply, a discarded speculation and TTS faults
// have their own tests (device_control, speculative_reply, tts_stream, http_tts_turn).
#include <algorithm>
#include <filesystem>

#include <unistd.h>

#include <gtest/gtest.h>

#include "history/history_repository.h"
#include "sim/sim_device.h"
#include "store/database.h"
#include "store/store.h"
#include "support/fake_openai.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::core::Task;
using xz::sim::ConnectOptions;
using xz::sim::DeviceProfile;
using xz::sim::SimDevice;
using xz::test::ClientLoop;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;
using xz::test::FakeToolCall;
using xz::test::TestServer;

namespace {

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("xz-reply-end-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

FakeReply text_reply(std::string text) {
  FakeReply r;
  r.tokens = {std::move(text)};
  return r;
}

// Seconds of speech, streamed slowly: still playing when the test cuts it.
FakeReply long_reply() {
  FakeReply r;
  for (int i = 0; i < 12; ++i) r.tokens.push_back("This is sentence number " + std::to_string(i) + " of a long answer. ");
  r.token_interval = 100ms;
  return r;
}

int tts_stops(const SimDevice& dev) {
  return static_cast<int>(std::count_if(dev.messages().begin(), dev.messages().end(), [](const auto& m) {
    return m.json.value("type", "") == "tts" && m.json.value("state", "") == "stop";
  }));
}

}  // namespace

TEST(ReplyEnd, EachWayAReplyEndsSendsOneTtsStopAndRecordsTheTurnOnce) {
  TempDir dir;
  DeviceProfile profile;
  profile.device_id = "aa:bb:cc:00:18:02";
  profile.client_id = "6f1c4a52-6a3b-4c1e-9f61-0a1b2c3d4e18";
  FakeOpenAi fake;
  fake.push_reply(text_reply("Hello to you."));  // 1: finished
  FakeReply tool;
  tool.tool_calls.push_back(FakeToolCall{"", "no_such_tool", "{}"});
  fake.push_reply(tool);  // 2: a tool that does not exist (its failure is the answer)
  FakeReply broken;
  broken.http_status = 500;
  fake.push_reply(broken);  // 3: the LLM fails
  fake.push_reply(long_reply());  // 4: talked over by typed text...
  fake.push_reply(text_reply("Okay."));  // ... which is answered
  fake.push_reply(long_reply());  // 5: aborted by the device

  int stops = 0;
  {
    TestServer server({{"LLM.OpenAILLM.base_url", fake.url()},
                       {"LLM.OpenAILLM.api_key", "sk-test"},
                       {"log.data_dir", dir.path.string()}});
    ClientLoop loop;
    stops = loop.run([&]() -> Task<int> {
      auto ex = co_await boost::asio::this_coro::executor;
      SimDevice dev(ex, profile);
      ConnectOptions o;
      o.url = server.ws_url();
      co_await dev.connect(o);
      EXPECT_TRUE(co_await dev.wait_hello());

      dev.listen_detect("hello there");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "finished reply";
      dev.listen_detect("use the tool");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "reply after a failed tool";
      dev.listen_detect("and now?");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "reply after an LLM failure";

      dev.listen_detect("tell me a long story");
      EXPECT_TRUE(co_await dev.wait_type("tts", "sentence_start", 20s));
      dev.listen_detect("never mind");
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "the talked-over reply";
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "the answer to what interrupted it";

      dev.listen_detect("another long story");
      EXPECT_TRUE(co_await dev.wait_type("tts", "sentence_start", 20s));
      dev.abort();
      EXPECT_TRUE(co_await dev.wait_type("tts", "stop", 20s)) << "the aborted reply";
      // Nothing more may come: a second stop for any of them would arrive by now.
      EXPECT_FALSE(co_await dev.wait_type("tts", "stop", 1500ms)) << "a reply ended twice";
      int n = tts_stops(dev);
      dev.drop_connection();
      co_return n;
    }());
  }  // the server's shutdown writes the history out
  EXPECT_EQ(stops, 6);

  xz::store::Database db(xz::store::database_path(dir.path.string()));
  auto turns = xz::history::recent_turns(db, profile.device_id, 20);
  ASSERT_EQ(turns.size(), 6u);
  const auto interrupted =
      std::count_if(turns.begin(), turns.end(), [](const auto& t) { return t.turn.interrupted; });
  EXPECT_EQ(interrupted, 2) << "the talked-over and the aborted reply";
}
