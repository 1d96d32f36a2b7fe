# libFuzzer targets for every parser of outside bytes (tests/fuzz/<target>.cpp), in a
# build directory of their own configured with clang:
#   cmake -S . -B build/fuzz -G Ninja -DXZ_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
# (`make fuzz` does this). Only the parser sources below are compiled, instrumented with
# libFuzzer's coverage, ASan and UBSan; the server itself is not built here.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "XZ_FUZZ needs clang for libFuzzer: -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
endif()

find_package(Threads REQUIRED)
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS url)  # Beast and asio are headers only
find_package(OpenSSL REQUIRED)
find_package(yaml-cpp REQUIRED)  # core/config.cpp, which the manager answers' merges need
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(MPG123 REQUIRED IMPORTED_TARGET libmpg123)
pkg_check_modules(FLAC REQUIRED IMPORTED_TARGET flac)
pkg_check_modules(FAAD REQUIRED IMPORTED_TARGET faad2)
find_package(ZLIB REQUIRED)  # tools/builtin/gzip_body.cpp

set(XZ_FUZZ_SANITIZE address,undefined)
# -fno-sanitize=function: clang 14 cannot emit UBSan's function-type prologue for
# coroutine frames ("Cannot represent a difference across sections").
# -UNDEBUG: asserts stay on whatever the build type.
set(XZ_FUZZ_FLAGS -fsanitize=fuzzer-no-link,${XZ_FUZZ_SANITIZE} -fno-sanitize=function -UNDEBUG
    -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)

# What the targets parse, and what that code needs (the LLM engines hold their codecs, so
# their files and the HTTP client they use come along; the targets open no socket or file).
set(XZ_FUZZ_SOURCES
  agents/manager_wire.cpp core/config.cpp core/config_keys.cpp core/config_schema.cpp core/log.cpp
  audio/ogg_opus_reader.cpp audio/opus_decoder.cpp audio/resampler.cpp audio/wav.cpp audio/wav_stream_reader.cpp
  audio/audio_stream_decoder.cpp audio/id3v2_skipper.cpp audio/aac_stream_decoder.cpp audio/flac_stream_decoder.cpp
  audio/mp3_stream_decoder.cpp audio/ogg_opus_stream_decoder.cpp audio/pcm_stream_decoder.cpp audio/wav_stream_decoder.cpp
  http/ota_request.cpp http/vision_upload.cpp http/cookie.cpp http/admin_auth.cpp http/console_sessions.cpp
  core/ip_ranges.cpp core/web_origin.cpp
  memory/mem0_wire.cpp memory/memory_prompt.cpp
  net/client_address.cpp net/http_client.cpp net/origin_policy.cpp net/http_types.cpp net/sse_parser.cpp net/tls_client.cpp net/ws_frame.cpp net/ws_handshake.cpp
  protocol/audio_framing.cpp protocol/cipher.cpp protocol/mqtt_packet.cpp protocol/device_messages.cpp protocol/device_token.cpp
  pipeline/context_answer.cpp pipeline/ip_answer.cpp pipeline/prompt_template.cpp
  protocol/encoding.cpp protocol/json_text.cpp protocol/mcp_jsonrpc.cpp protocol/multipart.cpp
  protocol/python_json.cpp protocol/udp_packet.cpp protocol/udp_sequence_window.cpp protocol/uplink_opus_check.cpp
  protocol/vision_token.cpp session/identity.cpp
  providers/llm/alibl_llm.cpp providers/llm/conversation_wire.cpp providers/llm/coze_llm.cpp providers/llm/fastgpt_llm.cpp
  providers/llm/llm_config_wire.cpp providers/llm/ndjson_stream.cpp providers/llm/think_filter.cpp providers/llm/tool_call_text.cpp
  providers/llm/utf8_stream.cpp
  providers/tts/aliyun_wire.cpp providers/tts/dashscope_wire.cpp providers/tts/huoshan_wire.cpp
  providers/tts/python_dumps.cpp providers/tts/xunfei_wire.cpp protocol/percent_encoding.cpp
  tools/builtin/html_text.cpp tools/builtin/rss_feed.cpp tools/builtin/xml_document.cpp
  tools/builtin/geocoding.cpp tools/builtin/get_indian_news_api.cpp tools/builtin/get_location.cpp
  tools/builtin/get_place_info.cpp tools/builtin/gzip_body.cpp tools/builtin/html_tree.cpp
  tools/builtin/news_article.cpp tools/builtin/plugin_config.cpp tools/builtin/qweather.cpp
  tools/builtin/upnp.cpp tools/builtin/web_api.cpp
  tools/iot_tools.cpp tools/mcp/line_splitter.cpp tools/mcp/mcp_session.cpp tools/mcp/mcp_tool_result.cpp
  tools/mcp/mcp_transport.cpp
  providers/tts/edge_wire.cpp providers/tts/engine_error.cpp providers/tts/json_audio_body.cpp
  providers/tts/minimax_stream.cpp providers/tts/tts_vendor_json.cpp
  providers/asr/onnx_metadata.cpp providers/asr/sense_voice_tags.cpp providers/asr/sauc_wire.cpp
  providers/asr/xunfei_iat_wire.cpp providers/asr/paraformer_wire.cpp providers/asr/asr_answers.cpp
  providers/asr/doubao_v2_wire.cpp providers/tts/sherpa_tts_checks.cpp providers/tts/aliyun_answer_body.cpp)
list(TRANSFORM XZ_FUZZ_SOURCES PREPEND "${CMAKE_SOURCE_DIR}/src/")

add_library(xz_fuzz_parsers STATIC ${XZ_FUZZ_SOURCES})
target_compile_options(xz_fuzz_parsers PUBLIC ${XZ_FUZZ_FLAGS} PRIVATE -Wall -Wextra
  "-ffile-prefix-map=${CMAKE_SOURCE_DIR}/=")
target_include_directories(xz_fuzz_parsers PUBLIC "${CMAKE_SOURCE_DIR}/src")
target_compile_definitions(xz_fuzz_parsers PUBLIC BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
target_link_libraries(xz_fuzz_parsers PUBLIC Boost::headers Boost::url OpenSSL::SSL OpenSSL::Crypto yaml-cpp spdlog::spdlog
  fmt::fmt nlohmann_json::nlohmann_json PkgConfig::OPUS PkgConfig::SOXR PkgConfig::MPG123 PkgConfig::FLAC PkgConfig::FAAD
  ZLIB::ZLIB Threads::Threads)

# tests/fuzz/<target>.cpp -> bin/fuzz_<target>; its seed corpus is tests/fuzz/corpus/<target>/
# and its dictionary, when it has one, tests/fuzz/<target>.dict.
file(GLOB XZ_FUZZ_TARGET_SOURCES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/fuzz/*.cpp")
foreach(src ${XZ_FUZZ_TARGET_SOURCES})
  get_filename_component(name "${src}" NAME_WE)
  add_executable(fuzz_${name} "${src}")
  target_compile_options(fuzz_${name} PRIVATE -Wall -Wextra "-ffile-prefix-map=${CMAKE_SOURCE_DIR}/=")
  target_include_directories(fuzz_${name} PRIVATE "${CMAKE_SOURCE_DIR}/tests")
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,${XZ_FUZZ_SANITIZE})
  target_link_libraries(fuzz_${name} PRIVATE xz_fuzz_parsers)
  set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")
endforeach()
