/*
 * sqlite_constraints.c: co_store_constraints on SQLite. Unique keys come from
 * pragma_index_list and pragma_index_info, foreign keys from
 * pragma_foreign_key_list (a reference to the parent's primary key is
 * resolved to its columns, as SQLite resolves it), and CHECK constraints from
 * the table's CREATE TABLE statement, which is the only place SQLite keeps
 * them: the statement is read token by token (strings, quoted names and
 * comments skipped) for CHECK ( ... ) and the CONSTRAINT name before it.
 * Also co_store_indexes, from pragma_index_list and pragma_index_xinfo: a
 * column is ordered where the index keeps it in the collation the column
 * declares (every SQLite index is a B-tree).
 *
 * Also the foreign keys a SQLite load enforces (sqlite_int.h): SQLite
 * connections keep foreign keys off (turning them on would make deletes
 * cascade or fail in the order cutover purges), so the loader looks up each
 * row's parent itself before applying a group, as PostgreSQL checks a COPY:
 * a parent among the rows of the same group counts.
 */
#include "store/sqlite_int.h"
#include "util/rowhash.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Runs sql with :a (and :b) bound and calls fn for each row. */
typedef co_code (*row_fn)(void *ctx, co_cursor *c, co_error *err);

static co_code each_row(co_store *s, const char *sql, const char *a, const char *b, row_fn fn,
                        void *ctx, co_error *err)
{
    co_param p[] = {{":a", co_text(a, strlen(a))}, {":b", co_text(b ? b : "", b ? strlen(b) : 0)}};
    co_cursor *c = NULL;
    co_code rc = co_store_query(s, sql, p, 2, &c, err);
    bool has_row;
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row)
        rc = fn(ctx, c, err);
    co_cursor_close(c);
    return rc;
}

static char *text_of(co_cursor *c, size_t i)
{
    co_value v = co_cursor_value(c, i);
    return v.type == CO_TEXT ? strndup(v.s, v.len) : NULL;
}

/* ---- unique indexes ----------------------------------------------------------- */

typedef struct index_cols {
    co_constraint *c;
    bool expression; /* a column that is an expression (or the rowid) */
    bool failed;
} index_cols;

static co_code take_index_column(void *ctx, co_cursor *c, co_error *err)
{
    (void)err;
    index_cols *ic = ctx;
    co_value name = co_cursor_value(c, 1);
    if (co_cursor_value(c, 0).i < 0 || name.type != CO_TEXT) {
        ic->expression = true;
        return CO_OK;
    }
    char *col = strndup(name.s, name.len);
    if (!col || !Co_constraint_add_column(ic->c, col, NULL))
        ic->failed = true;
    free(col);
    return CO_OK;
}

typedef struct gather {
    co_store *s;
    const char *table;
    co_constraint *arr;
    size_t n;
} gather;

static co_code take_index(void *ctx, co_cursor *c, co_error *err)
{
    gather *g = ctx;
    char *index = text_of(c, 0), *origin = text_of(c, 1);
    if (!index || !origin) {
        free(index);
        free(origin);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    co_constraint k = {0};
    k.kind = CO_CONSTRAINT_UNIQUE;
    k.validated = true;
    k.primary = strcmp(origin, "pk") == 0;
    index_cols ic = {&k, false, false};
    co_code rc = each_row(g->s, "SELECT cid, name FROM pragma_index_info(:a) ORDER BY seqno",
                          index, NULL, take_index_column, &ic, err);
    if (rc == CO_OK && ic.failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK && !ic.expression && k.ncolumns) {
        /* The automatic indexes of PRIMARY KEY and UNIQUE clauses have
         * made-up names: say what they are. */
        co_buf name = CO_BUF_INIT;
        if (strncmp(index, "sqlite_autoindex_", 17) != 0) {
            Co_buf_adds(&name, index);
        } else {
            Co_buf_adds(&name, strcmp(origin, "pk") == 0 ? "PRIMARY KEY (" : "UNIQUE (");
            for (size_t i = 0; i < k.ncolumns; i++)
                Co_buf_printf(&name, "%s%s", i ? ", " : "", k.columns[i]);
            Co_buf_addc(&name, ')');
        }
        k.name = name.failed ? NULL : co_buf_detach(&name);
        Co_buf_release(&name);
        rc = Co_constraint_push(&g->arr, &g->n, &k, err);
    }
    Co_constraint_release(&k); /* when not pushed */
    free(index);
    free(origin);
    return rc;
}

/* ---- foreign keys ------------------------------------------------------------- */

typedef struct fk_row {
    gather *g;
    co_constraint cur;
    int64_t id;
    bool open;
} fk_row;

/* The parent's primary key columns, in order. */
typedef struct pk_cols {
    char *names[64];
    size_t n;
} pk_cols;

static co_code take_parent_pk(void *ctx, co_cursor *c, co_error *err)
{
    pk_cols *pk = ctx;
    if (pk->n == 64)
        return CO_OK;
    if (!(pk->names[pk->n] = text_of(c, 0)))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    pk->n++;
    return CO_OK;
}

/* A reference to the parent's primary key names no parent column: take the
 * primary key's columns, in their order. */
static co_code resolve_parent_keys(gather *g, co_constraint *k, co_error *err)
{
    bool missing = false;
    for (size_t i = 0; i < k->ncolumns; i++)
        missing |= k->parent_columns[i][0] == '\0';
    if (!missing)
        return CO_OK;
    pk_cols pk = {{0}, 0};
    co_code rc = each_row(g->s, "SELECT name FROM pragma_table_info(:a) WHERE pk > 0 ORDER BY pk",
                          k->parent, NULL, take_parent_pk, &pk, err);
    for (size_t i = 0; rc == CO_OK && i < k->ncolumns; i++) {
        /* no primary key declared: the rowid */
        char *col = strdup(i < pk.n ? pk.names[i] : "rowid");
        if (!col) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
            break;
        }
        free(k->parent_columns[i]);
        k->parent_columns[i] = col;
    }
    for (size_t i = 0; i < pk.n; i++)
        free(pk.names[i]);
    return rc;
}

/* Closes the foreign key being gathered: names it and adds it. */
static co_code close_fk(fk_row *f, co_error *err)
{
    if (!f->open)
        return CO_OK;
    f->open = false;
    co_constraint *k = &f->cur;
    co_code rc = resolve_parent_keys(f->g, k, err);
    if (rc != CO_OK) {
        Co_constraint_release(k);
        return rc;
    }
    co_buf name = CO_BUF_INIT;
    Co_buf_adds(&name, "FOREIGN KEY (");
    for (size_t i = 0; i < k->ncolumns; i++)
        Co_buf_printf(&name, "%s%s", i ? ", " : "", k->columns[i]);
    Co_buf_printf(&name, ") REFERENCES %s (", k->parent);
    for (size_t i = 0; i < k->ncolumns; i++)
        Co_buf_printf(&name, "%s%s", i ? ", " : "",
                      k->parent_columns[i] ? k->parent_columns[i] : "?");
    Co_buf_addc(&name, ')');
    k->name = name.failed ? NULL : co_buf_detach(&name);
    Co_buf_release(&name);
    return Co_constraint_push(&f->g->arr, &f->g->n, k, err);
}

static co_code take_fk(void *ctx, co_cursor *c, co_error *err)
{
    fk_row *f = ctx;
    int64_t id = co_cursor_value(c, 0).i;
    co_code rc = CO_OK;
    if (f->open && id != f->id)
        rc = close_fk(f, err);
    if (rc != CO_OK)
        return rc;
    if (!f->open) {
        memset(&f->cur, 0, sizeof f->cur);
        f->cur.kind = CO_CONSTRAINT_FOREIGN_KEY;
        f->cur.validated = true;
        f->cur.parent = text_of(c, 1);
        f->open = true;
        f->id = id;
    }
    char *from = text_of(c, 2), *to = text_of(c, 3);
    bool ok = from && Co_constraint_add_column(&f->cur, from, to ? to : "");
    free(from);
    free(to);
    return ok ? CO_OK : co_error_set(err, CO_ENOMEM, "out of memory");
}

/* ---- CHECK clauses ------------------------------------------------------------ */

/* Skips a string, quoted name or comment starting at s[i]; the index after it. */
static size_t skip_quoted(const char *s, size_t i)
{
    char q = s[i];
    if (q == '-' && s[i + 1] == '-') {
        while (s[i] && s[i] != '\n')
            i++;
        return i;
    }
    if (q == '/' && s[i + 1] == '*') {
        const char *end = strstr(s + i + 2, "*/");
        return end ? (size_t)(end - s) + 2 : strlen(s);
    }
    char close = q == '[' ? ']' : q;
    for (i++; s[i]; i++) {
        if (s[i] == close) {
            if (close != ']' && s[i + 1] == close) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return i;
}

static bool starts_quote(const char *s, size_t i)
{
    return s[i] == '\'' || s[i] == '"' || s[i] == '`' || s[i] == '[' ||
           (s[i] == '-' && s[i + 1] == '-') || (s[i] == '/' && s[i + 1] == '*');
}

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80; }

/* The identifier at s[i] (bare or quoted), unquoted, and the index after it. */
static char *ident_at(const char *s, size_t *i)
{
    while (isspace((unsigned char)s[*i]))
        (*i)++;
    size_t start = *i;
    if (s[start] == '"' || s[start] == '`' || s[start] == '[' || s[start] == '\'') {
        size_t end = skip_quoted(s, start);
        *i = end;
        co_buf b = CO_BUF_INIT;
        char close = s[start] == '[' ? ']' : s[start];
        for (size_t k = start + 1; k + 1 < end; k++) {
            Co_buf_addc(&b, s[k]);
            if (s[k] == close && close != ']' && s[k + 1] == close)
                k++;
        }
        return b.failed ? NULL : co_buf_detach(&b);
    }
    while (word_char(s[*i]))
        (*i)++;
    return strndup(s + start, *i - start);
}

static co_code parse_checks(gather *g, const char *sql, co_error *err)
{
    char *pending = NULL; /* CONSTRAINT name, until its clause */
    int depth = 0;
    co_code rc = CO_OK;
    size_t i = 0;
    while (rc == CO_OK && sql[i]) {
        if (starts_quote(sql, i)) {
            i = skip_quoted(sql, i);
            continue;
        }
        char ch = sql[i];
        if (ch == '(') {
            depth++;
            i++;
            continue;
        }
        if (ch == ')' || (ch == ',' && depth == 1)) {
            depth -= ch == ')';
            free(pending);
            pending = NULL;
            i++;
            continue;
        }
        if (!word_char(ch) || (i > 0 && word_char(sql[i - 1]))) {
            i++;
            continue;
        }
        size_t w = i;
        while (word_char(sql[i]))
            i++;
        size_t wlen = i - w;
        if (depth == 1 && wlen == 10 && strncasecmp(sql + w, "CONSTRAINT", 10) == 0) {
            free(pending);
            pending = ident_at(sql, &i);
            continue;
        }
        if (depth != 1 || wlen != 5 || strncasecmp(sql + w, "CHECK", 5) != 0)
            continue;
        size_t p = i;
        while (isspace((unsigned char)sql[p]))
            p++;
        if (sql[p] != '(')
            continue;
        /* the balanced parentheses after CHECK */
        size_t start = p + 1, q = p + 1;
        int inner = 1;
        while (sql[q] && inner > 0) {
            if (starts_quote(sql, q)) {
                q = skip_quoted(sql, q);
                continue;
            }
            inner += sql[q] == '(';
            inner -= sql[q] == ')';
            q++;
        }
        if (inner != 0)
            break;
        co_constraint k = {0};
        k.kind = CO_CONSTRAINT_CHECK;
        k.validated = true;
        k.check = strndup(sql + start, q - 1 - start);
        if (pending) {
            k.name = pending;
            pending = NULL;
        } else {
            co_buf name = CO_BUF_INIT;
            Co_buf_printf(&name, "CHECK (%s)", k.check ? k.check : "");
            k.name = name.failed ? NULL : co_buf_detach(&name);
            Co_buf_release(&name);
        }
        if (!k.check) {
            free(k.name);
            k.name = NULL;
        }
        rc = Co_constraint_push(&g->arr, &g->n, &k, err);
        i = q;
    }
    free(pending);
    return rc;
}

static co_code take_sql(void *ctx, co_cursor *c, co_error *err)
{
    gather *g = ctx;
    char *sql = text_of(c, 0);
    co_code rc = sql ? parse_checks(g, sql, err) : CO_OK;
    free(sql);
    return rc;
}

co_code Co_sqlite_constraints(co_store *s, const char *table, co_constraint **out, size_t *n,
                              co_error *err)
{
    gather g = {s, table, NULL, 0};
    co_code rc = each_row(s,
                          "SELECT name, origin FROM pragma_index_list(:a)"
                          " WHERE \"unique\" AND NOT partial ORDER BY seq",
                          table, NULL, take_index, &g, err);
    fk_row f = {&g, {0}, 0, false};
    if (rc == CO_OK)
        rc = each_row(s,
                      "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(:a)"
                      " ORDER BY id, seq",
                      table, NULL, take_fk, &f, err);
    if (rc == CO_OK)
        rc = close_fk(&f, err);
    else
        Co_constraint_release(&f.cur);
    if (rc == CO_OK)
        rc = each_row(s, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = :a",
                      table, NULL, take_sql, &g, err);
    *out = g.arr;
    *n = g.n;
    return rc;
}

/* ---- foreign keys enforced while loading -------------------------------------- */

/* One declared foreign key whose columns are all loaded: where they are in
 * the loaded row, and a prepared lookup of its parent row. */
typedef struct sq_fkey {
    size_t col[16];        /* positions of the key's columns among the loaded ones */
    size_t parent_col[16]; /* for a table that refers to itself: the parent columns' */
    size_t ncols;
    bool self;             /* the parent is the table itself, its columns loaded */
    sqlite3_stmt *lookup;  /* SELECT 1 FROM parent WHERE pc1 = ?1 ... LIMIT 1 */
    char *describe;        /* "customer_id -> customers (id)" */
} sq_fkey;

struct sq_fkeys {
    sq_fkey *keys;
    size_t n;
    co_side side;
};

static bool position_of(const char *const *columns, size_t ncols, const char *name, size_t *at)
{
    for (size_t i = 0; i < ncols; i++) {
        if (strcasecmp(columns[i], name) == 0) {
            *at = i;
            return true;
        }
    }
    return false;
}

void Co_sqlite_fkeys_close(sq_fkeys *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        sqlite3_finalize(f->keys[i].lookup);
        free(f->keys[i].describe);
    }
    free(f->keys);
    free(f);
}

co_code Co_sqlite_fkeys_open(co_store *s, sqlite3 *db, const char *table,
                             const char *const *columns, size_t ncols, sq_fkeys **out,
                             co_error *err)
{
    *out = NULL;
    co_constraint *ks = NULL;
    size_t n = 0;
    co_code rc = Co_sqlite_constraints(s, table, &ks, &n, err);
    sq_fkeys *f = rc == CO_OK ? calloc(1, sizeof *f) : NULL;
    if (rc == CO_OK && !f)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (f)
        f->side = s->side;
    for (size_t i = 0; rc == CO_OK && i < n; i++) {
        const co_constraint *k = &ks[i];
        if (k->kind != CO_CONSTRAINT_FOREIGN_KEY || k->ncolumns == 0 || k->ncolumns > 16)
            continue;
        sq_fkey fk = {0};
        bool loaded = true;
        for (size_t c = 0; c < k->ncolumns; c++)
            loaded = loaded && position_of(columns, ncols, k->columns[c], &fk.col[c]);
        if (!loaded) /* a column the load leaves to its default: the database's business */
            continue;
        fk.ncols = k->ncolumns;
        fk.self = strcasecmp(k->parent, table) == 0;
        for (size_t c = 0; fk.self && c < k->ncolumns; c++)
            fk.self = position_of(columns, ncols, k->parent_columns[c], &fk.parent_col[c]);
        co_buf sql = CO_BUF_INIT, what = CO_BUF_INIT;
        Co_buf_adds(&sql, "SELECT 1 FROM ");
        co_store_quote_ident(s, k->parent, &sql);
        Co_buf_adds(&sql, " WHERE ");
        for (size_t c = 0; c < k->ncolumns; c++) {
            Co_buf_adds(&sql, c ? " AND " : "");
            co_store_quote_ident(s, k->parent_columns[c], &sql);
            Co_buf_printf(&sql, " = ?%zu", c + 1);
            Co_buf_printf(&what, "%s%s", c ? ", " : "", k->columns[c]);
        }
        Co_buf_adds(&sql, " LIMIT 1");
        Co_buf_printf(&what, " -> %s (", k->parent);
        for (size_t c = 0; c < k->ncolumns; c++)
            Co_buf_printf(&what, "%s%s", c ? ", " : "", k->parent_columns[c]);
        Co_buf_addc(&what, ')');
        if (sql.failed || what.failed) {
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
        } else if (sqlite3_prepare_v3(db, co_buf_str(&sql), -1, SQLITE_PREPARE_PERSISTENT,
                                      &fk.lookup, NULL) != SQLITE_OK) {
            /* a parent table (or column) that does not exist: SQLite itself
             * would refuse every write then; verify reports the rows */
            sqlite3_finalize(fk.lookup);
            fk.lookup = NULL;
        } else {
            sq_fkey *grown = realloc(f->keys, (f->n + 1) * sizeof *grown);
            fk.describe = co_buf_detach(&what);
            if (!grown || !fk.describe) {
                sqlite3_finalize(fk.lookup);
                free(fk.describe);
                rc = co_error_set(err, CO_ENOMEM, "out of memory");
            } else {
                f->keys = grown;
                f->keys[f->n++] = fk;
            }
        }
        Co_buf_release(&sql);
        Co_buf_release(&what);
    }
    co_constraints_free(ks, n);
    if (rc != CO_OK || (f && f->n == 0)) {
        Co_sqlite_fkeys_close(f);
        return rc;
    }
    *out = f;
    return CO_OK;
}

static int bind(sqlite3_stmt *st, int idx, const co_value *v)
{
    switch (v->type) {
    case CO_INT: return sqlite3_bind_int64(st, idx, v->i);
    case CO_REAL: return sqlite3_bind_double(st, idx, v->r);
    case CO_TEXT: return sqlite3_bind_text64(st, idx, v->s, v->len, SQLITE_STATIC, SQLITE_UTF8);
    case CO_BLOB: return sqlite3_bind_blob64(st, idx, v->s, v->len, SQLITE_STATIC);
    default: return sqlite3_bind_null(st, idx);
    }
}

co_code Co_sqlite_fkeys_check(sq_fkeys *f, sqlite3 *db, const co_value *rows, size_t n,
                              size_t ncols, size_t r, bool *ok, char *reason, size_t cap,
                              co_error *err)
{
    *ok = true;
    const co_value *row = rows + r * ncols;
    for (size_t i = 0; f && i < f->n && *ok; i++) {
        const sq_fkey *k = &f->keys[i];
        bool any_null = false;
        for (size_t c = 0; c < k->ncols; c++)
            any_null |= row[k->col[c]].type == CO_NULL;
        if (any_null) /* a key with a NULL refers to nothing: allowed */
            continue;
        bool found = false;
        /* a parent among the rows applied with it (as one statement applies them) */
        for (size_t o = 0; k->self && o < n && !found; o++) {
            const co_value *other = rows + o * ncols;
            bool same = true;
            for (size_t c = 0; c < k->ncols && same; c++)
                same = Co_value_same(&row[k->col[c]], &other[k->parent_col[c]]);
            found = same;
        }
        if (!found) {
            for (size_t c = 0; c < k->ncols; c++)
                bind(k->lookup, (int)c + 1, &row[k->col[c]]);
            int step = sqlite3_step(k->lookup);
            found = step == SQLITE_ROW;
            sqlite3_reset(k->lookup);
            sqlite3_clear_bindings(k->lookup);
            if (step != SQLITE_ROW && step != SQLITE_DONE)
                return co_error_set(err, Co_store_side_code(f->side),
                                    "%s: cannot look up the parent row of %s: %s",
                                    co_side_name(f->side), k->describe, sqlite3_errmsg(db));
        }
        if (!found) {
            *ok = false;
            snprintf(reason, cap, "FOREIGN KEY constraint failed: %s names no row",
                     k->describe);
        }
    }
    return CO_OK;
}

/* ---- indexes ------------------------------------------------------------------ */

static const char indexes_sql[] =
    "SELECT il.name, il.\"unique\", il.partial, ix.coll, ix.seqno + 1,"
    " CASE WHEN ix.cid >= 0 THEN ix.name END"
    " FROM pragma_index_list(:a) AS il, pragma_index_xinfo(il.name) AS ix"
    " WHERE ix.key ORDER BY il.name, ix.seqno";

typedef struct index_rows {
    co_store *s;
    const char *table;
    co_index *arr;
    size_t n;
} index_rows;

static co_code take_index_row(void *ctx, co_cursor *c, co_error *err)
{
    index_rows *ir = ctx;
    char *name = text_of(c, 0), *coll = text_of(c, 3), *col = text_of(c, 5);
    co_code rc = CO_OK;
    if (!name || !coll)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    /* The collation the column declares (BINARY unless it says otherwise):
     * what its comparisons use, and so what an ordered walk must keep. */
    const char *declared = NULL;
    bool ordered = col && sqlite3_table_column_metadata(co_sqlite_db(ir->s), NULL, ir->table, col,
                                                        NULL, &declared, NULL, NULL,
                                                        NULL) == SQLITE_OK &&
                   declared && coll && strcasecmp(declared, coll) == 0;
    if (rc == CO_OK)
        rc = Co_index_add(&ir->arr, &ir->n, name, co_cursor_value(c, 1).i != 0,
                          co_cursor_value(c, 2).i != 0, (long)co_cursor_value(c, 4).i, col,
                          ordered, err);
    free(name);
    free(coll);
    free(col);
    return rc;
}

co_code Co_sqlite_indexes(co_store *s, const char *table, co_index **out, size_t *n,
                          co_error *err)
{
    index_rows ir = {s, table, NULL, 0};
    co_code rc = each_row(s, indexes_sql, table, NULL, take_index_row, &ir, err);
    *out = ir.arr;
    *n = ir.n;
    return rc;
}
