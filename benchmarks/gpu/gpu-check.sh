#!/usr/bin/env bash
# The whole GPU check in one call, for a machine with CUDA (nvcc, cuBLAS) and no Java and no network:
#   1. builds the native library with the CUDA backend (-DDBN4J_CUDA=ON: sm_80, sm_90, PTX),
#   2. runs the native tests, test_cuda included (every CUDA kernel against the CPU library; bit-exact random stream),
#   3. measures PyTorch's reference numbers on the same card (eager and CUDA graph),
#   4. prints a short table last.
# Not yet here: dbn4j's own GPU training benchmarks, which need the Java CUDA backend (a later milestone); when it
# exists this script will also unpack a carried jlink runtime and the built jars (see the device README) and run them.
# Usage: benchmarks/gpu/gpu-check.sh [OUTDIR]   (writes logs to OUTDIR, default ${OUT:-target/gpu-check})
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-target/gpu-check}}
mkdir -p "$out"
status=0
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi failed"
  nvcc --version | tail -1
} > "$out/device.txt" 2>&1

if cmake -S native -B target/native-gpu -DCMAKE_BUILD_TYPE=Release -DDBN4J_CUDA=ON > "$out/cmake.log" 2>&1 \
    && cmake --build target/native-gpu --parallel 16 >> "$out/cmake.log" 2>&1; then
  build=ok
else
  build=FAILED; status=1
fi
if [ "$build" = ok ] && ctest --test-dir target/native-gpu --output-on-failure > "$out/ctest.log" 2>&1; then
  tests=$(grep -E "tests passed" "$out/ctest.log")
else
  tests="FAILED (see ctest.log)"; status=1
fi
if python3 -c "import torch" 2> /dev/null; then
  PYTHONUNBUFFERED=1 python3 benchmarks/gpu/torch_reference.py > "$out/torch.txt" 2>&1 || status=1
else
  echo "torch: missing" > "$out/torch.txt"
fi

echo
echo "== dbn4j GPU check =="
cat "$out/device.txt"
echo "native build with CUDA: $build"
echo "native tests (test_cuda included): $tests"
grep -E "^test_cuda|cuda" "$out/ctest.log" | tail -3
echo "PyTorch reference (same card):"
grep -E "^# torch|RESULT|missing|Error" "$out/torch.txt" | sed 's/^RESULT /  /'
echo "dbn4j GPU training: not yet (the Java CUDA backend is not written)"
exit $status
