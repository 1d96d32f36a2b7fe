#pragma once
// What the ASR engine tests share: an entry of the reference's config.yaml (the
// fixture) as its user has it, and one utterance pushed through an engine in 60 ms
// frames, as the listen stage pushes it.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/runtime.h"
#include "providers/asr/asr.h"
#include "providers/provider_context.h"
#include "support/fake_asr_vendors.h"

namespace xz::test {

// ASR.<name> of tests/fixtures/reference_config.yaml.
nlohmann::json reference_asr_entry(const std::string& name);

// Opens a stream on the runtime's first loop, pushes `pcm` in 960-sample frames and
// finishes; rethrows the engine's exception. Gives up (throws) after `limit`.
providers::AsrResult transcribe(core::Runtime& rt, providers::AsrEngine& engine, const std::vector<std::int16_t>& pcm,
                                std::chrono::seconds limit = std::chrono::seconds(30));

// The cloud engine tests' fixture: a started runtime, a provider context on its pool
// and the vendors' fake; error_of() is what an engine throws for one short utterance.
class CloudAsrTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  std::string error_of(providers::AsrEngine& asr);

  core::Runtime rt{1, 1};
  providers::ProviderContext ctx{rt.pool()};
  FakeAsrVendors fake;
};

}  // namespace xz::test
