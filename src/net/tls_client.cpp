#include "net/tls_client.h"

#include <stdexcept>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>

namespace xz::net {

namespace ssl = boost::asio::ssl;

ssl::context make_tls_client_context(const std::string& ca_file, const std::string& ca_pem, bool verify_peer) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  try {
    if (!ca_file.empty()) ctx.load_verify_file(ca_file);
    if (!ca_pem.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca_pem));
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot load the extra CA certificate: " + std::string(e.what()));
  }
  ctx.set_verify_mode(verify_peer ? ssl::verify_peer : ssl::verify_none);
  return ctx;
}

bool set_tls_server_name(SSL* ssl, const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (!ec) return true;  // no SNI for an IP address (RFC 6066)
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
}

}  // namespace xz::net
