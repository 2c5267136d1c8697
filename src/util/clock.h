/*
 * clock.h: the time, injectable. Everything that records or compares dates
 * asks here, so tests can set the clock (in a test build, CUTOVER_NOW=
 * "YYYY-MM-DDTHH:MM:SSZ"; see fault.h).
 */
#ifndef CUTOVER_UTIL_CLOCK_H
#define CUTOVER_UTIL_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Seconds since the epoch: the test clock when a test build sets one (fault.h),
 * else the system's. */
time_t Co_clock_now(void);
/* A monotonic clock in seconds, for durations. */
double Co_clock_mono(void);
/* Sleeps for seconds (fractions too; nothing when seconds <= 0). A signal
 * that interrupts the sleep ends it early: the caller's loop looks again
 * (at its deadline, at a flag the handler set). */
void Co_pause(double seconds);
/* Co_pause for ms milliseconds: the pause between the attempts of a retry. */
void Co_pause_ms(long ms);
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void Co_clock_iso(time_t t, char *buf, size_t cap);
/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z]" as UTC; -1 when invalid. */
time_t Co_clock_parse(const char *s);

#endif
