/* clock.c: the injectable clock of clock.h. */
#include "util/clock.h"
#include "util/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

time_t Co_clock_parse(const char *s)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    char tail[8] = "";
    int n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%7s", &y, &mo, &d, &h, &mi, &sec, tail);
    if (n != 3 && n != 6 && n != 7)
        return -1;
    if (n == 7 && strcmp(tail, "Z") != 0)
        return -1;
    if (n == 3 && strlen(s) != 10)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return timegm(&tm);
}

time_t Co_clock_now(void)
{
    time_t t;
    if (Co_fault_clock(&t)) /* a test build's fixed clock (fault.h) */
        return t;
    return time(NULL);
}

double Co_clock_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void Co_pause(double seconds)
{
    if (!(seconds > 0))
        return;
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    if (ts.tv_nsec >= 1000000000L) /* rounding */
        ts.tv_nsec = 999999999L;
    nanosleep(&ts, NULL);
}

void Co_pause_ms(long ms) { Co_pause((double)ms / 1000.0); }

void Co_clock_iso(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
