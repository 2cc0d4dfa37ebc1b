#!/bin/sh
# Deletes each JNI library under $1 (target/) that is older than its static kernel library under $2 (the CMake
# build: libdbn4j_cpu.a for libjniCpuKernels.so, libdbn4j_cuda.a for libjniCudaKernels.so), so that JavaCPP links it
# again: JavaCPP does not relink a JNI library that exists when only the static library under it has changed, and the
# tests would run the old kernels. Run by Maven before the javacpp-build executions.
for so in $(find "$1" -name 'libjni*Kernels.so'); do
  case "$so" in
    *libjniCpuKernels.so) lib=libdbn4j_cpu.a ;;
    *) lib=libdbn4j_cuda.a ;;
  esac
  if [ -n "$(find "$2" -name "$lib" -newer "$so")" ]; then
    echo "dbn4j: $so is older than $lib: deleted, to be linked again"
    rm -f "$so"
  fi
done
