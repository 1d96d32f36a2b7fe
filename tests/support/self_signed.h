#pragma once
// A self-signed certificate for local TLS peers in tests: CN and SAN 127.0.0.1 (and
// localhost), valid from an hour ago for a day. The certificate is its own CA, so
// trusting cert_pem is enough.
#include <string>

namespace xz::test {

struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

SelfSigned make_self_signed();

}  // namespace xz::test
