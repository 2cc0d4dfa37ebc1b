#!/usr/bin/env bash
# Streaming check: generates an uncompressed IDX training set of SIZE_GB (default 2) and trains on it with --stream,
# reporting the peak resident memory of the training process (GNU time). Needs the build (mvn -B -q package
# -DskipTests) and /usr/bin/time. Usage: benchmarks/stream-memory.sh [SIZE_GB] [MODEL] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-2}
model=${2:-lr}
epochs=${3:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
java -cp benchmarks/target/benchmarks.jar dbn4j.bench.GenerateIdx "$work/data" "$size"
ls -l "$work/data"
/usr/bin/time -v ./dbn4j train --model "$model" --stream --data "$work/data" --epochs "$epochs" --no-pictures \
  --output "$work/out" > "$work/log" 2> "$work/time"
cat "$work/log"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$work/time"
peak_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time")
echo "peak RSS: $((peak_kb / 1024)) MiB while streaming $(du -h "$work/data/train-images-idx3-ubyte" | cut -f1) of images"
