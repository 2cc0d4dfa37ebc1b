#!/bin/sh
# Deletes each JNI library under $1 (target/) that is older than a static kernel library under $2 (the CMake build),
# so that JavaCPP links it again: JavaCPP does not relink a JNI library that exists when only the static library under
# it has changed, and the tests would run the old kernels. Run by Maven before the javacpp-build executions.
for so in $(find "$1" -name 'libjni*Kernels.so'); do
  if [ -n "$(find "$2" -name 'libdbn4j_*.a' -newer "$so")" ]; then
    echo "dbn4j: $so is older than a kernel library: deleted, to be linked again"
    rm -f "$so"
  fi
done
