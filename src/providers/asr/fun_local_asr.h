#pragma once
// Config type `fun_local` (the reference's FunASR entry, its default ASR): SenseVoiceSmall
// run locally. The reference loads the PyTorch model (model.pt) from model_dir with the
// funasr Python package; this server runs sherpa-onnx's ONNX export of the same model,
// so model_dir must hold that export instead (model.int8.onnx or model.onnx, and
// tokens.txt). A missing or PyTorch-only model_dir fails at start-up with one error that
// names the directory, the files expected and where to get them.
//
// Keys: model_dir (default models/SenseVoiceSmall, as in the reference), output_dir
// (accepted, unused), and the tuning keys sherpa_onnx_local has (language, use_itn,
// num_threads, max_batch, max_seconds).
#include "providers/asr/sherpa_onnx_asr.h"

namespace xz::providers {

// Throws EngineConfigError naming the key.
SherpaOnnxAsrOptions read_fun_local_options(const EngineConfig& cfg);

}  // namespace xz::providers
