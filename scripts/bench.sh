#!/usr/bin/env bash
# `make bench`: the performance report (the method is in bench/README.md).
#
#   scripts/bench.sh BUILD_DIR [--quick] [--only idle,idle-mqtt,single,single-nospec,pause,active,active-mqtt,active-nospec,barge-in,hello-rate,sentence-long,dual-stream,stream-asr]
#                    [--perf] [--keep] [--extra-config FILE]
#
# Starts the fake OpenAI providers (fixed latencies) and, for each scenario, a fresh
# xiaozhi-server (real Silero VAD and Opus; ASR, LLM and TTS `type: openai` pointing at
# the fake), drives it with `xiaozhi-sim load`, samples CPU and RSS of every process from
# /proc, and writes bench/results/<timestamp>.md and .json (every raw distribution).
# It builds nothing (make does) and it is a report, not a test: it never fails on a
# number, only when it cannot run at all.
#   --quick  everything scaled down (under 2 minutes); the targets' scale is not reached
#   --only   run only these scenarios (stream-asr's batch twin is active-nospec)
#   --perf   profile the server with perf in every scenario (results/<ts>-perf-<scenario>.txt)
#   --keep   keep the run directory (logs, samples, simulator reports)
#   --extra-config FILE  YAML appended to the generated server config (top-level keys
#            the script does not set, e.g. "opus_complexity: 0"): what-if runs
set -euo pipefail
export LC_ALL=C  # a dot in $EPOCHREALTIME, plain number formats

ROOT=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//'; }
[[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }
BUILD_DIR=${1:?usage: scripts/bench.sh BUILD_DIR [--quick] [--only LIST] [--perf] [--keep]}
shift
QUICK=0 KEEP=0 PERF=0 ONLY="" EXTRA_CONFIG=""
while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    --perf) PERF=1 ;;
    --only) ONLY=${2:?--only needs a list}; shift ;;
    --extra-config) EXTRA_CONFIG=${2:?--extra-config needs a file}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
BIN=$BUILD_DIR/bin
for b in xiaozhi-server xiaozhi-sim fake_openai_server fake_duplex_tts_server fake_stream_asr_server; do
  [[ -x $BIN/$b ]] || { echo "bench: $BIN/$b is missing (build it: make bench)" >&2; exit 1; }
done

# ------------------------------------------------------------------ scale
# Provider latencies (the fake): what the server waits on, subtracted from the
# measured reply time to give the server-added latency.
LLM_FIRST_TOKEN_MS=200   # then one word per token
LLM_TOKEN_MS=50          # 20 tokens/s
TTS_CHUNK_MS=100         # the first chunk is sent at once, the next every TTS_INTERVAL_MS
TTS_INTERVAL_MS=25       # 4x real time
VAD_SILENCE_MS=200       # VAD.SileroVAD.min_silence_duration_ms (the default)
SPECULATIVE_MS=100       # VAD.SileroVAD.speculative_silence_ms (the default); the *-nospec scenarios: 0
SINGLE_TURNS=5           # the single-device scenarios: one board, turns one after another
PROVIDER_DELAY_MS=$LLM_FIRST_TOKEN_MS   # ASR answers at once; TTS's first audio is immediate
THINK_MS=2000
if ((QUICK)); then
  IDLE_DEVICES=2000 IDLE_SIMS=1 IDLE_HOLD=4
  ACTIVE_DEVICES=40 ACTIVE_TURNS=2
  BARGE_DEVICES=40 BARGE_TURNS=2
  HELLO_DEVICES=2000 HELLO_HOLD=1
else
  IDLE_DEVICES=16000 IDLE_SIMS=2 IDLE_HOLD=15   # a process may open 20,000 files: two simulators
  ACTIVE_DEVICES=200 ACTIVE_TURNS=3
  BARGE_DEVICES=200 BARGE_TURNS=3
  HELLO_DEVICES=10000 HELLO_HOLD=2
fi
# Dual-stream TTS against the sentence path, on a reply whose first sentence is long and
# has no comma (the sentence path must wait for its full stop): both scenarios get it from
# a second fake LLM; dual-stream's vendor (Volcengine's protocol) starts speaking after
# DUPLEX_SPEAK_EVERY characters, its first audio at once, then 100 ms every 25 ms.
LONG_REPLY="The weather today is sunny and warm with a light breeze coming from the west for most of the afternoon. Take a hat with you."
DUPLEX_SPEAK_EVERY=16
# Streaming ASR (stream-asr): the Doubao sauc v3 fake sends a partial every few audio
# packets and the final text STREAM_ASR_FINALIZE_MS after the server's last audio.
STREAM_ASR_FINALIZE_MS=100
STREAM_ASR_PACKETS_PER_PARTIAL=3
IDLE_RATE=1000     # arrivals per second, all simulators together
ACTIVE_RATE=20
HELLO_RATE=1000

want() { [[ -z $ONLY || ,$ONLY, == *,$1,* ]]; }

# ------------------------------------------------------------------ processes
RUN=$(mktemp -d /tmp/xz-bench.XXXXXX)
OUT=$ROOT/bench/results
mkdir -p "$OUT"
TS=$(date -u +%Y%m%dT%H%M%SZ)
PIDS=()   # everything this script started, stopped by pid on exit
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if ((KEEP)); then echo "bench: run directory kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each process needs a descriptor per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

now_ms() { local t=$EPOCHREALTIME; echo $((${t%.*} * 1000 + 10#${t#*.} / 1000)); }

# "epoch_ms utime stime rss_kib" every 250 ms while the process lives.
sample_process() {
  local pid=$1 out=$2 stat k v rest rss f
  while kill -0 "$pid" 2>/dev/null; do
    if read -r stat <"/proc/$pid/stat" 2>/dev/null; then
      rest=${stat##*) }
      read -r -a f <<<"$rest"   # f[0] is field 3 (state): utime is field 14, stime 15
      v=0
      while read -r k rss _; do [[ $k == VmRSS: ]] && { v=$rss; break; }; done <"/proc/$pid/status" 2>/dev/null || true
      echo "$(now_ms) ${f[11]} ${f[12]} $v"
    fi
    sleep 0.25
  done >>"$out"
}

# "epoch_ms busy_ticks total_ticks" of the whole machine every 250 ms.
sample_system() {
  local cpu user nice sys idle iowait irq softirq steal _
  while :; do
    read -r cpu user nice sys idle iowait irq softirq steal _ </proc/stat
    local busy=$((user + nice + sys + irq + softirq + steal))
    echo "$(now_ms) $busy $((busy + idle + iowait))"
    sleep 0.25
  done >>"$1"
}

free_port() {
  local p
  for p in $(shuf -i 20000-30000 -n 100); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench: no free port found" >&2
  return 1
}

http_get() {  # port path
  timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
    cat <&3' _ "$1" "$2" 2>/dev/null
}

# ------------------------------------------------------------------ fake providers
"$BIN/fake_openai_server" --first-token-ms "$LLM_FIRST_TOKEN_MS" --token-ms "$LLM_TOKEN_MS" \
  --tts-chunk-ms "$TTS_CHUNK_MS" --tts-interval-ms "$TTS_INTERVAL_MS" \
  --url-file "$RUN/fake.url" >"$RUN/fake.log" 2>&1 &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
for _ in $(seq 1 100); do [[ -s $RUN/fake.url ]] && break; sleep 0.1; done
[[ -s $RUN/fake.url ]] || { echo "bench: the fake providers did not start:" >&2; cat "$RUN/fake.log" >&2; exit 1; }
FAKE=$(<"$RUN/fake.url")

# The long-sentence LLM and the dual-stream vendor, for the two comparison scenarios.
LONG_FAKE="" DUPLEX=""
LONG_FAKE_PID="" DUPLEX_PID=""
if want sentence-long || want dual-stream; then
  "$BIN/fake_openai_server" --first-token-ms "$LLM_FIRST_TOKEN_MS" --token-ms "$LLM_TOKEN_MS" \
    --tts-chunk-ms "$TTS_CHUNK_MS" --tts-interval-ms "$TTS_INTERVAL_MS" --reply "$LONG_REPLY" \
    --url-file "$RUN/fake-long.url" >"$RUN/fake-long.log" 2>&1 &
  LONG_FAKE_PID=$!
  "$BIN/fake_duplex_tts_server" --speak-every-chars "$DUPLEX_SPEAK_EVERY" --chunk-ms "$TTS_CHUNK_MS" \
    --interval-ms "$TTS_INTERVAL_MS" --url-file "$RUN/duplex.url" >"$RUN/duplex.log" 2>&1 &
  DUPLEX_PID=$!
  PIDS+=("$LONG_FAKE_PID" "$DUPLEX_PID")
  for _ in $(seq 1 100); do [[ -s $RUN/fake-long.url && -s $RUN/duplex.url ]] && break; sleep 0.1; done
  [[ -s $RUN/fake-long.url && -s $RUN/duplex.url ]] ||
    { echo "bench: the dual-stream fakes did not start:" >&2; cat "$RUN/fake-long.log" "$RUN/duplex.log" >&2; exit 1; }
  LONG_FAKE=$(<"$RUN/fake-long.url")
  DUPLEX=$(<"$RUN/duplex.url")
fi

# The streaming ASR vendor, for stream-asr.
STREAM_ASR="" STREAM_ASR_PID=""
if want stream-asr; then
  "$BIN/fake_stream_asr_server" --vendor doubao --finalize-ms "$STREAM_ASR_FINALIZE_MS" \
    --packets-per-partial "$STREAM_ASR_PACKETS_PER_PARTIAL" --url-file "$RUN/stream-asr.url" >"$RUN/stream-asr.log" 2>&1 &
  STREAM_ASR_PID=$!
  PIDS+=("$STREAM_ASR_PID")
  for _ in $(seq 1 100); do [[ -s $RUN/stream-asr.url ]] && break; sleep 0.1; done
  [[ -s $RUN/stream-asr.url ]] || { echo "bench: the streaming ASR fake did not start:" >&2; cat "$RUN/stream-asr.log" >&2; exit 1; }
  STREAM_ASR=$(<"$RUN/stream-asr.url")
fi

# ------------------------------------------------------------------ server
WS_PORT=$(free_port)
HTTP_PORT=$(free_port)
while [[ $HTTP_PORT == "$WS_PORT" ]]; do HTTP_PORT=$(free_port); done
cat >"$RUN/server.yaml" <<EOF
server:
  ip: 127.0.0.1
  port: $WS_PORT
  http_port: $HTTP_PORT
  websocket: ws://127.0.0.1:$WS_PORT/xiaozhi/v1/
  vision_explain: http://127.0.0.1:$HTTP_PORT/mcp/vision/explain
log:
  log_level: warn
  log_dir: $RUN/log
  console: false
  data_dir: $RUN/data
# Idle devices must stay idle: no goodbye turn during the run.
close_connection_no_voice_time: 3600
selected_module:
  VAD: SileroVAD
  ASR: OpenaiASR
  LLM: OpenAILLM
  TTS: OpenAITTS
VAD:
  SileroVAD:
    min_silence_duration_ms: $VAD_SILENCE_MS
    speculative_silence_ms: $SPECULATIVE_MS
ASR:
  OpenaiASR:
    base_url: $FAKE/audio/transcriptions
    api_key: bench
LLM:
  OpenAILLM:
    base_url: $FAKE
    api_key: bench
TTS:
  OpenAITTS:
    api_url: $FAKE/audio/speech
    api_key: bench
EOF
if [[ -n $EXTRA_CONFIG ]]; then
  [[ -r $EXTRA_CONFIG ]] || { echo "bench: cannot read $EXTRA_CONFIG" >&2; exit 2; }
  cat "$EXTRA_CONFIG" >>"$RUN/server.yaml"
fi
"$BIN/xiaozhi-server" --check-config -c "$RUN/server.yaml" >/dev/null 2>"$RUN/check-config.log" ||
  { echo "bench: the generated configuration is refused:" >&2; cat "$RUN/check-config.log" >&2; exit 1; }

# The *-mqtt scenarios: the same server serving MQTT + UDP itself (server.mqtt), its OTA
# answer handing each device signed credentials; the devices log in over plain MQTT.
if want idle-mqtt || want active-mqtt; then
  MQTT_PORT=$(free_port)
  while [[ $MQTT_PORT == "$WS_PORT" || $MQTT_PORT == "$HTTP_PORT" ]]; do MQTT_PORT=$(free_port); done
  UDP_PORT=$(shuf -i 30001-40000 -n 1)
  awk -v mqtt="$MQTT_PORT" -v udp="$UDP_PORT" '{ print } /^  vision_explain: / {
      print "  mqtt_signature_key: bench-mqtt-signature-key"; print "  mqtt:"; print "    enabled: true";
      print "    port: " mqtt; print "    udp_port: " udp; print "    public_host: 127.0.0.1"; print "    ota_tls: false" }' \
    "$RUN/server.yaml" >"$RUN/server-mqtt.yaml"
  grep -q '^    enabled: true$' "$RUN/server-mqtt.yaml" ||
    { echo "bench: could not turn MQTT on in server-mqtt.yaml" >&2; exit 1; }
  "$BIN/xiaozhi-server" --check-config -c "$RUN/server-mqtt.yaml" >/dev/null 2>"$RUN/check-mqtt.log" ||
    { echo "bench: the generated configuration server-mqtt.yaml is refused:" >&2; cat "$RUN/check-mqtt.log" >&2; exit 1; }
fi

# The same server without speculative replies, for the *-nospec scenarios.
sed -e "s#^    speculative_silence_ms: $SPECULATIVE_MS\$#    speculative_silence_ms: 0#" "$RUN/server.yaml" >"$RUN/server-nospec.yaml"
grep -q '^    speculative_silence_ms: 0$' "$RUN/server-nospec.yaml" ||
  { echo "bench: could not turn speculation off in server-nospec.yaml" >&2; exit 1; }

# The comparison scenarios: the same server on the long-sentence LLM, speaking through the
# sentence path (OpenAI TTS) or through the dual-stream vendor.
if [[ -n $LONG_FAKE ]]; then
  sed -e "s#^    base_url: $FAKE\$#    base_url: $LONG_FAKE#" "$RUN/server.yaml" >"$RUN/server-long.yaml"
  # The vendor's entry goes right under TTS: (an --extra-config may follow the section).
  sed -e "s#^  TTS: OpenAITTS\$#  TTS: HuoshanDoubleStreamTTS#" "$RUN/server-long.yaml" |
    awk -v url="$DUPLEX" '{ print } /^TTS:$/ { print "  HuoshanDoubleStreamTTS:"; print "    ws_url: " url;
                                               print "    appid: test-app"; print "    access_token: test-token" }' \
      >"$RUN/server-duplex.yaml"
  for c in server-long server-duplex; do
    "$BIN/xiaozhi-server" --check-config -c "$RUN/$c.yaml" >/dev/null 2>"$RUN/check-$c.log" ||
      { echo "bench: the generated configuration $c.yaml is refused:" >&2; cat "$RUN/check-$c.log" >&2; exit 1; }
  done
fi

# stream-asr: the nospec server (every final text is the engine's, as in its batch twin
# active-nospec) with DoubaoStreamASR on the streaming fake; its entry goes right under ASR:.
if [[ -n $STREAM_ASR ]]; then
  sed -e "s#^  ASR: OpenaiASR\$#  ASR: DoubaoStreamASR#" "$RUN/server-nospec.yaml" |
    awk -v url="$STREAM_ASR" '{ print } /^ASR:$/ { print "  DoubaoStreamASR:"; print "    type: doubao_stream";
                                                  print "    endpoint: " url; print "    appid: test-app";
                                                  print "    access_token: test-token" }' >"$RUN/server-stream-asr.yaml"
  grep -q '^  ASR: DoubaoStreamASR$' "$RUN/server-stream-asr.yaml" ||
    { echo "bench: could not select DoubaoStreamASR in server-stream-asr.yaml" >&2; exit 1; }
  "$BIN/xiaozhi-server" --check-config -c "$RUN/server-stream-asr.yaml" >/dev/null 2>"$RUN/check-stream-asr.log" ||
    { echo "bench: the generated configuration server-stream-asr.yaml is refused:" >&2; cat "$RUN/check-stream-asr.log" >&2; exit 1; }
fi

SERVER_PID=""
SERVER_CONFIG=$RUN/server.yaml  # the server run_scenario starts
start_server() {  # dir
  rm -rf "$RUN/data"
  "$BIN/xiaozhi-server" -c "$SERVER_CONFIG" >"$1/server.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 300); do
    if http_get "$HTTP_PORT" /health | head -1 | grep -q " 200"; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: the server did not start:" >&2
  cat "$1/server.out" >&2
  exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# ------------------------------------------------------------------ scenarios
# run_scenario NAME SIMULATORS [xiaozhi-sim load options...]
run_scenario() {
  local name=$1 sims=$2
  shift 2
  want "$name" || return 0
  local dir=$RUN/$name samplers=() pids=() i started
  mkdir -p "$dir"
  started=$(now_ms)
  echo "bench: $name ..."
  start_server "$dir"
  sample_process "$SERVER_PID" "$dir/server.tsv" & samplers+=($!)
  sample_process "${SCENARIO_FAKE_PID:-$FAKE_PID}" "$dir/fake.tsv" & samplers+=($!)
  sample_system "$dir/system.tsv" & samplers+=($!)
  PIDS+=("${samplers[@]}")
  sleep 1  # the server's resting RSS, before any device
  for ((i = 1; i <= sims; i++)); do
    "$BIN/xiaozhi-sim" load --label "$name" --url "ws://127.0.0.1:$WS_PORT/xiaozhi/v1/" \
      --report "$dir/sim-$i.json" --raw "$@" 2>"$dir/sim-$i.log" &
    pids+=($!)
    sample_process "$!" "$dir/sim-$i.tsv" & samplers+=($!)
    PIDS+=("${pids[-1]}" "${samplers[-1]}")
  done
  local perf_pid=""
  if ((PERF)); then
    perf record -F 499 -p "$SERVER_PID" -o "$dir/perf.data" >"$dir/perf.log" 2>&1 &
    perf_pid=$!
    PIDS+=("$perf_pid")
  fi
  for i in "${pids[@]}"; do
    wait "$i" || echo "bench: a simulator of '$name' failed: $(tail -1 "$dir"/sim-*.log | tr '\n' ' ')" >&2
  done
  sleep 0.5
  http_get "$HTTP_PORT" /metrics >"$dir/metrics.txt" || true
  for i in "${samplers[@]}"; do kill "$i" 2>/dev/null || true; done
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" || true
  fi
  stop_server
  if [[ -n $perf_pid ]]; then
    # Flat profiles: the libraries have no frame pointers, so call graphs would mislead.
    {
      perf report -i "$dir/perf.data" --stdio --sort comm,dso --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$'
      echo
      perf report -i "$dir/perf.data" --stdio --sort comm,dso,sym --percent-limit 0.3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -80
    } >"$OUT/$TS-perf-$name.txt" || true
  fi
  echo "bench: $name done in $((($(now_ms) - started) / 1000)) s"
}

if ((PERF)) && ! command -v perf >/dev/null; then
  echo "bench: installing perf (linux-perf) for --perf" >&2
  apt-get install -y -qq linux-perf >/dev/null || { echo "bench: perf is not available; running without it" >&2; PERF=0; }
fi

# Every device of a run checks OTA first (as after boot), except the hello-rate one,
# which measures the WebSocket alone.
OTA=(--ota "http://127.0.0.1:$HTTP_PORT/xiaozhi/ota/")
TURN=(--think "$THINK_MS" --provider-delay "$PROVIDER_DELAY_MS" --vad-silence "$VAD_SILENCE_MS")

run_scenario idle "$IDLE_SIMS" --mode idle --devices $((IDLE_DEVICES / IDLE_SIMS)) \
  --rate $((IDLE_RATE / IDLE_SIMS)) --hold "$IDLE_HOLD" "${OTA[@]}"
run_scenario single 1 --mode active --devices 1 --rate 1 --turns "$SINGLE_TURNS" "${TURN[@]}" "${OTA[@]}"
# One board saying a sentence with a 150 ms pause inside (a tentative end, not an end).
run_scenario pause 1 --mode active --devices 1 --rate 1 --turns "$SINGLE_TURNS" \
  --say "What is the weather|like in Paris today?" --pause 150 "${TURN[@]}" "${OTA[@]}"
run_scenario active 1 --mode active --devices "$ACTIVE_DEVICES" --rate "$ACTIVE_RATE" \
  --turns "$ACTIVE_TURNS" "${TURN[@]}" "${OTA[@]}"
# The same two over MQTT + UDP: idle-mqtt devices hold only their MQTT login (no hello),
# the firmware's resting state on that transport; active-mqtt talks as active does.
SERVER_CONFIG=$RUN/server-mqtt.yaml
run_scenario idle-mqtt "$IDLE_SIMS" --mode idle --transport mqtt --devices $((IDLE_DEVICES / IDLE_SIMS)) \
  --rate $((IDLE_RATE / IDLE_SIMS)) --hold "$IDLE_HOLD" "${OTA[@]}"
run_scenario active-mqtt 1 --mode active --transport mqtt --devices "$ACTIVE_DEVICES" --rate "$ACTIVE_RATE" \
  --turns "$ACTIVE_TURNS" "${TURN[@]}" "${OTA[@]}"
# The same two without speculative replies (end of speech → first audio, on and off).
SERVER_CONFIG=$RUN/server-nospec.yaml
run_scenario single-nospec 1 --mode active --devices 1 --rate 1 --turns "$SINGLE_TURNS" "${TURN[@]}" "${OTA[@]}"
run_scenario active-nospec 1 --mode active --devices "$ACTIVE_DEVICES" --rate "$ACTIVE_RATE" \
  --turns "$ACTIVE_TURNS" "${TURN[@]}" "${OTA[@]}"
if [[ -n $STREAM_ASR ]]; then
  # The providers' delay here is the LLM's first token after the engine's finalisation.
  SERVER_CONFIG=$RUN/server-stream-asr.yaml
  run_scenario stream-asr 1 --mode active --devices "$ACTIVE_DEVICES" --rate "$ACTIVE_RATE" \
    --turns "$ACTIVE_TURNS" "${TURN[@]}" --provider-delay $((PROVIDER_DELAY_MS + STREAM_ASR_FINALIZE_MS)) "${OTA[@]}"
fi
SERVER_CONFIG=$RUN/server.yaml
run_scenario barge-in 1 --mode barge-in --devices "$BARGE_DEVICES" --rate "$ACTIVE_RATE" \
  --turns "$BARGE_TURNS" --abort-after 1000 "${TURN[@]}" "${OTA[@]}"
run_scenario hello-rate 1 --mode idle --devices "$HELLO_DEVICES" --rate "$HELLO_RATE" --hold-each "$HELLO_HOLD"
if [[ -n $LONG_FAKE ]]; then
  SCENARIO_FAKE_PID=$LONG_FAKE_PID SERVER_CONFIG=$RUN/server-long.yaml
  run_scenario sentence-long 1 --mode active --devices "$ACTIVE_DEVICES" --rate "$ACTIVE_RATE" \
    --turns "$ACTIVE_TURNS" "${TURN[@]}" "${OTA[@]}"
  SERVER_CONFIG=$RUN/server-duplex.yaml
  run_scenario dual-stream 1 --mode active --devices "$ACTIVE_DEVICES" --rate "$ACTIVE_RATE" \
    --turns "$ACTIVE_TURNS" "${TURN[@]}" "${OTA[@]}"
  SCENARIO_FAKE_PID="" SERVER_CONFIG=$RUN/server.yaml
fi

# ------------------------------------------------------------------ report
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=false
[[ -n $(git -C "$ROOT" status --porcelain 2>/dev/null) ]] && dirty=true
model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo | tr -d '"\\')
mem_gib=$(awk '/^MemTotal/ {printf "%d", $2 / 1048576 + 0.5}' /proc/meminfo)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
cat >"$RUN/meta.json" <<EOF
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$commit", "dirty": $dirty,
  "build": "${build_type:-unknown} ($(basename "$BUILD_DIR"))",
  "quick": $( ((QUICK)) && echo true || echo false),
  "cpus": $(nproc), "cpu_model": "$model", "mem_gib": ${mem_gib:-0}, "kernel": "$(uname -r)",
  "clk_tck": $(getconf CLK_TCK),
  "loadavg": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "io_threads": $(nproc), "workers": $(nproc),
  "providers": {"llm_first_token_ms": $LLM_FIRST_TOKEN_MS, "llm_token_ms": $LLM_TOKEN_MS,
                "tts_chunk_ms": $TTS_CHUNK_MS, "tts_interval_ms": $TTS_INTERVAL_MS,
                "duplex_speak_every_chars": $DUPLEX_SPEAK_EVERY,
                "stream_asr_finalize_ms": $STREAM_ASR_FINALIZE_MS, "stream_asr_packets_per_partial": $STREAM_ASR_PACKETS_PER_PARTIAL,
                "asr_ms": 0, "vad_min_silence_ms": $VAD_SILENCE_MS, "speculative_silence_ms": $SPECULATIVE_MS, "provider_delay_ms": $PROVIDER_DELAY_MS}
}
EOF
"$BIN/xiaozhi-sim" bench-report "$RUN" --out "$OUT/$TS"
echo
echo "bench: report written to bench/results/$TS.md and .json"
