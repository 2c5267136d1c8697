/*
 * pg_copy.c: loading a PostgreSQL table with COPY ... FROM STDIN (text
 * format). Rows are buffered as COPY lines (up to 10,000 rows or 8 MB), the
 * batch, and sent as one COPY: the COPY starts at the batch's first row and
 * each row goes into it as it is put, so that the server works while the
 * caller reads the next rows; flush ends it. Any other command on the
 * connection (another loader's COPY too) first calls the open COPY off
 * (Co_pg_settle): its batch is then sent whole at flush.
 *
 * When the COPY fails for what a row holds (SQLSTATE class 22, a data
 * exception, or 23, an integrity constraint; or 54000, an index row too big),
 * the batch is split and each part copied again, recursively, each attempt in
 * a SAVEPOINT so that a failure undoes only that part (pgloader does the
 * same). The server's "COPY t, line N" points at the failing row: the rows
 * before it go as one part, then the row is refused with that failure, then
 * the rest goes in halves; should a part before the named row fail anyway (a
 * check that ran at the end of the COPY), line numbers are no longer trusted
 * and parts are simply halved until a row fails alone. A refused row carries
 * the server's SQLSTATE and message. Each refused row costs about one COPY
 * attempt, and the rows are sent O(log n) times at most. Other
 * failures (the connection, a missing table, a full disk) end loading.
 *
 * Some rows are refused before they are sent, as the server would refuse
 * them or worse (corrupt the COPY stream): text that is not valid UTF-8 or
 * holds a NUL byte (invalid_utf8), a blob for a column that is not bytea or
 * a number for a bytea column (type).
 *
 * Encoding of values in COPY text: NULL as \N (so '' stays an empty string);
 * backslash, tab, newline and carriage return escaped; integers in decimal;
 * reals as the shortest text that reads back exactly; text and blobs for
 * bytea columns as \\x hex.
 */
#include "store/pg_int.h"
#include "util/utf8.h"
#include "util/grow.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 10000
#define BATCH_BYTES (8 * 1024 * 1024)
#define SEND_CHUNK (256 * 1024)

typedef struct refusal {
    const char *rule;
    const char *sqlstate;
    char reason[200];
} refusal;

typedef struct pg_loader {
    co_loader base;
    char *table;
    co_buf copy_sql;      /* SAVEPOINT cutover_copy; COPY "t" ("a", ...) FROM STDIN */
    size_t copy_at;       /* where COPY starts in copy_sql */
    bool *bytea;          /* per column */
    char **types;         /* per column, as declared, for messages */
    char **names;         /* per column */
    size_t cap, count;    /* rows the arrays hold; rows buffered */
    co_value *rows;       /* cap * ncols */
    size_t *offsets;      /* where each text or blob value's bytes start in vals */
    co_buf vals;          /* the bytes of the buffered values */
    co_buf lines;         /* the buffered rows as COPY lines */
    size_t *line_start;   /* cap + 1 */
    size_t *refused;      /* per row: 0, or 1 + index in refusals */
    refusal *refusals;
    size_t nrefusals, refusals_cap;
    bool streaming;       /* the batch's COPY is open, its rows sent as they are put */
    bool in_savepoint;    /* the open COPY runs in SAVEPOINT cutover_copy */
    bool trust_lines;     /* the server's line numbers have named the failing row */
    unsigned long failures; /* COPY attempts that failed, this flush */
} pg_loader;

/* What one COPY attempt came to. */
typedef struct attempt {
    bool ok;
    bool dropped;         /* succeeded with fewer rows than sent (a trigger) */
    long line;            /* the failing line (1-based), 0 when unknown */
    char state[6];
    char reason[400];
} attempt;

/* ---- encoding ------------------------------------------------------------------ */

static void add_hex(co_buf *b, const char *s, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char chunk[512];
    size_t n = 0;
    Co_buf_adds(b, "\\\\x");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        chunk[n++] = digits[c >> 4];
        chunk[n++] = digits[c & 15];
        if (n == sizeof chunk) {
            Co_buf_add(b, chunk, n);
            n = 0;
        }
    }
    Co_buf_add(b, chunk, n);
}

static void add_escaped(co_buf *b, const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: continue;
        }
        Co_buf_add(b, s + run, i - run);
        Co_buf_adds(b, esc);
        run = i + 1;
    }
    Co_buf_add(b, s + run, len - run);
}

static void refuse_at_put(pg_loader *l, size_t r, const char *rule, const char *sqlstate,
                          const char *reason)
{
    if (!CO_GROW(l->refusals, l->refusals_cap, l->nrefusals + 1, 16)) {
        l->lines.failed = true; /* reported as out of memory at flush */
        return;
    }
    refusal *f = &l->refusals[l->nrefusals++];
    f->rule = rule;
    f->sqlstate = sqlstate;
    snprintf(f->reason, sizeof f->reason, "%s", reason);
    l->refused[r] = l->nrefusals;
}

/* The longest a line of row can be (text escaped, bytea in hex, integers in
 * decimal), or 0 when a value takes the general path (a real). */
static size_t line_bound(const pg_loader *l, const co_value *row)
{
    size_t n = l->base.ncols; /* tabs and the newline */
    for (size_t i = 0; i < l->base.ncols; i++) {
        const co_value *v = &row[i];
        if (v->type == CO_NULL)
            n += 2;
        else if (v->type == CO_INT)
            n += 20;
        else if (v->type == CO_TEXT || v->type == CO_BLOB)
            n += 3 + 2 * v->len;
        else
            return 0;
    }
    return n;
}

/* Writes s (len bytes) escaped for COPY text at p; returns the end. */
static char *put_escaped(char *p, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        switch (c) {
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '\t': *p++ = '\\'; *p++ = 't'; break;
        case '\n': *p++ = '\\'; *p++ = 'n'; break;
        case '\r': *p++ = '\\'; *p++ = 'r'; break;
        default: *p++ = c;
        }
    }
    return p;
}

/* Writes v in decimal at p; returns the end. */
static char *put_int(char *p, int64_t v)
{
    char digits[24], *d = digits + sizeof digits;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    size_t n = (size_t)(digits + sizeof digits - d);
    memcpy(p, d, n);
    return p + n;
}

/* Appends row r as a COPY line written in place when it is short and holds
 * no real (most rows); false when the general path is to be taken. Values the
 * general path would refuse (a blob outside bytea, invalid UTF-8) leave it to
 * that path too. */
static bool encode_short(pg_loader *l, const co_value *row)
{
    char line[2048];
    size_t bound = line_bound(l, row);
    if (bound == 0 || bound > sizeof line)
        return false;
    char *p = line;
    for (size_t i = 0; i < l->base.ncols; i++) {
        const co_value *v = &row[i];
        if (i)
            *p++ = '\t';
        if (v->type == CO_NULL) {
            *p++ = '\\';
            *p++ = 'N';
        } else if (l->bytea[i]) {
            if (v->type == CO_INT)
                return false;
            static const char digits[] = "0123456789abcdef";
            memcpy(p, "\\\\x", 3);
            p += 3;
            for (size_t k = 0; k < v->len; k++) {
                unsigned char c = (unsigned char)v->s[k];
                *p++ = digits[c >> 4];
                *p++ = digits[c & 15];
            }
        } else if (v->type == CO_INT) {
            p = put_int(p, v->i);
        } else if (v->type == CO_BLOB || !Co_utf8_valid(v->s, v->len, NULL)) {
            return false;
        } else {
            p = put_escaped(p, v->s, v->len);
        }
    }
    *p++ = '\n';
    Co_buf_add(&l->lines, line, (size_t)(p - line));
    return true;
}

/* Appends row r as a COPY line, or refuses it (and appends nothing). */
static void encode_row(pg_loader *l, size_t r, const co_value *row)
{
    if (encode_short(l, row))
        return;
    co_buf *b = &l->lines;
    size_t start = b->len;
    for (size_t i = 0; i < l->base.ncols; i++) {
        const co_value *v = &row[i];
        if (i)
            Co_buf_addc(b, '\t');
        if (v->type == CO_NULL) {
            Co_buf_adds(b, "\\N");
        } else if (l->bytea[i] && (v->type == CO_TEXT || v->type == CO_BLOB)) {
            add_hex(b, v->s, v->len);
        } else if (l->bytea[i] || v->type == CO_BLOB) {
            b->len = start;
            char reason[200];
            snprintf(reason, sizeof reason, "column %s is of type %s: a value of type %s does not fit",
                     l->names[i], l->types[i], co_type_name(v->type));
            refuse_at_put(l, r, "type", "42804", reason);
            return;
        } else if (v->type == CO_INT) {
            Co_buf_add_int(b, v->i);
        } else if (v->type == CO_REAL) {
            Co_pg_real_text(b, v->r);
        } else {
            size_t bad = 0;
            if (!Co_utf8_valid(v->s, v->len, &bad)) {
                b->len = start;
                char reason[200];
                if (bad < v->len && v->s[bad] == '\0')
                    snprintf(reason, sizeof reason, "column %s: text with a NUL byte at offset %zu",
                             l->names[i], bad);
                else
                    snprintf(reason, sizeof reason,
                             "column %s: invalid UTF-8 (byte 0x%02x at offset %zu)", l->names[i],
                             bad < v->len ? (unsigned char)v->s[bad] : 0, bad);
                refuse_at_put(l, r, "invalid_utf8", "22021", reason);
                return;
            }
            add_escaped(b, v->s, v->len);
        }
    }
    Co_buf_addc(b, '\n');
}

/* ---- copying -------------------------------------------------------------------- */

static co_code fail_copy(pg_loader *l, const PGresult *res, co_error *err)
{
    char doing[300];
    snprintf(doing, sizeof doing, "COPY into %s failed", l->table);
    return Co_pg_fail(pg_of(l->base.store), res, doing, err);
}

static bool row_level(const char *state)
{
    return strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
           strcmp(state, "54000") == 0;
}

static const char *rule_of(const char *state)
{
    if (strcmp(state, "23505") == 0) return "duplicate_key";
    if (strcmp(state, "23502") == 0) return "not_null";
    if (strcmp(state, "23514") == 0) return "check";
    if (strcmp(state, "23503") == 0) return "foreign_key";
    if (strcmp(state, "22001") == 0 || strcmp(state, "54000") == 0) return "too_big";
    if (strcmp(state, "22021") == 0) return "invalid_utf8";
    if (strncmp(state, "22", 2) == 0) return "type";
    return "constraint";
}

/* The failing line from the error's context, "COPY t, line 42[, column c]: ...". */
static long line_of(const PGresult *res)
{
    const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
    const char *at = ctx ? strstr(ctx, "COPY ") : NULL;
    at = at ? strstr(at, ", line ") : NULL;
    return at ? strtol(at + 7, NULL, 10) : 0;
}

/* Sends the COPY lines of rows [lo, hi) into the open COPY. */
static co_code send_rows(pg_loader *l, size_t lo, size_t hi, co_error *err)
{
    PGconn *conn = pg_of(l->base.store)->conn;
    const char *p = l->lines.data + l->line_start[lo];
    size_t left = l->line_start[hi] - l->line_start[lo];
    while (left) {
        size_t n = left < SEND_CHUNK ? left : SEND_CHUNK;
        if (PQputCopyData(conn, p, (int)n) != 1)
            return fail_copy(l, NULL, err);
        p += n;
        left -= n;
    }
    return CO_OK;
}

/* Ends a COPY that failed or was called off: its results, then its savepoint. */
static void undo_copy(pg_loader *l)
{
    pg_store *s = pg_of(l->base.store);
    PGresult *res;
    while ((res = PQgetResult(s->conn)))
        PQclear(res);
    if (l->in_savepoint && PQstatus(s->conn) == CONNECTION_OK)
        Co_pg_run_quietly(s, "ROLLBACK TO SAVEPOINT cutover_copy; RELEASE SAVEPOINT cutover_copy");
}

/* Starts a COPY, in a savepoint when a transaction is open (one round trip
 * for both). */
static co_code open_copy(pg_loader *l, co_error *err)
{
    pg_store *s = pg_of(l->base.store);
    Co_pg_settle(s);
    l->in_savepoint = PQtransactionStatus(s->conn) == PQTRANS_INTRANS;
    PGresult *res = PQexec(s->conn, co_buf_str(&l->copy_sql) + (l->in_savepoint ? 0 : l->copy_at));
    co_code rc = CO_OK;
    if (!res || PQresultStatus(res) != PGRES_COPY_IN)
        rc = fail_copy(l, res, err);
    PQclear(res);
    if (rc != CO_OK)
        undo_copy(l);
    return rc;
}

/* Ends the open COPY of good rows and releases its savepoint, or rolls back
 * to it. A failure for what a row holds comes back in *a. */
static co_code close_copy(pg_loader *l, size_t good, attempt *a, co_error *err)
{
    pg_store *s = pg_of(l->base.store);
    memset(a, 0, sizeof *a);
    if (PQputCopyEnd(s->conn, NULL) != 1) {
        co_code rc = fail_copy(l, NULL, err);
        undo_copy(l);
        return rc;
    }
    PGresult *res = PQgetResult(s->conn);
    co_code rc = CO_OK;
    if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
        a->ok = true;
        a->dropped = strtoull(PQcmdTuples(res), NULL, 10) != good;
    } else {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (!state || !row_level(state)) {
            rc = fail_copy(l, res, err);
        } else {
            const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
            if (detail && strncmp(detail, "Failing row contains", 20) == 0)
                detail = NULL; /* the row itself: the caller has it */
            snprintf(a->state, sizeof a->state, "%s", state);
            snprintf(a->reason, sizeof a->reason, "%s%s%s", primary ? primary : "",
                     detail ? " " : "", detail ? detail : "");
            Co_pg_scrub(s, a->reason);
            a->line = line_of(res);
            l->failures++;
        }
    }
    PQclear(res);
    if (a->ok && a->dropped && !l->in_savepoint && rc == CO_OK)
        rc = co_error_set(err, Co_store_side_code(s->base.side),
                          "%s: a trigger of %s dropped rows of a COPY outside a transaction",
                          co_side_name(s->base.side), l->table);
    if (l->in_savepoint && a->ok && !a->dropped && rc == CO_OK) {
        while ((res = PQgetResult(s->conn))) /* the end of the COPY's results */
            PQclear(res);
        rc = Co_pg_run(s, "RELEASE SAVEPOINT cutover_copy", "cannot release a savepoint", err);
    } else {
        undo_copy(l);
    }
    return rc;
}

/* COPYs rows [lo, hi) (good of them not refused at put). */
static co_code copy_rows(pg_loader *l, size_t lo, size_t hi, size_t good, attempt *a,
                         co_error *err)
{
    memset(a, 0, sizeof *a);
    co_code rc = open_copy(l, err);
    if (rc == CO_OK && (rc = send_rows(l, lo, hi, err)) != CO_OK)
        undo_copy(l);
    return rc == CO_OK ? close_copy(l, good, a, err) : rc;
}

/* ---- the batch's COPY, open while its rows are put ------------------------------ */

/* Calls off the batch's open COPY: its rows stay buffered and are copied at
 * flush, as when no COPY was open. */
static void call_off(pg_loader *l)
{
    if (!l->streaming)
        return;
    pg_store *s = pg_of(l->base.store);
    l->streaming = false;
    s->copying = NULL;
    PQputCopyEnd(s->conn, "called off by cutover");
    undo_copy(l);
}

void Co_pg_settle(pg_store *s)
{
    if (s->copying)
        call_off((pg_loader *)s->copying);
}

/* Sends row r into the batch's COPY, opening it at the batch's first row.
 * Whatever goes wrong here only calls the COPY off: the flush copies the
 * rows again and reports the failure as it would have without it. */
static void stream_row(pg_loader *l, size_t r)
{
    if (l->lines.failed) {
        call_off(l);
        return;
    }
    if (r == 0) {
        co_error ignored;
        if (open_copy(l, &ignored) != CO_OK)
            return;
        l->streaming = true;
        pg_of(l->base.store)->copying = &l->base;
    }
    co_error ignored;
    if (l->streaming && send_rows(l, r, r + 1, &ignored) != CO_OK)
        call_off(l);
}

static const co_value *row_at(pg_loader *l, size_t r) { return l->rows + r * l->base.ncols; }

/* Without events, a refused row is an error (store.h). */
static co_code refused_error(pg_loader *l, const char *reason, const char *state,
                             co_error *err)
{
    co_side side = l->base.store->side;
    co_error_set(err, Co_store_side_code(side), "%s: a row was refused by %s: %s%s%s%s",
                 co_side_name(side), l->table, reason, *state ? " (SQLSTATE " : "", state,
                 *state ? ")" : "");
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    return Co_store_side_code(side);
}

static co_code isolate(pg_loader *l, size_t lo, size_t hi, co_error *err);

/* Splits [lo, hi) around k, the row the server named with a: the rows before
 * it, then it, then the rest in halves. Once the rows before it are in, the
 * table is as it was when k failed: k is refused with that failure, without
 * copying it again, unless the rows before it failed too (then the server's
 * line numbers are not trusted again in this flush, and k is tried alone). */
static co_code split_at(pg_loader *l, size_t lo, size_t k, size_t hi, const attempt *a,
                        co_error *err)
{
    co_loader *base = &l->base;
    unsigned long before = l->failures;
    co_code rc = isolate(l, lo, k, err);
    if (rc == CO_OK && l->failures != before)
        l->trust_lines = false;
    if (rc == CO_OK && l->trust_lines)
        base->events.refused(base->events.ctx, row_at(l, k), base->ncols, rule_of(a->state),
                             a->reason, a->state);
    else if (rc == CO_OK)
        rc = isolate(l, k, k + 1, err);
    size_t mid = k + 1 + (hi - k - 1) / 2;
    if (rc == CO_OK)
        rc = isolate(l, k + 1, mid, err);
    if (rc == CO_OK)
        rc = isolate(l, mid, hi, err);
    return rc;
}

/* The rows of [lo, hi) not refused at put; *only is the last of them. */
static size_t count_good(const pg_loader *l, size_t lo, size_t hi, size_t *only)
{
    size_t good = 0;
    *only = lo;
    for (size_t r = lo; r < hi; r++)
        if (!l->refused[r]) {
            good++;
            *only = r;
        }
    return good;
}

static co_code follow_up(pg_loader *l, size_t lo, size_t hi, const attempt *a,
                         co_error *err);

/* Loads rows [lo, hi), reporting each as loaded or refused. */
static co_code isolate(pg_loader *l, size_t lo, size_t hi, co_error *err)
{
    size_t only, good = count_good(l, lo, hi, &only);
    if (good == 0)
        return CO_OK;
    attempt a;
    co_code rc = copy_rows(l, lo, hi, good, &a, err);
    return rc == CO_OK ? follow_up(l, lo, hi, &a, err) : rc;
}

/* Reports rows [lo, hi) after a COPY of them came to *a: all loaded,
 * or, when it failed for what a row holds, each loaded or refused after
 * copying them again in parts. */
static co_code follow_up(pg_loader *l, size_t lo, size_t hi, const attempt *a,
                         co_error *err)
{
    co_loader *base = &l->base;
    size_t only, good = count_good(l, lo, hi, &only);
    if (a->ok && !a->dropped) {
        for (size_t r = lo; r < hi && base->events.loaded; r++)
            if (!l->refused[r])
                base->events.loaded(base->events.ctx, row_at(l, r), base->ncols);
        return CO_OK;
    }
    if (!base->events.refused)
        return refused_error(l, a->dropped ? "a trigger dropped a row" : a->reason,
                             a->dropped ? "" : a->state, err);
    if (good == 1) {
        if (a->dropped)
            base->events.refused(base->events.ctx, row_at(l, only), base->ncols, "ignored",
                                 "a trigger of the table dropped the row", "");
        else
            base->events.refused(base->events.ctx, row_at(l, only), base->ncols,
                                 rule_of(a->state), a->reason, a->state);
        return CO_OK;
    }
    if (a->line > 0 && l->trust_lines) {
        long line = 0;
        for (size_t r = lo; r < hi; r++)
            if (!l->refused[r] && ++line == a->line)
                return split_at(l, lo, r, hi, a, err);
    }
    size_t mid = lo + (hi - lo) / 2;
    co_code rc = isolate(l, lo, mid, err);
    if (rc == CO_OK)
        rc = isolate(l, mid, hi, err);
    return rc;
}

/* Ends the batch's open COPY of its n rows, and reports them. */
static co_code close_batch(pg_loader *l, size_t n, co_error *err)
{
    size_t only, good = count_good(l, 0, n, &only);
    if (good == 0) {
        call_off(l);
        return CO_OK;
    }
    pg_of(l->base.store)->copying = NULL; /* ending now */
    l->streaming = false;
    attempt a;
    co_code rc = close_copy(l, good, &a, err);
    return rc == CO_OK ? follow_up(l, 0, n, &a, err) : rc;
}

/* ---- the loader ----------------------------------------------------------------- */

static void drop_buffered(pg_loader *l)
{
    call_off(l);
    l->count = 0;
    l->nrefusals = 0;
    Co_buf_reset(&l->vals);
    Co_buf_reset(&l->lines);
}

static co_code loader_flush(co_loader *base, co_error *err)
{
    pg_loader *l = (pg_loader *)base;
    size_t n = l->count, ncols = base->ncols;
    if (n == 0)
        return CO_OK;
    if (l->vals.failed || l->lines.failed) {
        drop_buffered(l);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n * ncols; i++) /* the byte buffer may have moved */
        if (l->rows[i].type == CO_TEXT || l->rows[i].type == CO_BLOB)
            l->rows[i].s = l->vals.data + l->offsets[i];
    co_code rc = CO_OK;
    for (size_t r = 0; r < n && rc == CO_OK; r++) {
        if (!l->refused[r])
            continue;
        const refusal *f = &l->refusals[l->refused[r] - 1];
        if (!base->events.refused)
            rc = refused_error(l, f->reason, f->sqlstate, err);
        else
            base->events.refused(base->events.ctx, row_at(l, r), ncols, f->rule, f->reason,
                                 f->sqlstate);
    }
    l->trust_lines = true;
    l->failures = 0;
    if (rc == CO_OK && l->streaming)
        rc = close_batch(l, n, err);
    else if (rc == CO_OK)
        rc = isolate(l, 0, n, err);
    drop_buffered(l);
    return rc;
}

/* Makes room for one more row: room for a whole batch at the first row.
 * Grown from a few rows, the arrays were copied over and over for every
 * tenant and entity (3% of a migration's CPU); memory that no row reaches is
 * never touched. */
static bool reserve_row(pg_loader *l)
{
    if (l->count < l->cap)
        return true;
    size_t cap = BATCH_ROWS, ncols = l->base.ncols;
    if (!CO_RESIZE(l->rows, cap * ncols) || !CO_RESIZE(l->offsets, cap * ncols) ||
        !CO_RESIZE(l->line_start, cap + 1) || !CO_RESIZE(l->refused, cap))
        return false;
    l->cap = cap;
    return true;
}

static co_code loader_put(co_loader *base, const co_value *row, co_error *err)
{
    pg_loader *l = (pg_loader *)base;
    size_t ncols = base->ncols;
    if (!reserve_row(l))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    size_t r = l->count, at = r * ncols;
    for (size_t i = 0; i < ncols; i++) {
        l->rows[at + i] = row[i];
        if (row[i].type == CO_TEXT || row[i].type == CO_BLOB) {
            l->offsets[at + i] = l->vals.len;
            Co_buf_add(&l->vals, row[i].s, row[i].len);
            Co_buf_addc(&l->vals, '\0'); /* text stays NUL-terminated */
            l->rows[at + i].s = NULL;    /* fixed up at flush */
        }
    }
    l->refused[r] = 0;
    l->line_start[r] = l->lines.len;
    encode_row(l, r, row);
    l->line_start[r + 1] = l->lines.len;
    l->count++;
    stream_row(l, r);
    if (l->vals.failed || l->lines.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    if (l->count == BATCH_ROWS || l->lines.len >= BATCH_BYTES)
        return loader_flush(base, err);
    return CO_OK;
}

static void loader_discard(co_loader *base) { drop_buffered((pg_loader *)base); }

static void loader_close(co_loader *base)
{
    pg_loader *l = (pg_loader *)base;
    call_off(l);
    for (size_t i = 0; i < base->ncols; i++) {
        free(l->types ? l->types[i] : NULL);
        free(l->names ? l->names[i] : NULL);
    }
    CO_FREE(l->types, l->names, l->bytea, l->table, l->rows, l->offsets, l->line_start, l->refused,
            l->refusals);
    Co_buf_release(&l->copy_sql);
    Co_buf_release(&l->vals);
    Co_buf_release(&l->lines);
    free(l);
}

static const co_loader_ops pg_loader_ops = {
    .put = loader_put,
    .flush = loader_flush,
    .discard = loader_discard,
    .close = loader_close,
};

static const char types_sql[] =
    "SELECT a.attname, a.atttypid = 'pg_catalog.bytea'::pg_catalog.regtype,"
    " format_type(a.atttypid, a.atttypmod)"
    " FROM pg_catalog.pg_attribute a"
    " WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped";

/* Reads the table's column types (bytea or not) for the columns loaded. */
static co_code read_types(pg_loader *l, const char *const *columns, co_error *err)
{
    pg_store *s = pg_of(l->base.store);
    const char *side = co_side_name(s->base.side);
    co_buf ref = CO_BUF_INIT;
    Co_pg_table_ref(l->table, &ref);
    const char *values[1] = {co_buf_str(&ref)};
    Oid types[1] = {25};
    Co_pg_settle(s);
    PGresult *res = PQexecParams(s->conn, types_sql, 1, types, values, NULL, NULL, 0);
    co_code rc = CO_OK;
    if (ref.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    else if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = Co_pg_fail(s, res, "cannot read the columns of a table", err);
    else if (PQntuples(res) == 0)
        rc = co_error_set(err, Co_store_side_code(s->base.side), "%s: no table \"%s\"", side,
                          l->table);
    for (size_t i = 0; rc == CO_OK && i < l->base.ncols; i++) {
        int found = -1;
        for (int r = 0; r < PQntuples(res) && found < 0; r++)
            if (strcmp(PQgetvalue(res, r, 0), columns[i]) == 0)
                found = r;
        if (found < 0) {
            rc = co_error_set(err, Co_store_side_code(s->base.side),
                              "%s: table %s has no column \"%s\"", side, l->table, columns[i]);
            break;
        }
        l->bytea[i] = PQgetvalue(res, found, 1)[0] == 't';
        l->types[i] = strdup(PQgetvalue(res, found, 2));
        l->names[i] = strdup(columns[i]);
        if (!l->types[i] || !l->names[i])
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    PQclear(res);
    Co_buf_release(&ref);
    return rc;
}

co_code Co_pg_loader_open(co_store *s, const char *table, const char *const *columns,
                          size_t ncols, co_loader **out, co_error *err)
{
    pg_loader *l = calloc(1, sizeof *l);
    if (!l)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    l->base.ops = &pg_loader_ops;
    l->base.store = s;
    l->base.ncols = ncols; /* store.c sets it again */
    l->table = strdup(table);
    l->bytea = calloc(ncols, sizeof *l->bytea);
    l->types = calloc(ncols, sizeof *l->types);
    l->names = calloc(ncols, sizeof *l->names);
    co_code rc = CO_OK;
    if (!l->table || !l->bytea || !l->types || !l->names)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = read_types(l, columns, err);
    if (rc == CO_OK) {
        Co_buf_adds(&l->copy_sql, "SAVEPOINT cutover_copy; ");
        l->copy_at = l->copy_sql.len;
        Co_buf_adds(&l->copy_sql, "COPY ");
        Co_pg_table_ref(table, &l->copy_sql);
        Co_buf_adds(&l->copy_sql, " (");
        co_store_quote_idents(s, columns, ncols, &l->copy_sql);
        Co_buf_adds(&l->copy_sql, ") FROM STDIN");
        if (l->copy_sql.failed)
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    if (rc != CO_OK) {
        co_error_where(err, "table %s", table);
        loader_close(&l->base);
        return rc;
    }
    *out = &l->base;
    return CO_OK;
}
