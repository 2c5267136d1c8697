/*
 * to_store.c: the demo's legacy CRM in a database server (co_demo_options'
 * source): the legacy tables created there as legacy-schema.sql declares
 * them (integer keys the database assigns, as the application's inserts
 * need), the rows of legacy.db copied in, the indexes built, and
 * cutover.yaml replaced by the mapping written for that engine's dialect
 * (examples/crm/cutover-ENGINE.yaml), its source the URI without its
 * password.
 */
#include "demo/demo_int.h"
#include "cutover/store.h"
#include "util/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char co_embed_crm_legacy_schema[];
extern const char co_embed_crm_project_mysql[];

/* The demo mappings written for a source engine, by file name. */
static const struct {
    const char *file, *text;
} mappings[] = {{"cutover-mysql.yaml", co_embed_crm_project_mysql}};

static const char *const tables[] = {"accounts", "teams", "contacts", "campaigns", "events"};

/* legacy-schema.sql for the store: each "INTEGER PRIMARY KEY" the store's
 * serial key, other INTEGERs BIGINT; the part before (tables) or after
 * (indexes) the @after-load line. */
static void schema_for(const char *serial, bool indexes, co_buf *out)
{
    const char *schema = co_embed_crm_legacy_schema;
    const char *mark = strstr(schema, "\n-- @after-load");
    const char *p = indexes ? (mark ? strchr(mark + 1, '\n') : NULL) : schema;
    const char *end = indexes || !mark ? schema + strlen(schema) : mark;
    if (!p)
        return;
    while (p < end) {
        if (strncmp(p, "INTEGER PRIMARY KEY", 19) == 0) {
            Co_buf_adds(out, serial);
            p += 19;
        } else if (strncmp(p, "INTEGER", 7) == 0) {
            Co_buf_adds(out, "BIGINT");
            p += 7;
        } else {
            Co_buf_addc(out, *p++);
        }
    }
}

/* v with each byte that begins no valid UTF-8 sequence as U+FFFD (the
 * planted invalid names: a utf8mb4 column refuses them). */
static co_value valid_text(co_value v, co_buf *fixed)
{
    size_t bad = 0;
    if (v.type != CO_TEXT || Co_utf8_valid(v.s, v.len, &bad))
        return v;
    Co_buf_reset(fixed);
    size_t at = 0;
    while (at < v.len) {
        size_t off = 0;
        if (Co_utf8_valid(v.s + at, v.len - at, &off)) {
            Co_buf_add(fixed, v.s + at, v.len - at);
            break;
        }
        Co_buf_add(fixed, v.s + at, off);
        Co_buf_adds(fixed, "\xEF\xBF\xBD");
        at += off + 1;
    }
    return co_text(co_buf_str(fixed), fixed->len);
}

/* Copies one table's rows from the legacy file into the store. */
static co_code copy_table(co_store *from, co_store *to, const char *table, co_error *err)
{
    co_buf sql = CO_BUF_INIT, fixed[32];
    for (size_t i = 0; i < 32; i++)
        fixed[i] = (co_buf)CO_BUF_INIT;
    Co_buf_adds(&sql, "SELECT * FROM ");
    co_store_quote_ident(from, table, &sql);
    co_cursor *c = NULL;
    co_loader *l = NULL;
    co_code rc = co_store_query(from, co_buf_str(&sql), NULL, 0, &c, err);
    size_t n = rc == CO_OK ? co_cursor_ncols(c) : 0;
    const char *names[32];
    if (rc == CO_OK && n > 32)
        rc = co_error_set(err, CO_EINTERNAL, "demo: table %s has more than 32 columns", table);
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        names[i] = co_cursor_colname(c, i);
    if (rc == CO_OK)
        rc = co_loader_open(to, table, names, n, NULL, &l, err);
    bool has_row;
    co_value row[32];
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < n; i++)
            row[i] = valid_text(co_cursor_value(c, i), &fixed[i]);
        rc = co_loader_put(l, row, err);
    }
    if (rc == CO_OK)
        rc = co_loader_flush(l, err);
    co_loader_close(l);
    co_cursor_close(c);
    for (size_t i = 0; i < 32; i++)
        Co_buf_release(&fixed[i]);
    Co_buf_release(&sql);
    if (rc != CO_OK)
        co_error_where(err, "copying the demo's table %s", table);
    return rc;
}

/* uri without the password of "scheme://user:password@host...". */
static void without_password(const char *uri, co_buf *out)
{
    const char *auth = strstr(uri, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    const char *colon = auth ? strchr(auth + 3, ':') : NULL;
    if (!at || (slash && slash < at) || !colon || colon > at) {
        Co_buf_adds(out, uri);
        return;
    }
    Co_buf_add(out, uri, (size_t)(colon - uri));
    Co_buf_adds(out, at);
}

/* The demo mapping written for the store's engine; NULL if none. */
static const char *mapping_for(co_store *db, char *file, size_t cap)
{
    snprintf(file, cap, "cutover-%s.yaml", co_store_engine(db));
    for (size_t i = 0; i < sizeof mappings / sizeof *mappings; i++)
        if (strcmp(mappings[i].file, file) == 0)
            return mappings[i].text;
    return NULL;
}

/* The engine's demo mapping with its source line set to source. */
static co_code write_mapping(const char *dir, co_store *db, const char *source, co_error *err)
{
    char file[64];
    const char *text = mapping_for(db, file, sizeof file);
    const char *line = text ? strstr(text, "\nsource:") : NULL;
    const char *eol = line ? strchr(line + 1, '\n') : NULL;
    if (!eol)
        return co_error_set(err, CO_EINTERNAL, "demo: %s has no source line", file);
    co_buf yaml = CO_BUF_INIT, path = CO_BUF_INIT;
    Co_buf_add(&yaml, text, (size_t)(line - text));
    Co_buf_adds(&yaml, "\nsource:  ");
    without_password(source, &yaml);
    Co_buf_adds(&yaml, eol);
    Co_buf_printf(&path, "%s/cutover.yaml", dir);
    co_code rc = CO_OK;
    FILE *f = yaml.failed || path.failed ? NULL : fopen(co_buf_str(&path), "w");
    if (!f)
        rc = co_error_set(err, CO_EIO, "demo: cannot write %s: %s", co_buf_str(&path),
                          strerror(errno));
    else {
        bool written = fwrite(yaml.data, 1, yaml.len, f) == yaml.len;
        if (fclose(f) != 0 || !written)
            rc = co_error_set(err, CO_EIO, "demo: cannot write %s", co_buf_str(&path));
    }
    Co_buf_release(&yaml);
    Co_buf_release(&path);
    return rc;
}

co_code Co_demo_to_store(const char *dir, const char *source, co_error *err)
{
    co_store *db = NULL, *legacy = NULL;
    co_buf uri = CO_BUF_INIT, sql = CO_BUF_INIT;
    Co_buf_adds(&uri, "sqlite:legacy.db"); /* in dir */
    co_code rc = co_store_open(source, CO_SIDE_SOURCE, dir, &db, err);
    if (rc == CO_OK)
        rc = co_store_allow_writes(db, err);
    /* Where the store knows no serial key, or the demo has no mapping in
     * the engine's dialect, nothing is created. */
    const char *serial = rc == CO_OK ? co_store_serial_key_sql(db) : NULL;
    char file[64];
    bool can = serial && mapping_for(db, file, sizeof file);
    if (rc == CO_OK && !can)
        rc = co_error_set(err, CO_EUNSUPPORTED,
                          "demo: the legacy CRM cannot be put in this database (%s has no demo "
                          "mapping: MySQL or MariaDB)",
                          co_store_safe_uri(db));
    /* Never over the tables of a database that is not empty of them. */
    for (size_t i = 0; rc == CO_OK && i < sizeof tables / sizeof *tables; i++) {
        bool exists = false;
        rc = co_store_table_exists(db, tables[i], &exists, err);
        if (rc == CO_OK && exists)
            rc = co_error_set(err, CO_EUSAGE,
                              "demo: %s already has a table %s: give a database without the "
                              "legacy tables",
                              co_store_safe_uri(db), tables[i]);
    }
    if (rc == CO_OK)
        schema_for(serial, false, &sql);
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "demo: out of memory")
                        : co_store_exec(db, co_buf_str(&sql), err);
    bool created = rc == CO_OK;
    if (rc == CO_OK)
        rc = co_store_open(co_buf_str(&uri), CO_SIDE_SOURCE, dir, &legacy, err);
    if (rc == CO_OK)
        rc = co_store_begin(db, err);
    for (size_t i = 0; rc == CO_OK && i < sizeof tables / sizeof *tables; i++)
        rc = copy_table(legacy, db, tables[i], err);
    if (rc == CO_OK)
        rc = co_store_commit(db, err);
    else if (db)
        co_store_rollback(db);
    Co_buf_reset(&sql);
    if (rc == CO_OK)
        schema_for(serial, true, &sql);
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "demo: out of memory")
                        : co_store_exec(db, co_buf_str(&sql), err);
    if (rc == CO_OK)
        rc = write_mapping(dir, db, source, err);
    /* A failed load leaves no half-made tables behind. */
    for (size_t i = 0; rc != CO_OK && created && i < sizeof tables / sizeof *tables; i++) {
        co_error ignored;
        co_error_clear(&ignored);
        Co_buf_reset(&sql);
        Co_buf_adds(&sql, "DROP TABLE IF EXISTS ");
        co_store_quote_ident(db, tables[i], &sql);
        co_store_exec(db, co_buf_str(&sql), &ignored);
    }
    co_store_close(legacy);
    co_store_close(db);
    Co_buf_release(&uri);
    Co_buf_release(&sql);
    return rc;
}
