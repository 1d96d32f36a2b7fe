#pragma once
// Shared by the engine tests: run a chat on a loop and collect what the sink saw, or
// barge in after some deltas.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_future.hpp>

#include "core/async.h"
#include "providers/llm/llm.h"

namespace xz::test {

using core::Clock;
using core::Task;
using providers::ChatDelta;
using providers::ChatMessage;
using providers::ChatRequest;
using providers::ToolCall;

inline ChatMessage message(std::string role, std::string content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

inline ChatRequest ask(const std::string& text) {
  ChatRequest r;
  r.messages = {message("system", "You are XiaoZhi."), message("user", text)};
  return r;
}

struct Answer {
  std::string text;
  std::vector<ToolCall> calls;  // merged by index, as the dialogue does
  std::vector<ChatDelta> deltas;
  std::vector<Clock::time_point> times;
  std::vector<std::thread::id> threads;  // where the sink ran
  std::string error;
};

inline Task<Answer> gather(providers::LlmEngine& llm, ChatRequest req) {
  Answer a;
  try {
    providers::ChatSink sink = [&](const ChatDelta& d) {
      a.times.push_back(Clock::now());
      a.threads.push_back(std::this_thread::get_id());
      a.deltas.push_back(d);
      a.text += d.text;
      for (const auto& tc : d.tool_calls) {
        if (a.calls.size() <= static_cast<std::size_t>(tc.index)) a.calls.resize(tc.index + 1);
        auto& call = a.calls[tc.index];
        if (!tc.id.empty()) call.id = tc.id;
        if (!tc.name.empty()) call.name = tc.name;
        call.arguments += tc.arguments;
      }
    };
    co_await llm.chat(std::move(req), std::move(sink));
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  co_return a;
}

struct BargeIn {
  Clock::time_point barge_in{}, returned{};
  std::size_t deltas = 0;
  bool chat_won = false;
  std::string error;
};

// Chats until the n-th delta, then "the user speaks": the chat is cancelled.
inline Task<BargeIn> barge_in_after(providers::LlmEngine& llm, ChatRequest req, std::size_t n) {
  using namespace boost::asio::experimental::awaitable_operators;
  BargeIn res;
  auto ex = co_await boost::asio::this_coro::executor;
  core::Event abort_turn(ex);
  providers::ChatSink sink = [&](const ChatDelta&) {
    if (++res.deltas == n) {
      res.barge_in = Clock::now();
      abort_turn.set();
    }
  };
  try {
    auto chat = llm.chat(std::move(req), std::move(sink));
    auto wait = abort_turn.wait();
    auto which = co_await (std::move(chat) || std::move(wait));
    res.chat_won = which.index() == 0;
  } catch (const std::exception& e) {
    res.error = e.what();
  }
  res.returned = Clock::now();
  co_return res;
}

template <class T>
T run_on(boost::asio::io_context& loop, Task<T> task) {
  return boost::asio::co_spawn(loop, std::move(task), boost::asio::use_future).get();
}

inline long long micros(Clock::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

}  // namespace xz::test
