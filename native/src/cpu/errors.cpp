/*
 * Error reporting of the C API: a per-thread message buffer read by dbn4j_last_error().
 * Every entry point returns a DBN4J_* code and, on failure, formats "<function>: <what is wrong>" here.
 * Test: ctest --test-dir <build> -R errors
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

namespace dbn4j {

namespace {
// Per thread, so a Java thread reads the message of its own failed call.
thread_local char g_message[512];
} // namespace

int fail(int code, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(g_message, sizeof g_message, fmt, args);
    va_end(args);
    return code;
}

} // namespace dbn4j

extern "C" const char *dbn4j_last_error(void) { return dbn4j::g_message; }
