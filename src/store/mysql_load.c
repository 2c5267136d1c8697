/*
 * mysql_load.c: loading a MySQL/MariaDB table with multi-row INSERTs. Rows are
 * buffered (copied) and their VALUES tuples written as they are put, up to
 * 1,000 rows or 4 MB (well under the server's default max_allowed_packet of
 * 16 MB); a full batch, and the rest at flush, go as one INSERT in a
 * transaction (the caller's, or one of the loader's own).
 *
 * Nothing is silently changed: the session is strict (mysql.c), and an INSERT
 * that succeeds with warnings (SHOW WARNINGS: a value rounded, a character
 * dropped) counts as failed, like one the server refused. Each attempt runs
 * in SAVEPOINT cutover_load; when one fails for what a row holds (SQLSTATE
 * class 22, 23 or 01, or one of the MySQL errors that mean a bad value), the
 * part is rolled back and split in halves, recursively, until the failing
 * rows are alone: each is refused with the MySQL error number, SQLSTATE and
 * message; the rest loads. Other failures (the connection, a missing table,
 * a lock wait) end loading.
 *
 * A key column the target fills (co_loader_assign_key: target_key on an
 * AUTO_INCREMENT column) goes in as NULL for the rows put with a
 * placeholder, and the server gives them its next values: a statement's
 * rows get LAST_INSERT_ID() (mysql_insert_id, the first value it gave) + i *
 * @@auto_increment_increment, in the order of its VALUES. A multi-row
 * INSERT ... VALUES is a "simple insert" (its row count is known when it
 * starts); under innodb_autoinc_lock_mode 0 or 1 InnoDB allocates its values
 * in one step, so they are consecutive. But a key counted that way is
 * only the one the counter gave: a trigger of the application's that sets
 * the key itself makes it wrong, and mode 2 does not even promise
 * consecutive values. So wherever the server has it (MariaDB >= 10.5) the
 * statement says `RETURNING key`, in every lock mode, which sends each row's
 * real key as it inserts the row, in the order of its VALUES. A server
 * without RETURNING (MySQL, older MariaDB) counts from LAST_INSERT_ID() in
 * modes 0 and 1, and in mode 2 makes each such row an INSERT of its own.
 * Rows with a placeholder and rows with a key of their own (a reload
 * keeps the keys it had) never share a statement (a mixed-mode insert
 * assigns values less plainly).
 */
#include "store/mysql_int.h"
#include "util/canon.h"
#include "util/grow.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ROWS 1000
#define BATCH_BYTES (4 * 1024 * 1024)

typedef struct my_loader {
    co_loader base;
    char *table;
    co_buf insert;        /* INSERT INTO `t` (`a`, ...) VALUES */
    size_t cap, count;    /* rows the arrays hold; rows buffered */
    co_value *rows;       /* cap * ncols */
    size_t *offsets;      /* where each text or blob value's bytes start in vals */
    co_buf vals;          /* the bytes of the buffered values */
    co_buf tuples;        /* the buffered rows as "(v, ...)" */
    size_t *tuple_start;  /* cap + 1 */
    co_buf sql;           /* the statement being sent */
    co_my_class *cls;     /* per column: what to watch (mysql_types.c) */
    char **names;         /* the columns' names, for messages */
    int key_col;          /* the column the target fills (co_loader_assign_key), or -1 */
    bool key_rows;        /* the buffered rows are put with a placeholder there */
    bool one_key_row;     /* innodb_autoinc_lock_mode 2 without RETURNING: one such row per INSERT */
    bool returning;       /* MariaDB >= 10.5, any lock mode: INSERT ... RETURNING key */
    uint64_t key_step;    /* @@auto_increment_increment */
    co_buf returning_sql; /* " RETURNING `key`" */
    uint64_t *keys;       /* returning: the key each buffered row was given (cap) */
} my_loader;

/* What one attempt came to. */
typedef struct attempt {
    bool ok;
    bool row_level;       /* it failed for what a row holds */
    unsigned int errnum;
    char state[6];
    char reason[400];
    uint64_t first;       /* the first key the target gave (rows with a placeholder) */
} attempt;

static const co_value *row_at(my_loader *l, size_t r) { return &l->rows[r * l->base.ncols]; }

static bool row_level_error(unsigned int no, const char *state)
{
    if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
        strncmp(state, "01", 2) == 0)
        return true;
    switch (no) {
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: /* 1366: incorrect integer/string value */
    case ER_NO_DEFAULT_FOR_FIELD:            /* 1364 */
    case ER_BAD_NULL_ERROR:                  /* 1048 */
    case ER_DUP_ENTRY:                       /* 1062 */
    case ER_TRUNCATED_WRONG_VALUE:           /* 1292 */
    case ER_WARN_DATA_OUT_OF_RANGE:          /* 1264 */
    case ER_DATA_TOO_LONG:                   /* 1406 */
    case ER_DIVISION_BY_ZERO:                /* 1365 */
    case ER_CANT_CREATE_GEOMETRY_OBJECT:     /* 1416 */
    case 3819: /* MySQL: check constraint violated */
    case 4025: /* MariaDB: CONSTRAINT failed */
        return true;
    default:
        return false;
    }
}

static const char *rule_of(unsigned int no, const char *state)
{
    switch (no) {
    case ER_DUP_ENTRY: return "duplicate_key";
    case ER_BAD_NULL_ERROR:
    case ER_NO_DEFAULT_FOR_FIELD: return "not_null";
    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2: return "foreign_key";
    case 3819:
    case 4025: return "check";
    case ER_DATA_TOO_LONG: return "too_big";
    default: break;
    }
    if (strncmp(state, "22", 2) == 0 || strncmp(state, "01", 2) == 0 ||
        no == ER_TRUNCATED_WRONG_VALUE_FOR_FIELD)
        return "type";
    return "constraint";
}

/* After a statement that succeeded: its first warning as a failure, if any. */
static co_code read_warnings(my_loader *l, attempt *a, co_error *err)
{
    my_store *s = my_of(l->base.store);
    if (mysql_warning_count(s->conn) == 0)
        return CO_OK;
    if (mysql_real_query(s->conn, "SHOW WARNINGS", 13) != 0)
        return Co_my_fail(s, "cannot read the warnings of an INSERT", err);
    MYSQL_RES *res = mysql_store_result(s->conn);
    if (!res)
        return Co_my_fail(s, "cannot read the warnings of an INSERT", err);
    MYSQL_ROW row = mysql_fetch_row(res); /* Level, Code, Message */
    a->ok = false;
    a->row_level = true;
    a->errnum = row && row[1] ? (unsigned int)strtoul(row[1], NULL, 10) : 0;
    snprintf(a->state, sizeof a->state, "01000");
    snprintf(a->reason, sizeof a->reason, "%s (a warning: the server would have changed the value)",
             row && row[2] ? row[2] : "warning");
    mysql_free_result(res);
    return CO_OK;
}

/* Reads the keys an INSERT ... RETURNING gave rows [lo, hi) from its result
 * res (freed here), one row each, in the order of its VALUES. */
static co_code read_returned_keys(my_loader *l, MYSQL_RES *res, size_t lo, size_t hi,
                                  co_error *err)
{
    size_t r = lo;
    bool ok = mysql_num_rows(res) == (my_ulonglong)(hi - lo);
    MYSQL_ROW row;
    while (ok && (row = mysql_fetch_row(res))) {
        char *end = NULL;
        unsigned long long v = row[0] ? strtoull(row[0], &end, 10) : 0;
        ok = row[0] && end && *end == '\0' && v > 0 && v <= INT64_MAX;
        if (ok)
            l->keys[r++] = v;
    }
    mysql_free_result(res);
    if (ok && r == hi)
        return CO_OK;
    co_side side = l->base.store->side;
    return co_error_set(err, Co_store_side_code(side),
                        "%s: INSERT ... RETURNING into %s did not give one key per row",
                        co_side_name(side), l->table);
}

/* INSERTs rows [lo, hi) in a savepoint; a failure undoes it. */
static co_code try_rows(my_loader *l, size_t lo, size_t hi, attempt *a, co_error *err)
{
    my_store *s = my_of(l->base.store);
    memset(a, 0, sizeof *a);
    co_code rc = Co_my_run(s, "SAVEPOINT cutover_load", 22, "cannot load rows", err);
    if (rc != CO_OK)
        return rc;
    co_buf *q = &l->sql;
    Co_buf_reset(q);
    Co_buf_add(q, l->insert.data, l->insert.len);
    Co_buf_add(q, l->tuples.data + l->tuple_start[lo], l->tuple_start[hi] - l->tuple_start[lo] - 1);
    bool returning = l->key_rows && l->returning;
    if (returning)
        Co_buf_add(q, l->returning_sql.data, l->returning_sql.len);
    if (q->failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    bool failed = mysql_real_query(s->conn, q->data, (unsigned long)q->len) != 0;
    /* RETURNING sends each row's key as the row goes in: a row refused
     * midway fails the statement while its result is read. */
    MYSQL_RES *res = NULL;
    if (!failed && returning)
        failed = (res = mysql_store_result(s->conn)) == NULL;
    if (failed) {
        a->errnum = mysql_errno(s->conn);
        snprintf(a->state, sizeof a->state, "%s", mysql_sqlstate(s->conn));
        snprintf(a->reason, sizeof a->reason, "%s", mysql_error(s->conn));
        Co_my_scrub(s, a->reason);
        a->row_level = row_level_error(a->errnum, a->state);
        if (!a->row_level) {
            char doing[300];
            snprintf(doing, sizeof doing, "INSERT into %s failed", l->table);
            return Co_my_fail(s, doing, err);
        }
    } else if (returning) {
        a->ok = true;
        rc = read_returned_keys(l, res, lo, hi, err);
        if (rc == CO_OK)
            rc = read_warnings(l, a, err);
        if (rc != CO_OK)
            return rc;
    } else {
        a->ok = true;
        a->first = l->key_rows ? mysql_insert_id(s->conn) : 0;
        if (l->key_rows && a->first == 0) {
            co_side side = l->base.store->side;
            return co_error_set(err, Co_store_side_code(side),
                                "%s: the rows loaded into %s were given no key (is column %s "
                                "AUTO_INCREMENT?)",
                                co_side_name(side), l->table, l->names[l->key_col]);
        }
        rc = read_warnings(l, a, err);
        if (rc != CO_OK)
            return rc;
    }
    return Co_my_run(s, a->ok ? "RELEASE SAVEPOINT cutover_load" : "ROLLBACK TO SAVEPOINT cutover_load",
                     a->ok ? 30 : 34, "cannot load rows", err);
}

static co_code refused_error(my_loader *l, const attempt *a, co_error *err)
{
    co_side side = l->base.store->side;
    co_error_set(err, Co_store_side_code(side),
                 "%s: a row was refused: %s (MySQL error %u, SQLSTATE %s)", co_side_name(side),
                 a->reason, a->errnum, a->state);
    if (err)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", a->state);
    return Co_store_side_code(side);
}

/* Loads rows [lo, hi), reporting each as loaded or refused. */
static co_code load_part(my_loader *l, size_t lo, size_t hi, co_error *err)
{
    attempt a;
    co_code rc = try_rows(l, lo, hi, &a, err);
    if (rc != CO_OK)
        return rc;
    co_loader *base = &l->base;
    if (a.ok) {
        for (size_t r = lo; r < hi; r++) {
            const co_value *row = row_at(l, r);
            /* the row's key: given by the server (as RETURNING read it, or
             * the statement's first + i steps), or its own */
            co_value key = l->key_rows && l->returning ? co_int((int64_t)l->keys[r])
                           : l->key_rows ? co_int((int64_t)(a.first + (r - lo) * l->key_step))
                           : l->key_col >= 0 ? row[l->key_col] : co_null();
            if (l->key_col >= 0 && base->loaded_key)
                base->loaded_key(base->events.ctx, row, base->ncols, key);
            else if (base->events.loaded)
                base->events.loaded(base->events.ctx, row, base->ncols);
        }
        return CO_OK;
    }
    if (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        rc = load_part(l, lo, mid, err);
        return rc == CO_OK ? load_part(l, mid, hi, err) : rc;
    }
    if (!base->events.refused)
        return refused_error(l, &a, err);
    char reason[480];
    snprintf(reason, sizeof reason, "%s (MySQL error %u)", a.reason, a.errnum);
    base->events.refused(base->events.ctx, row_at(l, lo), base->ncols, rule_of(a.errnum, a.state),
                         reason, a.state);
    return CO_OK;
}

/* Applies the buffered rows, in a transaction of the loader's own when the
 * caller has none open. */
static co_code apply(my_loader *l, co_error *err)
{
    if (l->count == 0)
        return CO_OK;
    my_store *s = my_of(l->base.store);
    Co_my_settle(s);
    bool own = !s->user_txn;
    co_code rc = own ? Co_my_run(s, "START TRANSACTION", 17, "cannot load rows", err) : CO_OK;
    if (rc == CO_OK)
        rc = load_part(l, 0, l->count, err);
    if (own && rc == CO_OK)
        rc = Co_my_run(s, "COMMIT", 6, "cannot load rows", err);
    else if (own)
        Co_my_run_quietly(s, "ROLLBACK");
    l->count = 0;
    Co_buf_reset(&l->vals);
    Co_buf_reset(&l->tuples);
    return rc;
}

static co_code grow(my_loader *l, co_error *err)
{
    size_t cap = l->cap ? l->cap * 2 : 64, ncols = l->base.ncols;
    if (!CO_RESIZE(l->rows, cap * ncols) || !CO_RESIZE(l->offsets, cap * ncols) ||
        !CO_RESIZE(l->tuple_start, cap + 1) || (l->returning && !CO_RESIZE(l->keys, cap)))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    l->cap = cap;
    return CO_OK;
}

/* A row with a fraction for an integer column, refused before the server
 * rounds it (mysql_types.c); false when the row may go in. */
static bool refuse_rounding(my_loader *l, const co_value *row, co_code *rc, co_error *err)
{
    co_loader *base = &l->base;
    for (size_t i = 0; i < base->ncols; i++) {
        if (l->cls[i] != CO_MY_CLASS_INTEGER || !Co_my_would_round(&row[i]))
            continue;
        char reason[200];
        snprintf(reason, sizeof reason,
                 "column %s is an integer and the value has a fraction: MySQL would round it",
                 l->names[i]);
        if (!base->events.refused) {
            co_side side = base->store->side;
            *rc = co_error_set(err, Co_store_side_code(side), "%s: a row was refused: %s",
                               co_side_name(side), reason);
            return true;
        }
        base->events.refused(base->events.ctx, row, base->ncols, "type", reason, "22000");
        *rc = CO_OK;
        return true;
    }
    return false;
}

static co_code loader_put(co_loader *base, const co_value *row, co_error *err)
{
    my_loader *l = (my_loader *)base;
    size_t ncols = base->ncols;
    co_code refused;
    if (refuse_rounding(l, row, &refused, err))
        return refused;
    /* Rows with a placeholder key and rows with their own never share an INSERT. */
    bool placeholder = l->key_col >= 0 && row[l->key_col].type == CO_INT && row[l->key_col].i <= 0;
    if (l->count && placeholder != l->key_rows && (refused = apply(l, err)) != CO_OK)
        return refused;
    l->key_rows = placeholder;
    if (l->count == l->cap && grow(l, err) != CO_OK)
        return CO_ENOMEM;
    size_t r = l->count;
    co_value *copy = &l->rows[r * ncols];
    const char *before = l->vals.data;
    l->tuple_start[r] = l->tuples.len;
    Co_buf_addc(&l->tuples, '(');
    for (size_t i = 0; i < ncols; i++) {
        copy[i] = row[i];
        if (row[i].type == CO_TEXT || row[i].type == CO_BLOB) {
            l->offsets[r * ncols + i] = l->vals.len;
            Co_buf_add(&l->vals, row[i].s, row[i].len);
            Co_buf_addc(&l->vals, '\0');
        }
        if (i)
            Co_buf_adds(&l->tuples, ", ");
        char utc[CO_CANON_TEXT_MAX];
        co_value lit = placeholder && (int)i == l->key_col ? co_null() : row[i];
        if (l->cls[i] == CO_MY_CLASS_DATETIME || l->cls[i] == CO_MY_CLASS_TIMESTAMP)
            lit = Co_my_datetime_in(&row[i], l->cls[i] == CO_MY_CLASS_TIMESTAMP, utc);
        Co_my_literal(&lit, &l->tuples);
    }
    Co_buf_adds(&l->tuples, "),");
    l->tuple_start[r + 1] = l->tuples.len;
    if (l->vals.failed || l->tuples.failed)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    l->count++;
    /* The copies point into vals, which may have moved: point them again. */
    for (size_t k = l->vals.data == before ? r * ncols : 0; k < l->count * ncols; k++)
        if (l->rows[k].type == CO_TEXT || l->rows[k].type == CO_BLOB)
            l->rows[k].s = l->vals.data + l->offsets[k];
    if (l->count >= BATCH_ROWS || l->tuples.len >= BATCH_BYTES || (placeholder && l->one_key_row))
        return apply(l, err);
    return CO_OK;
}

static co_code loader_flush(co_loader *base, co_error *err) { return apply((my_loader *)base, err); }

static void loader_discard(co_loader *base)
{
    my_loader *l = (my_loader *)base;
    l->count = 0;
    Co_buf_reset(&l->vals);
    Co_buf_reset(&l->tuples);
}

static void loader_close(co_loader *base)
{
    my_loader *l = (my_loader *)base;
    free(l->table);
    Co_buf_release(&l->insert);
    Co_buf_release(&l->vals);
    Co_buf_release(&l->tuples);
    Co_buf_release(&l->sql);
    Co_buf_release(&l->returning_sql);
    free(l->keys);
    free(l->rows);
    free(l->offsets);
    free(l->tuple_start);
    free(l->cls);
    for (size_t i = 0; l->names && i < l->base.ncols; i++)
        free(l->names[i]);
    free(l->names);
    free(l);
}

/* True when the server takes INSERT ... RETURNING: MariaDB 10.5 and later
 * (MySQL has no RETURNING; its versions are below 10.0).
 * CUTOVER_MYSQL_RETURNING=0 does without it, as on MySQL (keys counted from
 * LAST_INSERT_ID() in modes 0 and 1, one row per INSERT in mode 2). */
static bool server_returns(my_store *s)
{
    const char *off = getenv("CUTOVER_MYSQL_RETURNING");
    if (off && strcmp(off, "0") == 0)
        return false;
    const char *info = mysql_get_server_info(s->conn);
    return info && strstr(info, "MariaDB") && mysql_get_server_version(s->conn) >= 100500;
}

/* co_loader_assign_key: the column must be AUTO_INCREMENT. The keys of rows
 * with a placeholder are returned by the INSERT where the server can
 * (MariaDB >= 10.5); elsewhere how the server allocates
 * (innodb_autoinc_lock_mode) and steps (auto_increment_increment) its values
 * decides: counted from LAST_INSERT_ID() (modes 0 and 1), or one row per
 * INSERT (mode 2). */
static co_code loader_assign_key(co_loader *base, size_t col, co_error *err)
{
    my_loader *l = (my_loader *)base;
    co_cursor *c = NULL;
    co_code rc = Co_my_column_info(base->store, l->table, l->names[col],
                                   "EXTRA LIKE '%auto_increment%', @@innodb_autoinc_lock_mode,"
                                   " @@auto_increment_increment",
                                   &c, err);
    bool has_row = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    co_value a = has_row ? co_cursor_value(c, 0) : co_null();
    co_value mode = has_row ? co_cursor_value(c, 1) : co_null();
    co_value step = has_row ? co_cursor_value(c, 2) : co_null();
    if (rc == CO_OK && (a.type != CO_INT || a.i != 1)) {
        co_side side = base->store->side;
        rc = co_error_set(err, CO_EUNSUPPORTED,
                          "%s: column \"%s\" of table \"%s\" is not AUTO_INCREMENT (an integer "
                          "target_key on MySQL is the key the table gives its new rows)",
                          co_side_name(side), l->names[col], l->table);
    }
    if (rc == CO_OK) {
        bool interleaved = mode.type != CO_INT || mode.i >= 2;
        l->key_col = (int)col;
        l->returning = server_returns(my_of(base->store));
        l->one_key_row = interleaved && !l->returning;
        l->key_step = step.type == CO_INT && step.i > 0 ? (uint64_t)step.i : 1;
        Co_buf_reset(&l->returning_sql);
        Co_buf_adds(&l->returning_sql, " RETURNING ");
        co_store_quote_ident(base->store, l->names[col], &l->returning_sql);
        if (l->returning && (l->returning_sql.failed || (l->cap && !CO_RESIZE(l->keys, l->cap))))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_cursor_close(c);
    return rc;
}

static const co_loader_ops my_loader_ops = {
    .put = loader_put,
    .flush = loader_flush,
    .discard = loader_discard,
    .close = loader_close,
    .assign_key = loader_assign_key,
};

co_code Co_my_loader_open(co_store *s, const char *table, const char *const *columns,
                          size_t ncols, co_loader **out, co_error *err)
{
    my_loader *l = calloc(1, sizeof *l);
    if (!l)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    l->base.ops = &my_loader_ops;
    l->base.store = s;
    l->base.ncols = ncols;
    l->key_col = -1;
    if (!(l->table = strdup(table)))
        l->insert.failed = true;
    Co_buf_adds(&l->insert, "INSERT INTO ");
    const char *dot = strchr(table, '.');
    if (dot) { /* schema.table */
        char *schema = strndup(table, (size_t)(dot - table));
        if (schema)
            co_store_quote_ident(s, schema, &l->insert);
        else
            l->insert.failed = true;
        free(schema);
        Co_buf_addc(&l->insert, '.');
        co_store_quote_ident(s, dot + 1, &l->insert);
    } else {
        co_store_quote_ident(s, table, &l->insert);
    }
    Co_buf_adds(&l->insert, " (");
    co_store_quote_idents(s, columns, ncols, &l->insert);
    Co_buf_adds(&l->insert, ") VALUES ");
    l->cls = calloc(ncols ? ncols : 1, sizeof *l->cls);
    l->names = calloc(ncols ? ncols : 1, sizeof *l->names);
    for (size_t i = 0; l->names && i < ncols; i++)
        if (!(l->names[i] = strdup(columns[i])))
            l->insert.failed = true;
    if (l->insert.failed || !l->cls || !l->names) {
        loader_close(&l->base);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_code rc = Co_my_column_classes(my_of(s), table, columns, ncols, l->cls, err);
    if (rc != CO_OK) {
        loader_close(&l->base);
        return rc;
    }
    *out = &l->base;
    return CO_OK;
}
