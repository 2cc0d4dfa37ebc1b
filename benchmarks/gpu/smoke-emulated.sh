#!/usr/bin/env bash
# Runs all of dbn4j.bench.GpuBench on the CUDA backend emulated on the host (native/tests/cuda_host; no GPU, no nvcc)
# at --smoke sizes: every measurement that gpu-check.sh makes on a device, through the same Java code (graphs, forks,
# the unfused and serial variants, TF32 and BF16, the models' fit loops), so that one that fails shows up here
# before it costs device time. The numbers mean nothing. Exit status: GpuBench's (1 when a measurement FAILED).
# Usage (repository root): benchmarks/gpu/smoke-emulated.sh [OUTFILE]   About 2 minutes with the build.
# MAVEN_REPOSITORY: the local Maven repository, if not ~/.m2/repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/gpu-smoke-emulated.txt}
mkdir -p "$(dirname "$out")"
# First the JNI glue linked against the emulation (target/cuda-host-classes) and the emulated CUDA libraries; this
# also removes a real CUDA build's glue from target/classes, which the package below would otherwise put in the jar.
mvn -B -q -pl java process-classes -Ddbn4j.cudaHost=true
mvn -B -q package -DskipTests
version=$(sed -n 's|.*<cuda.version>\(.*\)</cuda.version>.*|\1|p' pom.xml)
presets="${MAVEN_REPOSITORY:-$HOME/.m2/repository}/org/bytedeco/cuda/$version/cuda-$version"
cp="benchmarks/target/benchmarks.jar:java/target/cuda-host-classes:$presets.jar:$presets-linux-x86_64.jar"
status=0
LD_LIBRARY_PATH=java/target/native/cuda_host java -Ddbn4j.backend=cuda -cp "$cp" dbn4j.bench.GpuBench --smoke \
  --quick --steps 3 > "$out" 2>&1 || status=$?
grep -E '^# |^FAILED' "$out" || true
echo "GpuBench on the emulated CUDA backend: $(grep -c '^RESULT' "$out") results, $(grep -c '^FAILED' "$out") FAILED" \
  "(exit $status; log: $out)"
exit $status
