#!/bin/sh
# Deletes each JNI library under $1 (target/) that is older than the static kernel library it links from $2 (the
# CMake build): libdbn4j_cpu.a for libjniCpuKernels.so, libdbn4j_cuda.a for libjniCudaKernels.so, cuda_host/'s for the
# emulated backend's. JavaCPP does not relink a JNI library that exists when only the static library under it has
# changed, and the tests would run the old kernels; deleted, it is linked again. Run by Maven before the
# javacpp-build executions.
find "$1" -name 'libjni*Kernels.so' | while IFS= read -r so; do
  case "$so" in
    */cuda-host-classes/*) lib="$2/cuda_host/libdbn4j_cuda.a" ;;
    *libjniCpuKernels.so) lib="$2/libdbn4j_cpu.a" ;;
    *) lib="$2/libdbn4j_cuda.a" ;;
  esac
  if [ "$lib" -nt "$so" ]; then
    echo "dbn4j: $so is older than $lib: deleted, to be linked again"
    rm -f "$so"
  fi
done
