#pragma once
// What every TLS client connection of ours sets up the same way: the trust store (the
// system's, plus an optional extra CA), and per connection the server name (SNI) and the
// check that the certificate names the host we dialled.
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace xz::net {

// ca_file / ca_pem: extra trusted CAs (a PEM file, or PEM text), added to the system
// store. verify_peer false disables certificate checks: for tests only. Throws
// std::runtime_error if an extra CA cannot be loaded.
boost::asio::ssl::context make_tls_client_context(const std::string& ca_file, const std::string& ca_pem,
                                                  bool verify_peer);

// SNI when `host` is a name (not an IP literal). False if OpenSSL refused it.
bool set_tls_server_name(SSL* ssl, const std::string& host);

// Names the peer of one connection: SNI, and with verify_peer the host-name check.
// TlsStream: asio's ssl::stream or Beast's ssl_stream.
template <class TlsStream>
bool name_tls_peer(TlsStream& s, const std::string& host, bool verify_peer) {
  if (!set_tls_server_name(s.native_handle(), host)) return false;
  if (verify_peer) s.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  return true;
}

}  // namespace xz::net
