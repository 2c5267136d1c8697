/*
 * fuzz_csv.c: the CSV reader that `cutover review apply` and the scoring
 * files go through (util/csv.h), record by record to the end, and each cell
 * through what reads cells: the canonical key decoder (review pairs' keys)
 * and the date parser.
 */
#include "fuzz.h"
#include "util/clock.h"
#include "util/csv.h"
#include "util/key.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "rb");
    if (!in)
        return 0;
    co_csv_reader r;
    Co_csv_init(&r, in, "fuzz.csv");
    co_error err;
    co_error_clear(&err);
    bool more = true;
    for (int records = 0; records < 100000 && more; records++) {
        if (Co_csv_next(&r, &more, &err) != CO_OK)
            break;
        for (size_t i = 0; more && i < r.n; i++) {
            const char *cell = Co_csv_cell_at(&r, i);
            co_value vals[8];
            size_t n = 0;
            co_buf storage = CO_BUF_INIT;
            co_error ignored;
            Co_key_decode(cell, vals, 8, &n, &storage, &ignored);
            Co_buf_release(&storage);
            (void)Co_clock_parse(cell);
        }
    }
    Co_csv_release(&r);
    fclose(in);
    return 0;
}
