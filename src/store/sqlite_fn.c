/*
 * sqlite_fn.c: the SQL functions cutover installs on every SQLite connection
 * (store.h): the row hashes, sums, digests, rounding and canonical forms
 * that verify pushes into SQLite, cutover_keep, the test of a date no calendar
 * has that the month SQL makes, and the dedupe normalizers as SQL functions
 * (email_norm and co.).
 */
#include "dedupe/normalize.h"
#include "store/sqlite_int.h"
#include "util/canon.h"
#include "util/key.h"
#include "util/rowhash.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

/* ---- SQL functions for verification (store.h) --------------------------------- */

#define MAX_FUNCTION_ARGS 64

static co_value value_of(sqlite3_value *v)
{
    co_value out = {0};
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        out.type = CO_INT;
        out.i = sqlite3_value_int64(v);
        break;
    case SQLITE_FLOAT:
        out.type = CO_REAL;
        out.r = sqlite3_value_double(v);
        break;
    case SQLITE_TEXT:
        out.type = CO_TEXT;
        out.s = (const char *)sqlite3_value_text(v);
        out.len = (size_t)sqlite3_value_bytes(v);
        break;
    case SQLITE_BLOB:
        out.type = CO_BLOB;
        out.s = sqlite3_value_blob(v);
        out.len = (size_t)sqlite3_value_bytes(v);
        if (!out.s)
            out.s = "";
        break;
    default:
        break;
    }
    return out;
}

static bool values_of(sqlite3_context *ctx, int argc, sqlite3_value **argv, co_value *vals)
{
    if (argc > MAX_FUNCTION_ARGS) {
        sqlite3_result_error(ctx, "cutover: too many columns for a row hash", -1);
        return false;
    }
    for (int i = 0; i < argc; i++)
        vals[i] = value_of(argv[i]);
    return true;
}

static void fn_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    co_value vals[MAX_FUNCTION_ARGS];
    if (values_of(ctx, argc, argv, vals))
        sqlite3_result_int64(ctx, (sqlite3_int64)Co_row_hash(vals, (size_t)argc));
}

static void fn_hash_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    uint64_t *sum = sqlite3_aggregate_context(ctx, sizeof *sum);
    co_value vals[MAX_FUNCTION_ARGS];
    if (sum && values_of(ctx, argc, argv, vals))
        *sum += Co_row_hash(vals, (size_t)argc);
}

/* cutover_invalid_date(x): for text that starts with a date no calendar has
 * (four, two and two digits between dashes, not followed by a digit, whose
 * month is 00 or 13 and up, whose day is 00 or past the month's last, or
 * whose year is 0), CO_STORE_MONTH_INVALID and the text; NULL for anything
 * else. The month SQL asks it before strftime (sq_month_sql): a C test per
 * row costs less than the same test in SQL. */
static void fn_invalid_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_null(ctx);
        return;
    }
    const unsigned char *t = sqlite3_value_text(argv[0]);
    int len = sqlite3_value_bytes(argv[0]);
    static const char shape[] = "dddd-dd-dd";
    bool date = t && len >= 10 && (len == 10 || t[10] < '0' || t[10] > '9');
    for (int i = 0; date && i < 10; i++)
        date = shape[i] == '-' ? t[i] == '-' : t[i] >= '0' && t[i] <= '9';
    if (!date) {
        sqlite3_result_null(ctx);
        return;
    }
    int year = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
    int month = (t[5] - '0') * 10 + (t[6] - '0'), day = (t[8] - '0') * 10 + (t[9] - '0');
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    bool valid = year > 0 && month >= 1 && month <= 12 && day >= 1 &&
                 day <= days[month - 1] + (month == 2 && leap);
    if (valid) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t mark = strlen(CO_STORE_MONTH_INVALID);
    char *out = sqlite3_malloc64(mark + (size_t)len);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    memcpy(out, CO_STORE_MONTH_INVALID, mark);
    memcpy(out + mark, t, (size_t)len);
    sqlite3_result_text64(ctx, out, mark + (size_t)len, sqlite3_free, SQLITE_UTF8);
}

/* cutover_round(x, digits): Co_round_decimal for numbers, anything else as it is. */
static void fn_round(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int type = sqlite3_value_numeric_type(argv[0]);
    if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    sqlite3_result_double(ctx, Co_round_decimal(sqlite3_value_double(argv[0]),
                                                sqlite3_value_int(argv[1])));
}

/* The result of cutover_canon: arg itself when the canonical form left it as it was. */
static void canon_result(sqlite3_context *ctx, sqlite3_value *arg, co_canon_type t)
{
    char buf[CO_CANON_TEXT_MAX];
    co_value in = value_of(arg);
    co_value v = Co_canon_value(t, in, buf);
    if (v.type == in.type && v.s == in.s && v.i == in.i && (v.type != CO_REAL || v.r == in.r)) {
        sqlite3_result_value(ctx, arg);
        return;
    }
    switch (v.type) {
    case CO_NULL: sqlite3_result_null(ctx); break;
    case CO_INT: sqlite3_result_int64(ctx, v.i); break;
    case CO_REAL: sqlite3_result_double(ctx, v.r); break;
    case CO_TEXT: sqlite3_result_text64(ctx, v.s, v.len, SQLITE_TRANSIENT, SQLITE_UTF8); break;
    case CO_BLOB: sqlite3_result_blob64(ctx, v.s, v.len, SQLITE_TRANSIENT); break;
    }
}

/* cutover_canon(x, 'type'): x in the canonical form of a column of that type
 * (util/canon.h); the type's name is parsed once per statement. */
static void fn_canon(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    co_canon_type *kept = sqlite3_get_auxdata(ctx, 1);
    if (kept) {
        canon_result(ctx, argv[0], *kept);
        return;
    }
    const char *name = (const char *)sqlite3_value_text(argv[1]);
    co_canon_type t;
    if (!name || !Co_canon_type_parse(name, &t)) {
        sqlite3_result_error(ctx, "cutover_canon: unknown type", -1);
        return;
    }
    canon_result(ctx, argv[0], t);
    co_canon_type *copy = sqlite3_malloc(sizeof *copy);
    if (copy) {
        *copy = t;
        sqlite3_set_auxdata(ctx, 1, copy, sqlite3_free);
    }
}

static void fn_hash_sum_final(sqlite3_context *ctx)
{
    uint64_t *sum = sqlite3_aggregate_context(ctx, 0);
    sqlite3_result_int64(ctx, sum ? (sqlite3_int64)*sum : 0);
}

/* cutover_canon_hash_sum('type1,type2,...', v1, ..., vn): cutover_hash_sum of
 * the values each in its type's canonical form, in one call per row. The
 * types are parsed at the first row. */
typedef struct canon_sum {
    uint64_t sum; /* first: fn_hash_sum_final reads it */
    bool parsed;
    co_canon_type types[MAX_FUNCTION_ARGS];
} canon_sum;

static bool parse_types(const char *names, canon_sum *cs, int n)
{
    for (int i = 0; i < n; i++) {
        const char *comma = strchr(names, ',');
        size_t len = comma ? (size_t)(comma - names) : strlen(names);
        char name[32];
        if (len == 0 || len >= sizeof name)
            return false;
        memcpy(name, names, len);
        name[len] = '\0';
        if (!Co_canon_type_parse(name, &cs->types[i]))
            return false;
        names += len + (comma ? 1 : 0);
    }
    return *names == '\0';
}

/* One row of a canonical sum: each value in its type's canonical form, then
 * the row's hash (cutover_canon_hash_sum) or digest (cutover_canon_digest_sum). */
static void canon_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                           uint64_t (*row)(const co_value *, size_t), const char *types_error)
{
    canon_sum *cs = sqlite3_aggregate_context(ctx, sizeof *cs);
    if (!cs) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int n = argc - 1;
    if (n > MAX_FUNCTION_ARGS) {
        sqlite3_result_error(ctx, "cutover: too many columns for a row hash", -1);
        return;
    }
    if (!cs->parsed) {
        const char *names = (const char *)sqlite3_value_text(argv[0]);
        if (!names || !parse_types(names, cs, n)) {
            sqlite3_result_error(ctx, types_error, -1);
            return;
        }
        cs->parsed = true;
    }
    co_value vals[MAX_FUNCTION_ARGS];
    char text[MAX_FUNCTION_ARGS][CO_CANON_TEXT_MAX];
    for (int i = 0; i < n; i++)
        vals[i] = Co_canon_value(cs->types[i], value_of(argv[i + 1]), text[i]);
    cs->sum += row(vals, (size_t)n);
}

static void fn_canon_hash_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    canon_sum_step(ctx, argc, argv, Co_row_hash, "cutover_canon_hash_sum: a type for each value");
}

/* cutover_canon_digest_sum('type1,...', v1, ..., vn): the sum of
 * Co_row_digest of the values each in its type's canonical form (what
 * PostgreSQL computes with md5(), co_store_digest_sum_sql). */
static void fn_canon_digest_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    canon_sum_step(ctx, argc, argv, Co_row_digest,
                   "cutover_canon_digest_sum: a type for each value");
}

co_code Co_sqlite_digest_sum_sql(co_store *s, const char *from_sql, const co_param *params,
                                 size_t nparams, const char *const *cols,
                                 const char *const *types, const int *digits, size_t ncols,
                                 co_buf *out, bool *supported, co_error *err)
{
    (void)from_sql;
    (void)params;
    (void)nparams;
    (void)err;
    if (ncols == 0 || ncols > MAX_FUNCTION_ARGS) {
        *supported = false;
        return CO_OK;
    }
    /* A rounded column is canonical before it is rounded (verify's
     * Co_vstored), so it is 'any' to the sum. */
    Co_buf_adds(out, "cutover_canon_digest_sum('");
    for (size_t i = 0; i < ncols; i++)
        Co_buf_printf(out, "%s%s", i ? "," : "",
                      digits[i] >= 0 || !types[i] ? "any" : types[i]);
    Co_buf_adds(out, "'");
    for (size_t i = 0; i < ncols; i++) {
        Co_buf_adds(out, ", ");
        bool typed = digits[i] >= 0 && types[i] && strcmp(types[i], "any") != 0;
        if (digits[i] >= 0)
            Co_buf_adds(out, "cutover_round(");
        if (typed)
            Co_buf_adds(out, "cutover_canon(");
        co_store_quote_ident(s, cols[i], out);
        if (typed)
            Co_buf_printf(out, ", '%s')", types[i]);
        if (digits[i] >= 0)
            Co_buf_printf(out, ", %d)", digits[i]);
    }
    Co_buf_addc(out, ')');
    *supported = true;
    return CO_OK;
}

static void fn_keep(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    co_store *s = sqlite3_user_data(ctx);
    if (!s->key_filter) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    co_value vals[MAX_FUNCTION_ARGS];
    if (!values_of(ctx, argc, argv, vals))
        return;
    co_buf *key = &((sqlite_store *)s)->key; /* reused from row to row */
    Co_buf_reset(key);
    Co_key_encode(key, vals, (size_t)argc);
    if (key->failed) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_int(ctx, s->key_filter(s->key_filter_ctx, key->data, key->len));
}

/* cutover_map(n, x): x sent through the value map's map n (a merged row's key
 * to its survivor's, for verify), x itself where the map has no entry. */
static void fn_map(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite_store *s = sqlite3_user_data(ctx);
    co_value val = value_of(argv[1]);
    if (!s->base.value_map || val.type == CO_NULL) {
        sqlite3_result_value(ctx, argv[1]);
        return;
    }
    Co_buf_reset(&s->key);
    Co_key_encode(&s->key, &val, 1);
    const char *to;
    size_t tolen, n = 0;
    if (s->key.failed) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!s->base.value_map(s->base.value_map_ctx, sqlite3_value_int(argv[0]), s->key.data,
                           s->key.len, &to, &tolen)) {
        sqlite3_result_value(ctx, argv[1]);
        return;
    }
    Co_buf_reset(&s->mapped); /* Co_key_decode reads text that ends in NUL */
    Co_buf_add(&s->mapped, to, tolen);
    Co_buf_reset(&s->mapped_bytes);
    co_value out;
    if (s->mapped.failed) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (Co_key_decode(co_buf_str(&s->mapped), &out, 1, &n, &s->mapped_bytes, NULL) != CO_OK ||
        n != 1) {
        sqlite3_result_error(ctx, "cutover_map: the map holds a value that is not a key", -1);
        return;
    }
    switch (out.type) {
    case CO_INT: sqlite3_result_int64(ctx, out.i); break;
    case CO_REAL: sqlite3_result_double(ctx, out.r); break;
    case CO_TEXT:
        sqlite3_result_text64(ctx, out.s, out.len, SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    case CO_BLOB: sqlite3_result_blob64(ctx, out.s, out.len, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
    }
}

/* ---- normalizers (dedupe/normalize.h) as SQL functions ------------------------ */

/* casefold(x), email_norm(x), domain_norm(x), name_norm(x): NULL for NULL,
 * for text that is not UTF-8 and for text with no usable form; numbers are
 * read as their text, blobs as their bytes. */
typedef struct sql_normalizer {
    const char *name;
    bool (*fn)(const char *s, size_t len, co_buf *out);
} sql_normalizer;

static const sql_normalizer normalizers[] = {
    {"casefold", Co_norm_casefold},
    {"email_norm", Co_norm_email},
    {"domain_norm", Co_norm_domain},
    {"name_norm", Co_norm_name},
};

static void fn_norm(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const sql_normalizer *norm = sqlite3_user_data(ctx);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    co_buf out = CO_BUF_INIT;
    bool usable = norm->fn(s, len, &out);
    if (out.failed)
        sqlite3_result_error_nomem(ctx);
    else if (!usable)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_text64(ctx, co_buf_str(&out), out.len, SQLITE_TRANSIENT, SQLITE_UTF8);
    Co_buf_release(&out);
}

static void register_normalizers(sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    for (size_t i = 0; i < sizeof normalizers / sizeof normalizers[0]; i++)
        sqlite3_create_function_v2(db, normalizers[i].name, 1, flags, (void *)&normalizers[i],
                                   fn_norm, NULL, NULL, NULL);
}

void Co_sqlite_register_functions(sqlite_store *s)
{
    register_normalizers(s->db);
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    sqlite3_create_function_v2(s->db, "cutover_hash", -1, flags, NULL, fn_hash, NULL, NULL, NULL);
    sqlite3_create_function_v2(s->db, "cutover_hash_sum", -1, flags, NULL, NULL, fn_hash_sum_step,
                               fn_hash_sum_final, NULL);
    sqlite3_create_function_v2(s->db, "cutover_keep", -1, SQLITE_UTF8, &s->base, fn_keep, NULL,
                               NULL, NULL);
    /* deterministic within a statement (the map is fixed while it runs), so
     * that a subquery that maps a column still takes its outer WHERE */
    sqlite3_create_function_v2(s->db, "cutover_map", 2, flags, s, fn_map, NULL, NULL, NULL);
    sqlite3_create_function_v2(s->db, "cutover_round", 2, flags, NULL, fn_round, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(s->db, "cutover_invalid_date", 1, flags, NULL, fn_invalid_date,
                               NULL, NULL, NULL);
    sqlite3_create_function_v2(s->db, "cutover_canon", 2, flags, NULL, fn_canon, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(s->db, "cutover_canon_hash_sum", -1, flags, NULL, NULL,
                               fn_canon_hash_sum_step, fn_hash_sum_final, NULL);
    sqlite3_create_function_v2(s->db, "cutover_canon_digest_sum", -1, flags, NULL, NULL,
                               fn_canon_digest_sum_step, fn_hash_sum_final, NULL);
}

/* ---- a push-down's functions (sqlite_pushdown.c) ------------------------------ */

/* cutover_key(v): the canonical key of one value, as the id maps hold keys. */
static void fn_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    co_value v = value_of(argv[0]);
    co_buf out = CO_BUF_INIT;
    Co_key_encode(&out, &v, 1);
    if (out.failed)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text64(ctx, co_buf_str(&out), out.len, SQLITE_TRANSIENT, SQLITE_UTF8);
    Co_buf_release(&out);
}

/* cutover_int_key(v): the integer n when v's canonical key is [n] (42, '42'
 * or 42.0; not '042', 42.5 or '-0'), else NULL: a ref whose parent's keys are
 * all integers finds them by rowid with it, exactly where cutover_key would. */
static void fn_int_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int type = sqlite3_value_type(argv[0]);
    if (type == SQLITE_INTEGER) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    if (type != SQLITE_TEXT && type != SQLITE_FLOAT) {
        sqlite3_result_null(ctx);
        return;
    }
    co_value v = value_of(argv[0]);
    co_buf out = CO_BUF_INIT;
    Co_key_encode(&out, &v, 1);
    int64_t i;
    if (out.failed)
        sqlite3_result_error_nomem(ctx);
    else if (out.len > 2 && Co_text_as_int(out.data + 1, out.len - 2, &i))
        sqlite3_result_int64(ctx, i);
    else
        sqlite3_result_null(ctx);
    Co_buf_release(&out);
}

/* cutover_utf8(v, ...): 1 when every text value is valid UTF-8, else 0. */
static void fn_utf8(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 0; i < argc; i++) {
        if (sqlite3_value_type(argv[i]) != SQLITE_TEXT)
            continue;
        co_value v = value_of(argv[i]);
        size_t bad;
        if (!Co_utf8_valid(v.s, v.len, &bad)) {
            sqlite3_result_int(ctx, 0);
            return;
        }
    }
    sqlite3_result_int(ctx, 1);
}

/* cutover_tally(x, v, ...): x; the bytes of the values v are added to the
 * connection's tally as a load counts them (text and blob bytes, 8 per
 * number, 0 for NULL). */
static void fn_tally(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite_store *s = sqlite3_user_data(ctx);
    for (int i = 1; i < argc; i++) {
        int type = sqlite3_value_type(argv[i]);
        s->tally += type == SQLITE_TEXT || type == SQLITE_BLOB ? sqlite3_value_bytes(argv[i])
                    : type == SQLITE_NULL                     ? 0
                                                              : 8;
    }
    sqlite3_result_value(ctx, argv[0]);
}

/* cutover_admit(pass, v, ...): pass; a row that does not pass is kept. A
 * NULL pass is a row outside the statement's range: 0, not kept. */
static void fn_admit(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite_store *s = sqlite3_user_data(ctx);
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    int pass = sqlite3_value_int(argv[0]);
    if (!pass && s->failed) {
        co_value row[MAX_FUNCTION_ARGS];
        if (argc - 1 > MAX_FUNCTION_ARGS) {
            s->failed->overflow = true;
        } else {
            for (int i = 1; i < argc; i++)
                row[i - 1] = value_of(argv[i]);
            Co_sqlite_failed_keep(s->failed, row, (size_t)(argc - 1));
        }
    }
    sqlite3_result_int(ctx, pass != 0);
}

void Co_sqlite_register_pushdown_functions(sqlite_store *s)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    sqlite3_create_function_v2(s->db, "cutover_key", 1, flags, NULL, fn_key, NULL, NULL, NULL);
    sqlite3_create_function_v2(s->db, "cutover_int_key", 1, flags, NULL, fn_int_key, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(s->db, "cutover_utf8", -1, flags, NULL, fn_utf8, NULL, NULL, NULL);
    /* Not deterministic: called once for each row inserted, never factored out. */
    sqlite3_create_function_v2(s->db, "cutover_tally", -1, SQLITE_UTF8, s, fn_tally, NULL, NULL,
                               NULL);
    sqlite3_create_function_v2(s->db, "cutover_admit", -1, SQLITE_UTF8, s, fn_admit, NULL, NULL,
                               NULL);
}
