// The emulation test programs' check: prints "ok" or "FAIL" and the formatted description, and
// counts failures in `failures` (the program's exit status reports them).
#pragma once

#include <cstdarg>
#include <cstdio>

namespace {

int failures = 0;

void check(bool ok, const char* format, ...) {
    va_list args;
    va_start(args, format);
    std::printf("%s ", ok ? "ok  " : "FAIL");
    std::vprintf(format, args);
    std::printf("\n");
    va_end(args);
    if (!ok) ++failures;
}

}  // namespace
