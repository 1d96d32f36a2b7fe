#pragma once
// A connecting device's conversation from a profile source (the database's agents):
// the session starts with its agent's profile rather than the default one.
#include <memory>

#include "pipeline/conversation.h"
#include "pipeline/voice_profile.h"
#include "session/agent_resolver.h"

namespace xz::apps {

class SourceAgentResolver final : public session::AgentResolver {
 public:
  // `source` and `voice` must outlive the resolver.
  SourceAgentResolver(pipeline::ProfileSource& source, pipeline::VoiceServices& voice, pipeline::ProfilePtr fallback)
      : source_(source), voice_(voice), fallback_(std::move(fallback)) {}

  boost::asio::awaitable<session::DeviceAgent> resolve(session::DeviceIdentity who) override {
    pipeline::ProfileResult r = co_await source_.resolve(std::move(who));
    session::DeviceAgent agent;
    if (r.bind) {
      agent.bind = std::move(r.bind);
      co_return agent;
    }
    pipeline::ProfilePtr profile = r.profile ? r.profile : fallback_;
    agent.conversation = [voice = &voice_, profile](const session::ConversationContext& ctx) {
      return std::make_unique<pipeline::Conversation>(ctx, *voice, profile);
    };
    co_return agent;
  }

 private:
  pipeline::ProfileSource& source_;
  pipeline::VoiceServices& voice_;
  pipeline::ProfilePtr fallback_;
};

}  // namespace xz::apps
