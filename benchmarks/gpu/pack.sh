#!/usr/bin/env bash
# Packs what benchmarks/gpu/gpu-check.sh needs on a GPU machine that has CUDA but no Java and no network:
#   1. builds dbn4j with the CUDA backend (mvn package -Ddbn4j.cuda=true: needs nvcc here, no GPU),
#   2. a jlink runtime of this JDK (java.base, jdk.unsupported, java.management, java.logging; stripped, compressed),
#   3. the jars: benchmarks.jar (shaded: dbn4j with its CUDA JNI library, javacpp, openblas and the cuda presets,
#      each with its linux-x86_64 natives, less those it never loads), the test classes, the JUnit console launcher,
# into gpu-carry/ (ignored by git) as two archives, and prints their size (the device tool carries at most 64 MiB).
# Usage (repository root): benchmarks/gpu/pack.sh      Set MVN_LOCK=/path/to/lockfile to serialise the Maven build.
set -euo pipefail
cd "$(dirname "$0")/../.."
junit_console=1.14.4
dest=gpu-carry
stage=target/gpu-carry-stage
modules=java.base,jdk.unsupported,java.management,java.logging

run_locked() {
  if [ -n "${MVN_LOCK:-}" ]; then flock "$MVN_LOCK" "$@"; else "$@"; fi
}

run_locked mvn -B -q package -DskipTests -Ddbn4j.cuda=true
jar=benchmarks/target/benchmarks.jar
for f in dbn4j/cuda/linux-x86_64/libjniCudaKernels.so org/bytedeco/cuda/linux-x86_64/libjnicublas.so \
    org/bytedeco/cuda/linux-x86_64/libjnicudart.so; do
  if ! unzip -l "$jar" "$f" > /dev/null; then
    echo "pack: $jar lacks $f (was the CUDA build skipped?)" >&2
    exit 1
  fi
done

rm -rf "$stage" "$dest"
mkdir -p "$stage/jars" "$dest"
cp "$jar" "$stage/jars/"
# Natives no GPU check loads: OpenBLAS's LAPACK bindings (the CPU backend loads openblas_nolapack only) and every
# CUDA preset but cudart and cuBLAS. About 20 MiB less to carry.
zip -q -d "$stage/jars/benchmarks.jar" org/bytedeco/openblas/linux-x86_64/libjniopenblas.so \
  org/bytedeco/openblas/linux-x86_64/libjniopenblas_full.so \
  'org/bytedeco/cuda/linux-x86_64/libjnicu[fps]*' 'org/bytedeco/cuda/linux-x86_64/libjnicudnn*' \
  'org/bytedeco/cuda/linux-x86_64/libjnicurand*' 'org/bytedeco/cuda/linux-x86_64/libjnin*'
jar cf "$stage/jars/dbn4j-tests.jar" -C java/target/test-classes .
run_locked mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_console \
  -DoutputDirectory="$stage/jars" -Dmdep.stripVersion=true
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$stage/jre"

tar -czf "$dest/jre.tar.gz" -C "$stage" jre
# The jars are zip files already: stored as they are.
tar -cf "$dest/jars.tar" -C "$stage" jars
ls -l "$dest"
total=$(du -cb "$dest"/* | tail -1 | cut -f1)
echo "gpu-carry: $total bytes ($((total / 1048576)) MiB; the carry limit is 64 MiB)"
if [ "$total" -ge $((64 * 1048576)) ]; then
  echo "pack: over the 64 MiB carry limit" >&2
  exit 1
fi
