/*
 * timefmt.c: dates and timestamps for the demo generator, in UTC and by hand
 * (days from civil, after Howard Hinnant's algorithms): millions of events
 * need a timestamp each, and strftime/gmtime per row would be the slowest
 * part of the generator and depend on the process's time zone.
 */
#include "demo/demo_int.h"

#include <string.h>

int64_t demo_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

bool demo_parse_date(const char *s, int64_t *secs)
{
    unsigned y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
        return false;
    if (y < 1971 || m < 1 || m > 12 || d < 1)
        return false;
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    unsigned last = mdays[m - 1] + (m == 2 && leap);
    if (d > last)
        return false;
    *secs = demo_days_from_civil(y, m, d) * DEMO_DAY;
    return true;
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

const char *demo_ts(demo_tsfmt *f, int64_t secs)
{
    int64_t day = secs >= 0 ? secs / DEMO_DAY : -((-secs + DEMO_DAY - 1) / DEMO_DAY);
    unsigned sod = (unsigned)(secs - day * DEMO_DAY);
    char *t = f->text;
    if (!f->valid || day != f->day) {
        int64_t y;
        unsigned m, d;
        civil_from_days(day, &y, &m, &d);
        unsigned yy = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
        put2(t, yy / 100);
        put2(t + 2, yy % 100);
        t[4] = '-';
        put2(t + 5, m);
        t[7] = '-';
        put2(t + 8, d);
        t[10] = 'T';
        t[13] = ':';
        t[16] = ':';
        t[19] = 'Z';
        t[20] = '\0';
        f->day = day;
        f->valid = true;
    }
    put2(t + 11, sod / 3600);
    put2(t + 14, sod / 60 % 60);
    put2(t + 17, sod % 60);
    return t;
}
