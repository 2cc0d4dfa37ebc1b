#!/usr/bin/env bash
# dbn4j's training epochs against peer implementations, measured in one run with the same thread count:
#   RBM CD-1 784-500:            dbn4j vs numpy (numpy_rbm.py)              bar: numpy/dbn4j >= 1.5
#   MLP 784-500-500-10 ReLU:     dbn4j vs PyTorch CPU (torch_mlp.py)        bar: torch/dbn4j >= 1.2
#                                dbn4j vs Deeplearning4j (dl4j/)            bar: dl4j/dbn4j  >= 3
#                                dbn4j vs scikit-learn MLPClassifier        no bar (informational)
#   RBM PCD-1 784-500:           scikit-learn BernoulliRBM (sklearn_rbm.py) against dbn4j's CD-1 epoch,
#                                marked "(PCD-1 vs CD-1)", no bar (informational)
# and, without bars (informational): logistic regression 784-10 (numpy_logreg.py, torch_mlp.py --model logistic,
# scikit-learn SGDClassifier OvR per-sample SGD as sklearn_logreg.py), RBM CD-10 and PCD-15 784-500 (numpy_rbm.py
# --k 10, --k 15 --persistent), DBN pre-training (numpy_rbm.py --dbn) and fine-tuning (torch_mlp.py --model dbn-finetune).
# The bars are defined at batch 100 (the default); at another --batch every row is informational (ratios, no verdict).
# Installs nothing: a peer that cannot run is reported as missing, with what to install or build.
# See benchmarks/peers/README.md.
set -u -o pipefail

usage() {
    cat <<'EOF'
usage: benchmarks/peers/run-peers.sh [options]
  --threads T       threads of every participant (OMP/OPENBLAS/MKL_NUM_THREADS, torch.set_num_threads,
                    dbn4j's BLAS and kernel threads, nd4j's limits); default 1
  --epochs N        measured epochs after 1 warm-up epoch; default 3
  --batch B         mini-batch size; default 100. The bars are defined at batch 100: at another batch every row
                    is INFO (ratio, no verdict)
  --data DIR        Fashion-MNIST directory (train-*-ubyte.gz); default /usr/share/datasets/fashion-mnist
                    (missing: every participant uses random data of the same shape and says so)
  --env-as-given    OpenBLAS core selection as the environment has it (default): OPENBLAS_CORETYPE and
                    OPENBLAS_L2_SIZE are passed on unchanged, set or not
  --avx512          unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for the run, so that every OpenBLAS picks its
                    core from CPUID (SkylakeX/Cooperlake kernels where the CPU has AVX-512)
  --coretype NAME   force OPENBLAS_CORETYPE=NAME for every participant (e.g. Haswell, Zen, SkylakeX)
  --only LIST       comma-separated subset of dbn4j,numpy,torch,dl4j,sklearn (default: all); sklearn runs
                    sklearn_rbm.py, sklearn_mlp.py (and sklearn_logreg.py); the ratios need dbn4j in the list too
  --workloads LIST  the workloads beside RBM CD-1 and the MLP (always run): a comma-separated subset of
                    logistic,cd10,pcd15,dbn (default: all four), or "none"
  --pcd-rows N      rows of the PCD-15 epochs (default 60000)
  --dbn-rows N      rows of the DBN epochs (default 60000)
  --dbn-sizes LIST  DBN layer sizes below the 10 classes (default 784,1000,1000,1000)
  --no-floor        skip the numpy/torch GEMM-only epochs (by default each peer also times its own GEMMs alone,
                    interleaved with its epochs: the context lines below the table)
  --build-dl4j      build the DL4J peer first if its jar is missing (downloads about 264 MB from Maven Central)
  --logs DIR        keep every participant's full output there (default: a new temporary directory)
Environment: NUMPY_PYTHON / TORCH_PYTHON / SKLEARN_PYTHON choose the interpreters (default: the first of python3,
/usr/bin/python3 that imports numpy / torch / sklearn); JAVA (default java).
Exit status: 0 all ran and passed; 1 some bar failed; 3 a participant was missing or failed to run.
EOF
}

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
THREADS=1
EPOCHS=3
BATCH=100
DATA=""
CORE_MODE="as-given"
CORE_NAME=""
ONLY="dbn4j,numpy,torch,dl4j,sklearn"
BUILD_DL4J=0
FLOOR=(--floor)
LOGS=""
WORKLOADS="logistic,cd10,pcd15,dbn"
PCD_ROWS=60000
DBN_ROWS=60000
DBN_SIZES="784,1000,1000,1000"
JAVA="${JAVA:-java}"

while [ $# -gt 0 ]; do
    case "$1" in
        --threads) THREADS="$2"; shift 2 ;;
        --epochs) EPOCHS="$2"; shift 2 ;;
        --batch) BATCH="$2"; shift 2 ;;
        --data) DATA="$2"; shift 2 ;;
        --env-as-given) CORE_MODE="as-given"; shift ;;
        --avx512) CORE_MODE="auto"; shift ;;
        --coretype) CORE_MODE="forced"; CORE_NAME="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        --build-dl4j) BUILD_DL4J=1; shift ;;
        --no-floor) FLOOR=(); shift ;;
        --logs) LOGS="$2"; shift 2 ;;
        --workloads) WORKLOADS="$2"; shift 2 ;;
        --pcd-rows) PCD_ROWS="$2"; shift 2 ;;
        --dbn-rows) DBN_ROWS="$2"; shift 2 ;;
        --dbn-sizes) DBN_SIZES="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run-peers.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in "$THREADS" "$EPOCHS" "$BATCH" "$PCD_ROWS" "$DBN_ROWS"; do
    case "$v" in
        ''|*[!0-9]*|0) echo "run-peers.sh: --threads, --epochs, --batch and the row counts take positive integers" >&2
                        exit 2 ;;
    esac
done
case "$DBN_SIZES" in 784,*[0-9]) ;; *) echo "run-peers.sh: --dbn-sizes takes 784,H1[,H2...]" >&2; exit 2 ;; esac
[ "$WORKLOADS" = none ] && WORKLOADS=""
for w in ${WORKLOADS//,/ }; do
    case "$w" in
        logistic|cd10|pcd15|dbn) ;;
        *) echo "run-peers.sh: --workloads takes logistic,cd10,pcd15,dbn or none" >&2; exit 2 ;;
    esac
done
wants() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
runs() { case ",$WORKLOADS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
DBN_PRE="dbn-${DBN_SIZES//,/-}-pretrain"
DBN_FINE="dbn-${DBN_SIZES//,/-}-10-finetune"

if [ -z "$LOGS" ]; then
    LOGS="$(mktemp -d "${TMPDIR:-/tmp}/dbn4j-peers.XXXXXX")"
else
    mkdir -p "$LOGS"
fi

# ---- OpenBLAS core selection ----
show() { if [ "${!1+set}" = set ]; then printf '%s=%s' "$1" "${!1}"; else printf '%s=<unset>' "$1"; fi; }
echo "OpenBLAS environment as given: $(show OPENBLAS_CORETYPE) $(show OPENBLAS_L2_SIZE)"
case "$CORE_MODE" in
    as-given) ;;
    auto)
        unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
        if ! grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
            echo "note: this CPU has no AVX-512 (no avx512f in /proc/cpuinfo):" \
                 "OpenBLAS's CPUID choice uses AVX2 kernels"
        fi ;;
    forced)
        case "$CORE_NAME" in
            SkylakeX|SKYLAKEX|Cooperlake|COOPERLAKE|SapphireRapids|SAPPHIRERAPIDS)
                if ! grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
                    echo "run-peers.sh: --coretype $CORE_NAME needs AVX-512, which this CPU lacks" >&2; exit 2
                fi ;;
        esac
        export OPENBLAS_CORETYPE="$CORE_NAME" ;;
esac
echo "OpenBLAS environment for this run ($CORE_MODE): $(show OPENBLAS_CORETYPE) $(show OPENBLAS_L2_SIZE)"

# Same thread count everywhere; OPENBLAS_VERBOSE=2 makes every dynamic-arch OpenBLAS print "Core: NAME" at load.
export OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" OPENBLAS_VERBOSE=2
echo "threads: $THREADS (OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=$THREADS); epochs: 1 warm-up + $EPOCHS" \
     "measured; batch $BATCH; logs: $LOGS"
# What this run covers, for readers of this output (Suite): the batch, the participants asked for, and dbn4j's
# workloads that the peers are compared on.
RUN_WORKLOADS="rbm-cd1-784-500,mlp-784-500-500-10-relu"
runs logistic && RUN_WORKLOADS+=",logistic-784-10"
runs cd10 && RUN_WORKLOADS+=",rbm-cd10-784-500"
runs pcd15 && RUN_WORKLOADS+=",rbm-pcd15-784-500"
runs dbn && RUN_WORKLOADS+=",$DBN_PRE,$DBN_FINE"
echo "RUN batch=$BATCH epochs=$EPOCHS threads=$THREADS peers=$ONLY workloads=$RUN_WORKLOADS"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')," \
     "$(getconf _NPROCESSORS_ONLN) CPUs online;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"

DATA_ARGS=()
DBN4J_DATA=()
if [ -n "$DATA" ]; then
    DATA_ARGS=(--data "$DATA")
    DBN4J_DATA=("-Ddbn4j.data.fashionMnist=$DATA")
fi
COMMON=(--epochs "$EPOCHS" --batch "$BATCH" --threads "$THREADS")

# ---- availability ----
declare -A MISSING=()
pick_python() { # $1 module; prints the first interpreter that imports it
    local py
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c "import $1" >/dev/null 2>&1; then
            command -v "$py"; return 0
        fi
    done
    return 1
}
DBN4J_JAR="$ROOT/benchmarks/target/benchmarks.jar"
DL4J_JAR="$HERE/dl4j/target/dl4j-mlp.jar"
if wants dbn4j; then
    command -v "$JAVA" >/dev/null 2>&1 || MISSING[dbn4j]="no java (apt-get install openjdk-17-jdk-headless)"
    [ -f "$DBN4J_JAR" ] \
        || MISSING[dbn4j]="benchmarks/target/benchmarks.jar not built (mvn -B -q package -DskipTests at the repo root)"
fi
if wants numpy; then
    NUMPY_PYTHON="${NUMPY_PYTHON:-$(pick_python numpy || true)}"
    if [ -z "$NUMPY_PYTHON" ] || ! "$NUMPY_PYTHON" -c "import numpy" >/dev/null 2>&1; then
        MISSING[numpy]="no python3 with numpy (apt-get install python3-numpy libopenblas0-pthread)"
    fi
fi
if wants torch; then
    TORCH_PYTHON="${TORCH_PYTHON:-$(pick_python torch || true)}"
    if [ -z "$TORCH_PYTHON" ] || ! "$TORCH_PYTHON" -c "import torch, numpy" >/dev/null 2>&1; then
        MISSING[torch]="no python3 with torch (apt-get install python3-torch python3-numpy libopenblas0-pthread)"
    fi
fi
if wants sklearn; then
    SKLEARN_PYTHON="${SKLEARN_PYTHON:-$(pick_python sklearn || true)}"
    if [ -z "$SKLEARN_PYTHON" ] || ! "$SKLEARN_PYTHON" -c "import sklearn, numpy" >/dev/null 2>&1; then
        MISSING[sklearn]="no python3 with scikit-learn (apt-get install python3-sklearn)"
    fi
fi
if wants dl4j; then
    if [ ! -f "$DL4J_JAR" ] && [ "$BUILD_DL4J" = 1 ]; then
        echo "building the DL4J peer (mvn -B -q -f benchmarks/peers/dl4j/pom.xml package) ..."
        (cd "$ROOT" && mvn -B -q -f benchmarks/peers/dl4j/pom.xml package) >"$LOGS/dl4j-build.log" 2>&1 \
            || echo "DL4J peer build failed: see $LOGS/dl4j-build.log"
    fi
    if ! command -v "$JAVA" >/dev/null 2>&1; then
        MISSING[dl4j]="no java (apt-get install openjdk-17-jdk-headless)"
    elif [ ! -f "$DL4J_JAR" ]; then
        MISSING[dl4j]="dl4j/target/dl4j-mlp.jar not built (mvn -B -q -f benchmarks/peers/dl4j/pom.xml package,"
        MISSING[dl4j]+=" or --build-dl4j; ~264 MB from Maven Central)"
    fi
fi
for p in dbn4j numpy torch dl4j sklearn; do
    if wants "$p"; then
        if [ -n "${MISSING[$p]:-}" ]; then echo "peer $p: missing: ${MISSING[$p]}"; else echo "peer $p: available"; fi
    fi
done

# ---- runs (one after the other) ----
declare -A FAILED=()
cpu_use() { # name -> "cpu/wall X.XX" of the whole process (start-up and JIT included): ~1 per busy thread
    [ -s "$LOGS/$1.time" ] || return 0
    awk '{ if ($1 > 0) printf "cpu/wall %.2f", ($2 + $3) / $1 }' "$LOGS/$1.time"
}
run() { # name, command...: output into $LOGS/name.out (stdout) and name.err (stderr)
    local name="$1"; shift
    echo "== $name: $*"
    local t0=$SECONDS rc TIMEFORMAT='%R %U %S'
    { time "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"; } 2>"$LOGS/$name.time"
    rc=$?
    grep '^RESULT ' "$LOGS/$name.out" | sed 's/^/   /'
    if [ $rc -ne 0 ] || ! grep -q '^RESULT ' "$LOGS/$name.out"; then
        FAILED[$name]="exit $rc, see $LOGS/$name.err"
        echo "   FAILED ($rc): last lines of $LOGS/$name.err:"; tail -5 "$LOGS/$name.err" | sed 's/^/   | /'
    fi
    echo "   ($((SECONDS - t0)) s; $(cpu_use "$name"))"
}
ALSO=()
[ -n "$WORKLOADS" ] && ALSO=(--also "$WORKLOADS" --pcd-rows "$PCD_ROWS" --dbn-rows "$DBN_ROWS" --dbn-sizes "$DBN_SIZES")
if wants dbn4j && [ -z "${MISSING[dbn4j]:-}" ]; then
    run dbn4j "$JAVA" "-Ddbn4j.threads=$THREADS" "-Ddbn4j.blas.threads=$THREADS" "${DBN4J_DATA[@]}" \
        -cp "$DBN4J_JAR" dbn4j.bench.TrainingBench --epochs "$EPOCHS" --batch "$BATCH" --blas-threads "$THREADS" \
        --peers-format "${ALSO[@]}"
fi
all_of() { # interpreter, then "script args..." strings: runs each in turn; fails if any fails
    local py="$1" rc=0 cmd; shift
    for cmd in "$@"; do
        # shellcheck disable=SC2086  # each string is a script and its own options, split on purpose
        "$py" $cmd "${COMMON[@]}" "${DATA_ARGS[@]}" || rc=$?
    done
    return "$rc"
}
NUMPY_RUNS=("$HERE/numpy_rbm.py ${FLOOR[*]}")
TORCH_RUNS=("$HERE/torch_mlp.py ${FLOOR[*]}")
SKLEARN_RUNS=("$HERE/sklearn_rbm.py" "$HERE/sklearn_mlp.py")
if runs logistic; then
    NUMPY_RUNS+=("$HERE/numpy_logreg.py"); TORCH_RUNS+=("$HERE/torch_mlp.py --model logistic")
    SKLEARN_RUNS+=("$HERE/sklearn_logreg.py")
fi
runs cd10 && NUMPY_RUNS+=("$HERE/numpy_rbm.py --k 10")
runs pcd15 && NUMPY_RUNS+=("$HERE/numpy_rbm.py --k 15 --persistent --rows $PCD_ROWS")
if runs dbn; then
    NUMPY_RUNS+=("$HERE/numpy_rbm.py --dbn $DBN_SIZES --rows $DBN_ROWS")
    TORCH_RUNS+=("$HERE/torch_mlp.py --model dbn-finetune --sizes $DBN_SIZES --rows $DBN_ROWS")
fi
if wants numpy && [ -z "${MISSING[numpy]:-}" ]; then
    run numpy all_of "$NUMPY_PYTHON" "${NUMPY_RUNS[@]}"
fi
if wants torch && [ -z "${MISSING[torch]:-}" ]; then
    run torch all_of "$TORCH_PYTHON" "${TORCH_RUNS[@]}"
fi
if wants dl4j && [ -z "${MISSING[dl4j]:-}" ]; then
    run dl4j "$JAVA" -jar "$DL4J_JAR" "${COMMON[@]}" "${DATA_ARGS[@]}"
fi
if wants sklearn && [ -z "${MISSING[sklearn]:-}" ]; then
    run sklearn all_of "$SKLEARN_PYTHON" "${SKLEARN_RUNS[@]}"
fi

# ---- table ----
field() { # line key -> value
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
result() { # participant workload -> RESULT line
    [ -f "$LOGS/$1.out" ] || return 0
    grep "^RESULT peer=$1 workload=$2 " "$LOGS/$1.out" | tail -1
}
verbose_core() { # the "Core: NAME" lines OpenBLAS printed (OPENBLAS_VERBOSE=2), joined with +
    [ -f "$LOGS/$1.err" ] || return 0
    sed -n 's/^Core: *//p' "$LOGS/$1.err" | sort -u | paste -sd+ -
}
core_of() { # participant line -> core type
    local blas core
    blas="$(field "$2" blas)"
    core="$(printf '%s\n' "$blas" | tr ':' '\n' | sed -n 's/^core=//p' | head -1)"
    if [ -z "$core" ] || [ "$core" = "see-stderr" ] || [ "$core" = "?" ]; then
        core="$(verbose_core "$1")"
    fi
    printf '%s' "${core:-?}"
}

STATUS=0
echo
echo "== results: median epoch seconds of $EPOCHS measured epochs (after 1 warm-up), batch $BATCH, threads $THREADS"
printf '%-36s %9s %-7s %9s %7s %6s  %s\n' workload "dbn4j s" peer "peer s" ratio bar result
row() { # workload peer bar [dbn4j's workload, when it differs] [note]; bar "-": informational, no verdict
    local wl="$1" peer="$2" bar="$3" dwl="${4:-$1}" note="${5:-}" d p ds ps ratio verdict info="INFO (no bar)"
    if [ "$bar" != "-" ] && [ "$BATCH" != 100 ]; then # the bars are defined at batch 100
        bar="-"; info="INFO (no bar at batch $BATCH: the bars are defined at batch 100)"
    fi
    d="$(result dbn4j "$dwl")"; p="$(result "$peer" "$wl")"
    ds="$(field "$d" epoch_s_median)"; ps="$(field "$p" epoch_s_median)"
    ratio="-"
    if [ -n "${MISSING[$peer]:-}" ]; then
        verdict="MISSING: $peer: ${MISSING[$peer]}"; ps="missing"; STATUS=3
    elif [ -n "${FAILED[$peer]:-}" ] || [ -z "$ps" ]; then
        verdict="ERROR: $peer: ${FAILED[$peer]:-did not run}"; ps="error"; STATUS=3
    elif [ -n "${MISSING[dbn4j]:-}" ] || [ -n "${FAILED[dbn4j]:-}" ] || [ -z "$ds" ]; then
        verdict="ERROR: dbn4j: ${MISSING[dbn4j]:-${FAILED[dbn4j]:-did not run}}"; ds="error"; STATUS=3
    else
        ratio="$(awk -v a="$ps" -v b="$ds" 'BEGIN { printf "%.2f", a / b }')"
        if [ "$bar" = "-" ]; then
            verdict="$info"
        elif awk -v r="$ps" -v d="$ds" -v bar="$bar" 'BEGIN { exit !(r / d >= bar) }'; then
            verdict="PASS"
        else
            verdict="FAIL"; [ "$STATUS" -eq 0 ] && STATUS=1
        fi
    fi
    [ "$bar" = "-" ] || bar=">=$bar"
    printf '%-36s %9s %-7s %9s %7s %6s  %s\n' "$wl" "${ds:--}" "$peer" "$ps" "$ratio" "$bar" "$verdict${note:+ $note}"
}
wants numpy && row rbm-cd1-784-500 numpy 1.5
wants torch && row mlp-784-500-500-10-relu torch 1.2
wants dl4j && row mlp-784-500-500-10-relu dl4j 3
if wants sklearn; then
    row mlp-784-500-500-10-relu sklearn -
    # BernoulliRBM is PCD-1 (persistent chains, sampled negative visibles, no momentum/weight cost): a different
    # algorithm with the same five GEMMs per batch, set beside dbn4j's CD-1 epoch for scale only.
    row rbm-pcd1-784-500 sklearn - rbm-cd1-784-500 "(PCD-1 vs CD-1: sklearn PCD-1 epoch / dbn4j CD-1 epoch)"
fi
if runs logistic; then
    wants numpy && row logistic-784-10 numpy -
    wants torch && row logistic-784-10 torch -
    wants sklearn && row logistic-sgd-ovr-784-10 sklearn - logistic-784-10 \
        "(SGDClassifier: one-vs-rest, per-sample SGD, float64, vs dbn4j softmax batch $BATCH)"
fi
runs cd10 && wants numpy && row rbm-cd10-784-500 numpy -
runs pcd15 && wants numpy && row rbm-pcd15-784-500 numpy - rbm-pcd15-784-500 "($PCD_ROWS rows)"
if runs dbn; then
    wants numpy && row "$DBN_PRE" numpy - "$DBN_PRE" "($DBN_ROWS rows)"
    wants torch && row "$DBN_FINE" torch - "$DBN_FINE" "($DBN_ROWS rows)"
fi

# Context for a noisy machine: the spread of the epochs, each participant's GEMM floor (the same GEMMs alone, in
# the same process and library), and what each ratio would be at the floors.
echo
echo "context: epoch s median/min/max of the measured epochs; GEMM s = the same GEMMs alone (median);" \
     "spread = max/min"
printf '%-7s %-36s %8s %8s %8s %8s %10s %7s
' who workload median min max "GEMM s" epoch/GEMM spread
stats() { # RESULT line -> "median min max floor"
    local list
    list="$(field "$1" epoch_s)"
    printf '%s %s %s
' "$(field "$1" epoch_s_median)" "$list" "$(field "$1" gemm_floor_s_median)" | awk '{
        n = split($2, t, ","); mn = t[1]; mx = t[1]
        for (i = 2; i <= n; i++) { if (t[i] < mn) mn = t[i]; if (t[i] > mx) mx = t[i] }
        printf "%s %s %s %s", $1, mn, mx, ($3 == "" ? "-" : $3) }'
}
for pair in dbn4j:rbm-cd1-784-500 numpy:rbm-cd1-784-500 dbn4j:mlp-784-500-500-10-relu \
            torch:mlp-784-500-500-10-relu dl4j:mlp-784-500-500-10-relu sklearn:mlp-784-500-500-10-relu \
            sklearn:rbm-pcd1-784-500 dbn4j:logistic-784-10 numpy:logistic-784-10 torch:logistic-784-10 \
            sklearn:logistic-sgd-ovr-784-10 dbn4j:rbm-cd10-784-500 numpy:rbm-cd10-784-500 \
            dbn4j:rbm-pcd15-784-500 numpy:rbm-pcd15-784-500 "dbn4j:$DBN_PRE" \
            "numpy:$DBN_PRE" "dbn4j:$DBN_FINE" "torch:$DBN_FINE"; do
    who="${pair%%:*}"; wl="${pair#*:}"
    line="$(result "$who" "$wl")"
    [ -n "$line" ] || continue
    read -r med mn mx fl <<<"$(stats "$line")"
    awk -v who="$who" -v wl="$wl" -v med="$med" -v mn="$mn" -v mx="$mx" -v fl="$fl" 'BEGIN {
        printf "%-7s %-36s %8.3f %8.3f %8.3f %8s %10s %7.2f\n", who, wl, med, mn, mx,
            (fl == "-" ? "-" : sprintf("%.3f", fl)), (fl == "-" ? "-" : sprintf("%.2f", med / fl)), mx / mn }'
done
for pair in numpy:rbm-cd1-784-500:1.5 torch:mlp-784-500-500-10-relu:1.2 dl4j:mlp-784-500-500-10-relu:3 \
            sklearn:mlp-784-500-500-10-relu:- sklearn:rbm-pcd1-784-500:-:rbm-cd1-784-500; do
    IFS=: read -r peer wl bar dwl <<<"$pair"
    [ "$BATCH" = 100 ] || bar="-"
    d="$(result dbn4j "${dwl:-$wl}")"; p="$(result "$peer" "$wl")"
    [ -n "$d" ] && [ -n "$p" ] || continue
    read -r dmed dmin dmax dfl <<<"$(stats "$d")"
    read -r pmed pmin pmax pfl <<<"$(stats "$p")"
    awk -v peer="$peer" -v wl="$wl" -v dwl="$dwl" -v bar="$bar" -v dmin="$dmin" -v pmin="$pmin" -v dfl="$dfl" -v pmed="$pmed" -v pfl="$pfl" \
        'BEGIN {
        printf "%-7s %-24s ratio of the fastest epochs %.2f (%s%s)", peer, wl, pmin / dmin,
            (bar == "-" ? "no bar" : "bar >=" bar), (dwl != "" ? "; against dbn4j " dwl ": PCD-1 vs CD-1" : "")
        if (dfl != "-") printf "; ratio if dbn4j ran at its GEMM floor %.2f", pmed / dfl
        if (dfl != "-" && pfl != "-") printf "; ratio of the two GEMM floors %.2f", pfl / dfl
        printf "\n" }'
done

echo
echo "participants (OpenBLAS core type and threads as each reported them;" \
     "OpenBLAS env: $(show OPENBLAS_CORETYPE) $(show OPENBLAS_L2_SIZE))"
printf '%-7s %-36s %8s %-14s %-13s %s\n' who workload threads "OpenBLAS core" "process" "blas details"
for who in dbn4j numpy torch dl4j sklearn; do
    wants "$who" || continue
    found=0
    for wl in rbm-cd1-784-500 rbm-pcd1-784-500 mlp-784-500-500-10-relu logistic-784-10 logistic-sgd-ovr-784-10 \
              rbm-cd10-784-500 rbm-pcd15-784-500 "$DBN_PRE" "$DBN_FINE"; do
        line="$(result "$who" "$wl")"
        [ -n "$line" ] || continue
        found=1
        printf '%-7s %-36s %8s %-14s %-13s %s\n' "$who" "$wl" "$(field "$line" threads)" \
            "$(core_of "$who" "$line")" "$(cpu_use "$who")" "$(field "$line" blas)"
    done
    if [ "$found" = 0 ]; then
        why="${FAILED[$who]:-no result}"
        [ -n "${MISSING[$who]:-}" ] && why="missing: ${MISSING[$who]}"
        printf '%-7s %-36s %8s %-14s %-13s %s\n' "$who" - - - - "$why"
    fi
done
for who in numpy torch sklearn; do
    if [ -f "$LOGS/$who.out" ] && grep -q "blas=.*not-openblas" "$LOGS/$who.out"; then
        echo "WARNING: $who is not running on OpenBLAS (see its blas= field); with Debian's reference libblas3 it is" \
             "far slower than it should be: apt-get install libopenblas0-pthread"
    fi
done
echo "logs: $LOGS"
exit "$STATUS"
