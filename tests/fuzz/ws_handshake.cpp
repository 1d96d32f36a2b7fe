// The WebSocket opening handshake (net/ws_handshake): a device's upgrade request as the
// server reads it, and a server's 101 answer as ws_connect checks it.
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz_check.h"
#include "net/ws_handshake.h"

using namespace xz::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  HttpRequest req;
  req.method = in.ConsumeBool() ? "GET" : in.ConsumeRandomLengthString(8);
  for (const char* name : {"upgrade", "connection", "sec-websocket-version", "sec-websocket-key"})
    if (in.ConsumeBool()) req.headers[name] = in.ConsumeRandomLengthString(64);
  const std::string token = in.ConsumeRandomLengthString(16);
  const std::string list = in.ConsumeRandomLengthString(64);

  const bool upgrade = ws::is_upgrade_request(req);
  const ws::UpgradeAnswer a = ws::answer_upgrade(req, "fuzz");
  FUZZ_CHECK(a.status == 101 || a.status == 400 || a.status == 426);
  if (a.status == 101) {
    FUZZ_CHECK(upgrade && a.error.empty());
    const std::string accept = ws::accept_key(req.header("sec-websocket-key"));
    FUZZ_CHECK(a.response.find("Sec-WebSocket-Accept: " + accept + "\r\n") != std::string::npos);
    FUZZ_CHECK(a.response.ends_with("\r\n\r\n"));
    // The answer we write is one the client side accepts.
    ws::UpgradeResponse r{101, "websocket", "Upgrade", accept, ""};
    FUZZ_CHECK(!ws::check_upgrade_response(r, req.header("sec-websocket-key")));
  } else {
    FUZZ_CHECK(!a.error.empty() && a.response.empty());
  }
  (void)ws::header_has_token(list, token);

  ws::UpgradeResponse answer;
  answer.status = in.ConsumeIntegralInRange(99, 102);
  answer.upgrade = in.ConsumeRandomLengthString(32);
  answer.connection = in.ConsumeRandomLengthString(32);
  answer.accept = in.ConsumeRandomLengthString(40);
  answer.extensions = in.ConsumeRandomLengthString(16);
  (void)ws::check_upgrade_response(answer, in.ConsumeRemainingBytesAsString());
  return 0;
}
