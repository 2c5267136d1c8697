/*
 * fuzz.h: what every harness in tests/fuzz defines: libFuzzer's entry point.
 * Built with clang -fsanitize=fuzzer by `make fuzz`, or linked with replay.c
 * (a plain main that runs it over saved inputs) for `make check`.
 */
#ifndef CUTOVER_FUZZ_H
#define CUTOVER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input through the parser under test; returns 0. Crashes, hangs
 * and sanitizer reports are the findings. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
