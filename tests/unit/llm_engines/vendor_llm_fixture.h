#pragma once
// What every HTTP vendor engine's test needs: a runtime, the fake vendor APIs, running a
// chat on the loop, and the constructor's configuration error. A test class derives from
// VendorLlmTest<ItsEngine> and adds its config() (and an API key on the fake).
#include <string>

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "engine_test_util.h"
#include "providers/provider_context.h"
#include "support/fake_llm_apis.h"

namespace xz::test {

template <class Engine>
class VendorLlmTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }

  Answer run(Engine& llm, ChatRequest req) { return run_on(rt.loop(0), gather(llm, std::move(req))); }
  // "" when `cfg` makes an engine, else the constructor's message.
  std::string config_error(const providers::EngineConfig& cfg) {
    try {
      Engine llm(cfg, ctx);
    } catch (const providers::EngineConfigError& e) {
      return e.what();
    }
    return "";
  }

  core::Runtime rt{1, 1};
  providers::ProviderContext ctx{rt.pool()};
  FakeLlmApis fake;
};

}  // namespace xz::test
