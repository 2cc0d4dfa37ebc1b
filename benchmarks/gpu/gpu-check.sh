#!/usr/bin/env bash
# The whole GPU check in one call, for a machine with CUDA (nvcc, cuBLAS) and no Java and no network:
#   1. builds the native library with the CUDA backend (-DDBN4J_CUDA=ON: sm_80, sm_90, PTX) and runs the native
#      tests, test_cuda included (every CUDA kernel against the CPU library; bit-exact random stream),
#   2. if gpu-carry/ is there (made beforehand by benchmarks/gpu/pack.sh on a machine with Java): unpacks the Java
#      runtime and jars, runs the Java GPU tests (every CUDA kernel and a training step of every model against the
#      CPU backend), dbn4j's GPU training benchmark (dbn4j.bench.GpuBench) and the accuracies of AccuracyBench --quick
#      on the bundled Fashion-MNIST sample trained on the GPU and on the CPU,
#   3. measures PyTorch's reference numbers on the same card (eager and CUDA graph),
#   4. writes the summary with the table: dbn4j beside PyTorch, with ratios,
#   5. then, in what is left of 8 minutes, the accuracy bars trained on the GPU on the full Fashion-MNIST (where
#      gpu-carry/ holds it), adds them to the summary and prints it: the tables last.
# Without a GPU it says "no GPU", still builds and runs what needs none (the CUDA tests then skip), and exits 0.
# Usage: benchmarks/gpu/gpu-check.sh [OUTDIR]   (writes logs to OUTDIR, default ${OUT:-target/gpu-check})
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${OUT:-target/gpu-check}}
mkdir -p "$out"
# At most 8 files land in $out (the device tool returns 8): summary.txt, native.log, java-tests.log, dbn4j.txt,
# torch.txt, accuracy-cuda.txt, accuracy-cpu.txt, accuracy-full-cuda.txt.
summary="$out/summary.txt"
status=0
jobs=$(nproc 2> /dev/null || echo 4)
t_start=$(date +%s)
if nvidia-smi -L > /dev/null 2>&1; then gpu=yes; else gpu=no; fi
{
  if [ "$gpu" = yes ]; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  else
    echo "no GPU (nvidia-smi -L failed or is missing)"
  fi
  command -v nvcc > /dev/null && nvcc --version | tail -1
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $jobs cores"
} > "$summary" 2>&1
elapsed() { echo "$(( $(date +%s) - t_start )) s"; }

# ---- 1. native build with the CUDA backend, in the background (CPU only) while the Java GPU tests run ----
native_log="$out/native.log"
if command -v nvcc > /dev/null; then
  # The host emulation of the kernels (test_cuda_host) needs no GPU and runs in CI: not built here.
  ( cmake -S native -B target/native-gpu -DCMAKE_BUILD_TYPE=Release -DDBN4J_CUDA=ON -DDBN4J_CUDA_HOST_TESTS=OFF \
      && nice cmake --build target/native-gpu --parallel "$jobs" ) > "$native_log" 2>&1 &
  native_pid=$!
else
  echo "no nvcc: native CUDA build skipped" > "$native_log"
  native_pid=""
fi

# ---- 2. Java: GPU tests and benchmark from the carried runtime and jars ----
java_tests="not run (no gpu-carry/: run benchmarks/gpu/pack.sh where Java is)"
java_bench="not run"
run=target/gpu-run
have_java=no
# pack.sh's archives are xz-compressed tars: Python unpacks them (the machine need not have xz).
unpack() {
  python3 - "$1" "$2" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    try:
        t.extractall(sys.argv[2], filter="fully_trusted")
    except TypeError:  # Python before 3.12: no filter argument
        t.extractall(sys.argv[2])
PY
}
if [ -f gpu-carry/jre.tar.xz ] && [ -f gpu-carry/jars.tar.xz ]; then
  rm -rf "$run" && mkdir -p "$run"
  if unpack gpu-carry/jre.tar.xz "$run" && unpack gpu-carry/jars.tar.xz "$run"; then
    have_java=yes
  else
    java_tests="not run: unpacking gpu-carry/jre.tar.xz or jars.tar.xz failed"; status=1
  fi
  if [ -f gpu-carry/fashion-mnist.tar.xz ] && ! unpack gpu-carry/fashion-mnist.tar.xz "$run"; then
    echo "gpu-carry/fashion-mnist.tar.xz: unpacking failed" >> "$summary"
    rm -rf "$run/fashion-mnist"
  fi
elif [ -f gpu-carry/jre.tar.gz ]; then
  java_tests="not run: gpu-carry/ is from an older pack.sh (jre.tar.gz); run benchmarks/gpu/pack.sh again"
fi
if [ "$have_java" = yes ]; then
  # JavaCPP unpacks the native libraries from the jars into its cache: keep it inside the run folder.
  java="$run/jre/bin/java -Dorg.bytedeco.javacpp.cachedir=$run/javacpp-cache"
  # The bytedeco cuda presets load libcudart.so.13, libcublas.so.13 and libcublasLt.so.13 from the machine: add
  # every folder that holds one (toolkit, system, pip wheels of PyTorch), the toolkit's first.
  libdirs=""
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
        $(ldconfig -p 2> /dev/null | awk -v l="$lib" '$1 == l {print $NF}' | xargs -r -n1 dirname) \
        $(find /usr/local /usr/lib /opt -maxdepth 7 -name "$lib" 2> /dev/null | xargs -r -n1 dirname) \
        $(python3 -c "import site; print('\\n'.join(site.getsitepackages()))" 2> /dev/null \
          | xargs -r -I{} find {} -maxdepth 4 -name "$lib" 2> /dev/null | xargs -r -n1 dirname); do
      if [ -e "$d/$lib" ]; then
        case ":$libdirs:" in *":$d:"*) ;; *) libdirs="$libdirs:$d" ;; esac
        break
      fi
    done
  done
  export LD_LIBRARY_PATH="${libdirs#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >> "$summary"
  cp="$run/jars/benchmarks.jar:$run/jars/dbn4j-tests.jar"
  # The Fashion-MNIST sample bundled in the jar (4000 train, 1000 test images), for the accuracy comparison.
  sample="$run/fashion-mnist-sample"
  python3 - "$run/jars/benchmarks.jar" "$sample" <<'PY'
import os, sys, zipfile
jar, dest = sys.argv[1], sys.argv[2]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(jar) as z:
    for name in z.namelist():
        if name.startswith("dbn4j/data/fashion-mnist-sample/") and name.endswith(".gz"):
            with open(os.path.join(dest, os.path.basename(name)), "wb") as f:
                f.write(z.read(name))
PY
  # The CPU side of the accuracy comparison needs no GPU: it runs now, beside the native build.
  OPENBLAS_NUM_THREADS=1 timeout 120 $java -Ddbn4j.backend=cpu -Ddbn4j.data.fashionMnist="$sample" -cp "$cp" \
    dbn4j.bench.AccuracyBench --quick > "$out/accuracy-cpu.txt" 2>&1 &
  acc_cpu_pid=$!
  # Test classes are selected one by one: scanning a package inside a jar needs jdk.zipfs, not in the runtime.
  # On a GPU machine the CUDA tests must run: an unusable backend fails them instead of skipping them.
  required=$([ "$gpu" = yes ] && echo true || echo false)
  if timeout 150 $java -Ddbn4j.backend=auto -Ddbn4j.cuda.required=$required \
      -jar "$run/jars/junit-platform-console-standalone.jar" execute --disable-banner --details=tree \
      --class-path "$cp" --select-class dbn4j.cuda.CudaKernelTest --select-class dbn4j.cuda.GemmCallTest \
      --select-class dbn4j.cuda.CudaBindingTest --select-class dbn4j.cuda.CudaThreadsTest \
      --select-class dbn4j.nn.CudaTrainingTest \
      --select-class dbn4j.BackendsTest > "$out/java-tests.log" 2>&1; then
    java_tests="$(grep -E "tests (successful|aborted|failed)" "$out/java-tests.log" | tr -s ' ' | paste -sd, -)"
  else
    java_tests="FAILED (see java-tests.log): $(grep -E "tests (successful|failed)" "$out/java-tests.log" \
      | tr -s ' ' | paste -sd, -)"; status=1
  fi
  echo "Java GPU tests done at $(elapsed)" >> "$summary"
fi

# ---- 1b. native tests, test_cuda included (every CUDA kernel against the CPU library; bit-exact random stream) ----
if [ -z "$native_pid" ]; then
  build="skipped (no nvcc)"; tests="skipped"
elif wait "$native_pid"; then
  build=ok
  if timeout 120 ctest --test-dir target/native-gpu --output-on-failure >> "$native_log" 2>&1; then
    tests=$(grep -E "tests passed" "$native_log")
    # ctest counts a skipped test as passed: on a GPU machine test_cuda (ctest's "cuda") must have run.
    if [ "$gpu" = yes ] && ! grep -qE "Test +#[0-9]+: cuda \.+ +Passed" "$native_log"; then
      tests="$tests, but test_cuda did not run (see native.log)"; status=1
    fi
  else
    tests="FAILED (see native.log)"; status=1
  fi
else
  build="FAILED (see native.log)"; tests="not run"; status=1
fi
echo "native build and tests done at $(elapsed)" >> "$summary"

# ---- 2b. GPU benchmark and accuracy trained on the GPU; nothing else runs on the machine meanwhile ----
if [ "$have_java" = yes ]; then
  wait "$acc_cpu_pid" || { echo "accuracy on cpu: FAILED (see accuracy-cpu.txt)" >> "$summary"; status=1; }
  if [ "$gpu" = yes ]; then
    if timeout 180 $java -Ddbn4j.backend=cuda -cp "$cp" dbn4j.bench.GpuBench > "$out/dbn4j.txt" 2>&1; then
      java_bench=ok
    else
      java_bench="FAILED (see dbn4j.txt)"; status=1
    fi
    echo "GpuBench done at $(elapsed)" >> "$summary"
  else
    java_bench="skipped: no GPU"
  fi
fi

# ---- 3. PyTorch reference on the same card ----
if [ "$gpu" = no ]; then
  echo "torch: skipped, no GPU" > "$out/torch.txt"
elif python3 -c "import torch" 2> /dev/null; then
  PYTHONUNBUFFERED=1 timeout 150 python3 benchmarks/gpu/torch_reference.py > "$out/torch.txt" 2>&1 || status=1
  echo "torch reference done at $(elapsed)" >> "$summary"
else
  echo "torch: missing" > "$out/torch.txt"
fi

# ---- 2c. accuracy trained on the GPU (AccuracyBench --quick on the bundled sample), beside the CPU's ----
if [ "$have_java" = yes ] && [ "$gpu" = yes ]; then
  timeout 150 $java -Ddbn4j.backend=cuda -Ddbn4j.data.fashionMnist="$sample" -cp "$cp" dbn4j.bench.AccuracyBench \
    --quick > "$out/accuracy-cuda.txt" 2>&1 || { echo "accuracy on cuda: FAILED (see accuracy-cuda.txt)" >> "$summary"; status=1; }
  echo "GPU accuracy done at $(elapsed)" >> "$summary"
fi

# ---- 4. summary, the table last ----
{
  echo
  echo "== dbn4j GPU check =="
  echo "native build with CUDA: $build"
  echo "native tests (test_cuda included): $tests"
  grep -E "Test +#[0-9]+: cuda " "$native_log" | tail -1 | sed 's/^[0-9]*\/[0-9]* /  test_cuda: /'
  echo "Java GPU tests: $java_tests"
  [ -f "$out/java-tests.log" ] && grep -E "SKIP tests tagged cuda|dbn4j backend:|\[X\]" "$out/java-tests.log" | head -8
  echo "dbn4j GPU benchmark: $java_bench"
  [ -f "$out/dbn4j.txt" ] && grep -E "^# |^FAILED|^Exception" "$out/dbn4j.txt" | head -8
  grep -E "^# torch|missing|skipped|Error" "$out/torch.txt" | head -3
  for b in cuda cpu; do
    if [ -f "$out/accuracy-$b.txt" ]; then
      echo "accuracy, trained on $b (AccuracyBench --quick, bundled sample; test accuracy column):"
      sed -n '/^model /,$p' "$out/accuracy-$b.txt" | sed 's/^/  /'
    fi
  done
  if [ "$gpu" = yes ]; then
    cat "$out/torch.txt" "$out/dbn4j.txt" 2> /dev/null | python3 benchmarks/gpu/table.py || status=1
  else
    echo "no GPU: no benchmark table"
  fi
} >> "$summary" 2>&1

# ---- 5. last (the table is in summary.txt already if this runs out of time): the accuracy bars of the models
# issue trained on the GPU on the full Fashion-MNIST, which pack.sh carries when its machine has it, in what is left
# of 8 minutes ----
if [ "$have_java" = yes ] && [ "$gpu" = yes ] && [ -f "$run/fashion-mnist/train-images-idx3-ubyte" ]; then
  left=$(( 470 - ($(date +%s) - t_start) ))
  [ "$left" -lt 60 ] && left=60
  if timeout "$left" $java -Ddbn4j.backend=cuda -Ddbn4j.data.fashionMnist="$run/fashion-mnist" -cp "$cp" \
      dbn4j.bench.AccuracyBench > "$out/accuracy-full-cuda.txt" 2>&1; then
    { echo "accuracy bars, trained on cuda (AccuracyBench, full Fashion-MNIST; done at $(elapsed)):"
      sed -n '/^model /,$p' "$out/accuracy-full-cuda.txt" | sed 's/^/  /'; } >> "$summary"
  else
    echo "accuracy bars on cuda, full Fashion-MNIST: FAILED or out of time after ${left} s (see accuracy-full-cuda.txt)" \
      >> "$summary"
    status=1
  fi
else
  echo "accuracy bars on the full Fashion-MNIST: not run (no GPU, no Java, or gpu-carry/ without fashion-mnist.tar.xz)" \
    >> "$summary"
fi
echo "total $(elapsed), exit status $status" >> "$summary"
cat "$summary"
exit $status
