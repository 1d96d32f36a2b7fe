#pragma once
// How a TTS engine's failure reads in the log line of the turn: the engine's name, then
// what went wrong, with the vendor's own words when it sent any.
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace xz::providers {

// The message in a vendor's error body: the usual JSON fields (error.message, message,
// msg, base_resp.status_msg, Response.Error, detail, Exception, ...), else the body's
// start; "(empty body)" for nothing.
std::string vendor_error_message(std::string_view body);

// Awaits `op`; a failure (any std::exception) is rethrown as std::runtime_error "<engine>: <what>"
// (cancellation, boost::system::system_error with operation_aborted, passes as is).
boost::asio::awaitable<void> with_engine_name(std::string engine, boost::asio::awaitable<void> op);

}  // namespace xz::providers
