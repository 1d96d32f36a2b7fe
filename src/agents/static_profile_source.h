#pragma once
// The config file's profile source: one profile, the default agent, for every device.
// Resolving costs nothing and the generation never changes.
#include <utility>

#include "pipeline/voice_profile.h"

namespace xz::agents {

class StaticProfileSource final : public pipeline::ProfileSource {
 public:
  explicit StaticProfileSource(pipeline::ProfilePtr profile) : profile_(std::move(profile)) {}
  boost::asio::awaitable<pipeline::ProfileResult> resolve(session::DeviceIdentity) override {
    co_return pipeline::ProfileResult{profile_, std::nullopt};
  }
  std::uint64_t generation() const override { return 0; }
  const pipeline::ProfilePtr& profile() const { return profile_; }

 private:
  pipeline::ProfilePtr profile_;
};

}  // namespace xz::agents
