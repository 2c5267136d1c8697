/*
 * colstats.c: one column's statistics (colstats.h). Co_colstats_add runs on
 * every value of every table, so it neither allocates nor formats: it hashes
 * the value once (for the sketch and the counters alike), compares it with
 * the kept bounds and classifies it. Formatting happens once per column, at
 * the end.
 */
#include "audit/colstats.h"
#include "util/json.h"
#include "util/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define SHOW_HEX 28 /* bytes of a value shown in hex: "x'...'" stays under CO_SHOWN_BYTES */

void Co_colstats_init(co_colstats *st)
{
    memset(st, 0, sizeof *st);
    Co_hll_init(&st->hll);
    Co_topk_init(&st->topk);
}

/* ---- values ----------------------------------------------------------------- */

/* The hash of a value's canonical form: integers, and reals that hold one,
 * by value; other reals by their bits; text and blob by their bytes, each
 * type in its own space. */
static uint64_t value_hash(const co_value *v)
{
    switch (v->type) {
    case CO_INT: return XXH3_64bits_withSeed(&v->i, sizeof v->i, 1);
    case CO_REAL:
        if (v->r == floor(v->r) && v->r >= -9.2e18 && v->r <= 9.2e18) {
            int64_t i = (int64_t)v->r;
            return XXH3_64bits_withSeed(&i, sizeof i, 1);
        }
        return XXH3_64bits_withSeed(&v->r, sizeof v->r, 2);
    case CO_TEXT: return XXH3_64bits_withSeed(v->s, v->len, 3);
    case CO_BLOB: return XXH3_64bits_withSeed(v->s, v->len, 4);
    case CO_NULL: break;
    }
    return 0;
}

/* A real as SQLite writes it as text: 15 significant digits, "5.0" not "5". */
static size_t real_text(double r, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%.15g", r);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    if (!strpbrk(out, ".eni") && (size_t)n + 2 < cap) {
        memcpy(out + n, ".0", 3);
        n += 2;
    }
    return (size_t)n;
}

/* Bytes of the value's text form (blobs: their bytes). */
static int64_t text_length(const co_value *v)
{
    if (v->type == CO_INT) {
        uint64_t u = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
        int64_t n = v->i < 0 ? 2 : 1;
        while (u >= 10) {
            u /= 10;
            n++;
        }
        return n;
    }
    if (v->type == CO_REAL) {
        char tmp[40];
        return (int64_t)real_text(v->r, tmp, sizeof tmp);
    }
    return (int64_t)v->len;
}

static void keep(co_kept *k, const co_value *v, bool valid_utf8)
{
    k->type = v->type;
    k->i = v->i;
    k->r = v->r;
    k->len = v->len;
    k->valid_utf8 = valid_utf8;
    if (v->type == CO_TEXT || v->type == CO_BLOB) {
        size_t n = v->len < CO_KEPT_BYTES ? v->len : CO_KEPT_BYTES;
        memcpy(k->bytes, v->s, n);
        k->bytes[n] = '\0';
    }
}

/* The kept value as a co_value whose bytes are the kept ones (len stays full). */
static co_value kept_value(const co_kept *k)
{
    co_value v = {k->type, k->i, k->r, k->bytes, k->len};
    return v;
}

/* SQLite's order: numbers, then text, then blobs. */
static int order_class(co_type t) { return t == CO_TEXT ? 2 : t == CO_BLOB ? 3 : 1; }

/* Compares v with a kept value in SQLite's order (text by bytes). When k was
 * cut and v agrees with all of it, they count as equal: the bound stays. */
static int compare_kept(const co_value *v, const co_kept *k)
{
    int cv = order_class(v->type), ck = order_class(k->type);
    if (cv != ck)
        return cv < ck ? -1 : 1;
    if (cv == 1) {
        if (v->type == CO_INT && k->type == CO_INT)
            return v->i < k->i ? -1 : v->i > k->i;
        double a = v->type == CO_INT ? (double)v->i : v->r;
        double b = k->type == CO_INT ? (double)k->i : k->r;
        return a < b ? -1 : a > b;
    }
    size_t nk = k->len < CO_KEPT_BYTES ? k->len : CO_KEPT_BYTES;
    int c = memcmp(v->s, k->bytes, v->len < nk ? v->len : nk);
    if (c != 0)
        return c;
    if (v->len < nk)
        return -1; /* v is a prefix of k */
    if (k->len > CO_KEPT_BYTES)
        return 0;
    return v->len > k->len;
}

/* ---- showing values ----------------------------------------------------------- */

static void add_hex(co_buf *out, const char *s, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        Co_buf_addc(out, digits[(unsigned char)s[i] >> 4]);
        Co_buf_addc(out, digits[(unsigned char)s[i] & 15]);
    }
}

/* The text form of v shortened to CO_SHOWN_BYTES (colstats.h); v's bytes
 * are its first CO_KEPT_BYTES. */
static void show_text(const co_value *v, bool valid_utf8, co_buf *out)
{
    char tmp[40];
    switch (v->type) {
    case CO_NULL: return;
    case CO_INT: Co_buf_printf(out, "%lld", (long long)v->i); return;
    case CO_REAL: Co_buf_add(out, tmp, real_text(v->r, tmp, sizeof tmp)); return;
    case CO_TEXT:
        if (valid_utf8) {
            size_t cut = v->len;
            if (cut > CO_SHOWN_BYTES) { /* room for "…", three bytes; not inside a character */
                cut = CO_SHOWN_BYTES - 3;
                while (cut > 0 && ((unsigned char)v->s[cut] & 0xC0) == 0x80)
                    cut--;
            }
            Co_buf_add(out, v->s, cut);
            if (cut < v->len)
                Co_buf_adds(out, "…");
            return;
        }
        break;
    case CO_BLOB: break;
    }
    Co_buf_adds(out, "x'");
    if (v->len <= SHOW_HEX) {
        add_hex(out, v->s, v->len);
    } else {
        add_hex(out, v->s, SHOW_HEX - 2);
        Co_buf_adds(out, "…");
    }
    Co_buf_addc(out, '\'');
}

void Co_kept_show(const co_kept *k, co_buf *out)
{
    co_value v = kept_value(k);
    show_text(&v, k->valid_utf8, out);
}

/* The value as JSON, shortened: a number (a real to 15 digits), a string,
 * or for text that is not valid UTF-8 and blobs {"type": ..., "hex": first
 * bytes, "bytes": length} (the form of util/json.h, with the length when the
 * hex is cut). */
static void show_json(const co_value *v, bool valid_utf8, co_buf *out)
{
    char tmp[40];
    if (v->type == CO_REAL && isfinite(v->r)) { /* 12.3, not 12.300000000000001 */
        Co_buf_add(out, tmp, real_text(v->r, tmp, sizeof tmp));
    } else if (v->type == CO_INT || v->type == CO_REAL || v->type == CO_NULL) {
        Co_json_value(out, v);
    } else if (v->type == CO_TEXT && valid_utf8) {
        co_buf text = CO_BUF_INIT;
        show_text(v, true, &text);
        Co_json_string(out, co_buf_str(&text), text.len);
        if (text.failed)
            out->failed = true;
        Co_buf_release(&text);
    } else {
        Co_buf_printf(out, "{\"type\":\"%s\",\"hex\":\"", v->type == CO_TEXT ? "text" : "blob");
        add_hex(out, v->s, v->len < SHOW_HEX ? v->len : SHOW_HEX);
        Co_buf_addc(out, '"');
        if (v->len > SHOW_HEX)
            Co_buf_printf(out, ",\"bytes\":%zu", v->len);
        Co_buf_addc(out, '}');
    }
}

/* ---- counting ----------------------------------------------------------------- */

static void note_example(co_col_example *slots, int *n, int64_t seq, int64_t rowid,
                         const co_value *v, bool valid_utf8)
{
    if (*n >= CO_COL_EXAMPLES)
        return;
    co_col_example *e = &slots[(*n)++];
    e->seq = seq;
    e->rowid = rowid;
    keep(&e->value, v, valid_utf8);
    e->utf8[0] = '\0';
    size_t offset;
    if ((v->type == CO_TEXT || v->type == CO_BLOB) && !Co_utf8_valid(v->s, v->len, &offset)) {
        co_buf why = CO_BUF_INIT;
        Co_utf8_why(v->s, v->len, offset, &why);
        snprintf(e->utf8, sizeof e->utf8, "%s", co_buf_str(&why));
        Co_buf_release(&why);
    } else if (v->type == CO_TEXT && Co_utf8_mojibake(v->s, v->len)) {
        snprintf(e->utf8, sizeof e->utf8, "UTF-8 read as latin1 (mojibake): mojibake_fix() repairs it");
    }
}

bool Co_colstats_add(co_colstats *st, const co_value *v, int64_t seq, int64_t rowid)
{
    if (v->type == CO_NULL) {
        st->nulls++;
        return false;
    }
    st->nonnull++;
    int64_t len = text_length(v);
    if (st->nonnull == 1 || len < st->min_len)
        st->min_len = len;
    if (len > st->max_len)
        st->max_len = len;
    st->len_sum += len;

    bool valid = v->type != CO_TEXT || Co_utf8_valid(v->s, v->len, NULL);
    uint64_t hash = value_hash(v);
    Co_hll_add(&st->hll, hash);
    Co_topk_add(&st->topk, hash, v, valid);
    if (st->nonnull == 1 || compare_kept(v, &st->min) < 0)
        keep(&st->min, v, valid);
    if (st->nonnull == 1 || compare_kept(v, &st->max) > 0)
        keep(&st->max, v, valid);

    if (Co_value_blank(v)) {
        st->empties++;
        return false;
    }
    if (!valid || (v->type == CO_TEXT && Co_utf8_mojibake(v->s, v->len))) {
        st->bad_utf8++; /* invalid UTF-8, or UTF-8 read as latin1 */
        note_example(st->bad, &st->nbad, seq, rowid, v, valid);
        return true;
    }
    co_kind k = Co_classify(v);
    st->kinds[k]++;
    note_example(st->examples[k], &st->nexamples[k], seq, rowid, v, true);
    return true;
}

void Co_colstats_stamp(co_colstats *st, size_t slot, const co_value *stamp)
{
    if (!st->has_last[slot] || compare_kept(stamp, &st->last[slot]) > 0) {
        keep(&st->last[slot], stamp, true);
        st->has_last[slot] = true;
    }
}

/* ---- results ------------------------------------------------------------------ */

int64_t Co_colstats_filled(const co_colstats *st) { return st->nonnull - st->empties; }

co_kind Co_colstats_kind(const co_colstats *st, const char *decl_type, bool *imposed)
{
    co_kind declared = Co_declared_kind(decl_type);
    *imposed = declared != CO_KIND_EMPTY;
    if (Co_colstats_filled(st) == 0)
        return CO_KIND_EMPTY;
    if (*imposed)
        return declared;
    int64_t counts[CO_KIND_COUNT];
    memcpy(counts, st->kinds, sizeof counts);
    counts[CO_KIND_TEXT] += st->bad_utf8; /* text all the same */
    return Co_majority_kind(counts);
}

int64_t Co_colstats_failures(const co_colstats *st, co_kind want)
{
    int64_t failures = st->bad_utf8;
    for (int k = CO_KIND_INTEGER; k < CO_KIND_COUNT; k++)
        if (!Co_kind_fits(want, (co_kind)k))
            failures += st->kinds[k];
    return failures;
}

static int by_seq(const void *a, const void *b)
{
    const co_col_example *x = *(const co_col_example *const *)a;
    const co_col_example *y = *(const co_col_example *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Why example e fails a column of kind want. */
static void example_why(const co_col_example *e, co_kind want, const char *decl_type,
                        bool imposed, co_buf *why)
{
    if (e->value.type == CO_TEXT && (!e->value.valid_utf8 || e->utf8[0]))
        Co_buf_adds(why, e->utf8);
    else if (e->value.type == CO_BLOB && want == CO_KIND_TEXT && e->utf8[0])
        Co_buf_printf(why, "%s, stored as a blob", e->utf8); /* text a driver could not decode */
    else if (e->value.type == CO_TEXT && want == CO_KIND_DATE &&
             Co_zero_date(e->value.bytes, e->value.len))
        Co_buf_adds(why, "a zero date (MySQL): a strict date column (PostgreSQL, MySQL) refuses it");
    else if (e->value.type == CO_TEXT && want == CO_KIND_INTEGER &&
             Co_big_integer_text(e->value.bytes, e->value.len))
        Co_buf_adds(why, "an integer above 2^63-1 (BIGINT UNSIGNED): a 64-bit signed column refuses it");
    else
        Co_kind_why(want, e->value.type, imposed || want == CO_KIND_TEXT ? decl_type : NULL, why);
}

void Co_colstats_failures_json(const co_colstats *st, co_kind want, const char *decl_type,
                               bool imposed, co_buf *out)
{
    /* The first failures read: the first few of each failing kind hold them. */
    const co_col_example *chosen[CO_COL_EXAMPLES * (CO_KIND_COUNT + 1)];
    size_t n = 0;
    for (int i = 0; i < st->nbad; i++)
        chosen[n++] = &st->bad[i];
    for (int k = CO_KIND_INTEGER; k < CO_KIND_COUNT; k++)
        if (!Co_kind_fits(want, (co_kind)k))
            for (int i = 0; i < st->nexamples[k]; i++)
                chosen[n++] = &st->examples[k][i];
    qsort(chosen, n, sizeof chosen[0], by_seq);
    co_buf why = CO_BUF_INIT;
    Co_buf_addc(out, '[');
    for (size_t i = 0; i < n && i < CO_COL_EXAMPLES; i++) {
        const co_col_example *e = chosen[i];
        co_value v = kept_value(&e->value);
        Co_buf_reset(&why);
        example_why(e, want, decl_type, imposed, &why);
        Co_buf_printf(out, "%s{\"rowid\":%lld,\"value\":", i ? "," : "", (long long)e->rowid);
        show_json(&v, e->value.valid_utf8, out);
        Co_buf_adds(out, ",\"why\":");
        Co_json_string(out, co_buf_str(&why), why.len);
        Co_buf_addc(out, '}');
    }
    Co_buf_addc(out, ']');
    if (why.failed)
        out->failed = true;
    Co_buf_release(&why);
}

void Co_colstats_top_json(const co_colstats *st, co_buf *out)
{
    const co_topk_item *items[CO_COL_TOP];
    size_t n = Co_topk_certain(&st->topk, items, CO_COL_TOP);
    Co_buf_addc(out, '[');
    for (size_t i = 0; i < n && items[i]->count > 1; i++) {
        Co_buf_adds(out, i ? ",{\"value\":" : "{\"value\":");
        show_json(&items[i]->value, items[i]->valid_utf8, out);
        Co_buf_printf(out, ",\"count\":%lld}", (long long)items[i]->count);
    }
    Co_buf_addc(out, ']');
}
