#!/usr/bin/env bash
# dbn4j's benchmark suite: one command that measures this machine and writes a report folder.
#   benchmarks/suite.sh [--quick|--full] [--out DIR] [--threads T] [--theano]
# Run from the repository root after `mvn -B -q package -DskipTests`. See benchmarks/README.md ("Suite").
#   --quick    (default) batch 100 only, smaller workloads and data subsets, short JMH filter, 1 JMH iteration,
#              peers with 1 measured epoch at batch 100: a few minutes
#   --full     batch sizes 10, 100, 1000 on 60,000 images, every workload, all kernel benchmarks, the Theano
#              tutorial speed-test workloads, peers with 3 measured epochs and every workload at batches 10, 100
#              and 1000 (GEMM floors at batch 100): about 1.5 hours on 1 thread of a 2-core Zen 3 guest
#   --out DIR  report folder (default benchmarks/report-YYYY-MM-DD)
#   --threads T  OpenBLAS and dbn4j kernel threads, and the peers' threads (default 1)
#   --theano   quick mode too runs the Theano tutorials' speed-test workloads (about 1.5 minutes more on 1 thread)
# Writes DIR/report.md, DIR/jmh-kernels.json (+ .txt), DIR/peers.txt, DIR/peers-logs/ (full mode also
# DIR/peers-b10.txt, DIR/peers-b1000.txt, DIR/peers-logs-b10/, DIR/peers-logs-b1000/), DIR/gpu.txt, DIR/suite.log,
# DIR/throughput.png, DIR/efficiency.png.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
MODE=--quick
OUT=""
THREADS=1
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick|--full) MODE="$1"; shift ;;
        --out) OUT="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --theano) EXTRA+=(--theano); shift ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "suite.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$THREADS" in ''|*[!0-9]*|0) echo "suite.sh: --threads takes a positive integer" >&2; exit 2 ;; esac
cd "$ROOT"
OUT="${OUT:-benchmarks/report-$(date +%F)}"
JAR=benchmarks/target/benchmarks.jar
if [ ! -f "$JAR" ]; then
    echo "suite.sh: $JAR not found: run 'mvn -B -q package -DskipTests' at the repository root first" >&2
    exit 2
fi
mkdir -p "$OUT"
JAVA="${JAVA:-java}"
echo "suite: mode ${MODE#--}, threads $THREADS, report in $OUT"

# Peers first (they run dbn4j's TrainingBench themselves, so their ratios compare one run).
PEER_EPOCHS=3
[ "$MODE" = --quick ] && PEER_EPOCHS=1
PEER_ARGS=(--threads "$THREADS" --epochs "$PEER_EPOCHS")
# Quick: the subsets of Suite's quick training table (PCD-15 on 2,000 rows, DBN 784-500-500-10 on 5,000 rows).
# No CD-10 (the quick training table has none).
[ "$MODE" = --quick ] && PEER_ARGS+=(--no-floor --workloads logistic,pcd15,dbn --pcd-rows 2000 --dbn-rows 5000 \
    --dbn-sizes 784,500,500)
PEER_FILES=(--peers "$OUT/peers.txt")
run_peers() { # output file, logs folder (both in OUT), then run-peers.sh's options
    local file="$1" logs="$2"; shift 2
    echo "suite: peers: benchmarks/peers/run-peers.sh $* --logs $OUT/$logs"
    "$HERE/peers/run-peers.sh" "$@" --logs "$OUT/$logs" >"$OUT/$file" 2>&1
    echo "suite: peers exit status $? (0 pass, 1 a bar failed, 3 a peer missing); output in $OUT/$file"
}
if [ -x "$HERE/peers/run-peers.sh" ]; then
    run_peers peers.txt peers-logs "${PEER_ARGS[@]}"
    # Full: the training table's other batch sizes too, every workload and every peer (the bars are defined at
    # batch 100, so these runs report ratios without a verdict and exit 0 or 3; no GEMM floors).
    if [ "$MODE" = --full ]; then
        for b in 10 1000; do
            run_peers "peers-b$b.txt" "peers-logs-b$b" "${PEER_ARGS[@]}" --batch "$b" --no-floor
            PEER_FILES+=(--peers "$OUT/peers-b$b.txt")
        done
    fi
else
    echo "peer all: missing: benchmarks/peers/run-peers.sh not found" >"$OUT/peers.txt"
fi

# The GPU, where nvidia-smi sees one: dbn4j's GPU workloads and the card's ceilings (GpuBench on the cuda backend,
# which needs a build with -Ddbn4j.cuda=true) and PyTorch's reference on the same card, RESULT lines into gpu.txt.
if command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L > /dev/null 2>&1; then
    GPU_ARGS=()
    [ "$MODE" = --quick ] && GPU_ARGS+=(--quick --steps 50)
    echo "suite: GPU: $(nvidia-smi -L | head -1); dbn4j.bench.GpuBench ${GPU_ARGS[*]} and torch_reference.py"
    {
        "$JAVA" -Ddbn4j.backend=cuda -cp "$JAR" dbn4j.bench.GpuBench "${GPU_ARGS[@]}" 2>&1 \
            || echo "gpu dbn4j: missing: GpuBench failed (a build without -Ddbn4j.cuda=true has no CUDA backend)"
        if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2> /dev/null; then
            python3 "$HERE/gpu/torch_reference.py" --steps "$([ "$MODE" = --quick ] && echo 50 || echo 200)" 2>&1
        else
            echo "gpu torch: missing: PyTorch with CUDA is not installed"
        fi
    } > "$OUT/gpu.txt"
else
    echo "gpu: none found (nvidia-smi missing or failing)" > "$OUT/gpu.txt"
fi
OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" \
"$JAVA" "-Ddbn4j.threads=$THREADS" "-Ddbn4j.blas.threads=$THREADS" -Djava.awt.headless=true \
    -cp "$JAR" dbn4j.bench.Suite "$MODE" --out "$OUT" --threads "$THREADS" "${PEER_FILES[@]}" \
    --gpu "$OUT/gpu.txt" \
    "${EXTRA[@]}" \
    2>&1 | tee "$OUT/suite.log"
rc=${PIPESTATUS[0]}
echo "suite: report $OUT/report.md (exit $rc)"
exit "$rc"
