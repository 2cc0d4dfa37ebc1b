#!/usr/bin/env bash
# Packs what benchmarks/gpu/gpu-check.sh needs on a GPU machine that has CUDA but no Java and no network:
#   1. builds dbn4j with the CUDA backend (mvn package -Ddbn4j.cuda=true: needs nvcc here, no GPU),
#   2. a jlink runtime of this JDK (java.base, jdk.unsupported, java.management, java.logging; stripped),
#   3. the jars: benchmarks.jar (shaded: dbn4j with its CUDA JNI library, javacpp, openblas and the cuda presets,
#      each with its linux-x86_64 natives, less those it never loads), the test classes, the JUnit console launcher,
#   4. the full Fashion-MNIST (60,000 + 10,000 images) where this machine has it (DBN4J_FASHION_MNIST, default
#      /usr/share/datasets/fashion-mnist), for the accuracy bars trained on the GPU,
# into gpu-carry/ (ignored by git) as xz archives (the runtime and the jars uncompressed inside them: xz then takes
# them to about half of jlink's and jar's own compression), and prints their size: the device tool carries at most
# 64 MiB, the repository's tracked files included.
# Usage (repository root): benchmarks/gpu/pack.sh      Set MVN_LOCK=/path/to/lockfile to serialise the Maven build.
# Run benchmarks/gpu/smoke-emulated.sh first: GpuBench on the emulated CUDA backend, so that a measurement that fails
# fails here and not in device time.
# Needs xz, zip and unzip. About 3 minutes (xz -9 of 100 MB of images).
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
jar cf0 "$stage/jars/dbn4j-tests.jar" -C java/target/test-classes .
run_locked mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_console \
  -DoutputDirectory="$stage/jars" -Dmdep.stripVersion=true
# The jars stored, not deflated: the xz archive below compresses classes and libraries much better than zip does.
for j in benchmarks.jar junit-platform-console-standalone.jar; do
  rm -rf "$stage/unjar" && mkdir -p "$stage/unjar"
  (cd "$stage/unjar" && unzip -oq "../jars/$j" && rm "../jars/$j" && zip -q -0 -r -X "../jars/$j" .)
done
rm -rf "$stage/unjar"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=0 --output "$stage/jre"

data=${DBN4J_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
names="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
have_data=yes
for f in $names; do
  [ -f "$data/$f.gz" ] || [ -f "$data/$f" ] || have_data=no
done

tar -cf - -C "$stage" jre | xz -9 -T2 > "$dest/jre.tar.xz"
tar -cf - -C "$stage" jars | xz -9 -T2 > "$dest/jars.tar.xz"
if [ "$have_data" = yes ]; then
  mkdir -p "$stage/fashion-mnist"
  for f in $names; do
    if [ -f "$data/$f.gz" ]; then gzip -dc "$data/$f.gz" > "$stage/fashion-mnist/$f"; else cp "$data/$f" "$stage/fashion-mnist/"; fi
  done
  tar -cf - -C "$stage" fashion-mnist | xz -9 -T2 > "$dest/fashion-mnist.tar.xz"
else
  echo "pack: no Fashion-MNIST in $data: the GPU check will measure accuracy on the bundled sample only" >&2
fi
ls -l "$dest"
total=$(du -cb "$dest"/* | tail -1 | cut -f1)
# What else travels with a device call: the files git tracks or would track (not ignored).
tracked=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2> /dev/null \
  | awk '{ s += $1 } END { print s + 0 }')
echo "gpu-carry: $total bytes ($((total / 1048576)) MiB), repository files $((tracked / 1048576)) MiB; the limit is 64 MiB for both"
if [ $((total + tracked)) -ge $((64 * 1048576)) ]; then
  echo "pack: over the 64 MiB that a device call carries" >&2
  exit 1
fi
