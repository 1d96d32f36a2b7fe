#pragma once
// A local, protocol-faithful fake of the mem0 platform API, as the reference's mem0ai
// engine (mem0's MemoryClient) uses it, on 127.0.0.1 (ephemeral port, own thread):
//
//   POST /v1/memories/          {"messages", "user_id", "output_format", "version"}
//                               -> {"results": [{"id", "memory", "event": "ADD"}]}
//   POST /v1/memories/search/   {"query", "user_id", "output_format"}
//                               -> {"results": [{"id", "memory", "user_id", "created_at",
//                                   "updated_at", "score", ...}]} (v1.1)
//
// Requests need "Authorization: Token <key>" (else 401 {"detail": ...}). Each user
// message added becomes one memory of that user_id; a search answers all of the user's
// memories. Every request is recorded; failures, delays and hangs can be injected.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xz::test {

struct FakeMem0Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json json;                         // null when the body is no JSON
};

class FakeMem0 {
 public:
  FakeMem0();
  ~FakeMem0();
  FakeMem0(const FakeMem0&) = delete;
  FakeMem0& operator=(const FakeMem0&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT"

  void set_api_key(std::string key);  // default "m0-test"
  // A memory of user_id, as mem0 would have extracted it ("2024-05-01T10:20:30.123456-07:00").
  void add_memory(std::string user_id, std::string memory, std::string updated_at);
  std::vector<std::string> memories(const std::string& user_id) const;

  // The next request gets this status and body ("" = mem0's {"detail": ...}).
  void fail_next(int status, std::string body = {});
  // The next request is read, then answered only when the client leaves.
  void hang_next();
  // Every answer waits this long first.
  void set_delay(std::chrono::milliseconds delay);

  std::vector<FakeMem0Request> requests() const;
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  std::size_t client_disconnects() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace xz::test
