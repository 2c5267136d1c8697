/*
 * fingerprint.c: the schemas a rehearsal ran against (rehearse.h). A
 * fingerprint is text, one line per column of each table the project uses:
 * "source events.occurred_at<TAB>TEXT key not-null". On the source: every
 * table an entity query (or the tenants query) reads, every captured table
 * and every table a reverse mapping writes (where the source cannot list what
 * a query reads, MySQL for now, only these two); on the target: every
 * entity's table. Comparing two fingerprints names what changed, column by column.
 */
#include "cutover/rehearse.h"
#include "cutover/state.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/map.h"
#include "util/free.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_table(void *ctx, const char *table, const char *column)
{
    (void)column;
    co_map *tables = ctx;
    if (table && *table)
        Co_map_put(tables, table, strlen(table), "", 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the lines of the tables in the set, sorted by name. */
static co_code describe(co_store *st, const char *side, co_map *tables, co_buf *out,
                        co_error *err)
{
    size_t n = co_map_count(tables), pos = 0, i = 0, klen, vlen;
    const char *key, *val;
    co_code rc = CO_OK;
    /* The map's keys are byte strings: terminated copies, to sort. */
    char **owned = calloc(n ? n : 1, sizeof *owned);
    if (!owned)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    while (rc == CO_OK && i < n && Co_map_next(tables, &pos, &key, &klen, &val, &vlen))
        if (!(owned[i++] = strndup(key, klen)))
            rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        qsort(owned, i, sizeof *owned, by_name);
    for (size_t k = 0; rc == CO_OK && k < i; k++) {
        co_column *cols = NULL;
        size_t ncols = 0;
        rc = co_store_columns(st, owned[k], &cols, &ncols, err);
        if (rc == CO_ENOTFOUND) { /* a table gone is a difference, not an error */
            co_error_clear(err);
            rc = CO_OK;
            Co_buf_printf(out, "%s %s\t(no such table)\n", side, owned[k]);
        }
        for (size_t c = 0; rc == CO_OK && c < ncols; c++)
            Co_buf_printf(out, "%s %s.%s\t%s%s%s\n", side, owned[k], cols[c].name,
                          cols[c].decl_type && *cols[c].decl_type ? cols[c].decl_type : "(none)",
                          cols[c].primary_key ? " key" : "", cols[c].notnull ? " not-null" : "");
        co_columns_free(cols, ncols);
    }
    for (size_t k = 0; k < i; k++)
        free(owned[k]);
    free(owned);
    if (rc == CO_OK && out->failed)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    return rc;
}

co_code co_schema_fingerprint(co_store *source, co_store *target, const co_project *p,
                              char **out, co_error *err)
{
    *out = NULL;
    co_map src, tgt;
    Co_map_init(&src);
    Co_map_init(&tgt);
    co_code rc = CO_OK;
    if (p->tenants_query)
        rc = co_store_query_reads(source, p->tenants_query, add_table, &src, err);
    /* A source that cannot list what a query reads (MySQL, for now) is
     * fingerprinted by the tables cutover captures and writes back only. */
    bool reads = rc != CO_EUNSUPPORTED;
    if (!reads) {
        co_error_clear(err);
        rc = CO_OK;
    }
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        if (reads)
            rc = co_store_query_reads(source, e->query, add_table, &src, err);
        if (rc == CO_EUNSUPPORTED) {
            co_error_clear(err);
            rc = CO_OK;
            reads = false;
        }
        if (rc != CO_OK)
            co_error_where(err, "entity %s", e->name);
        add_table(&tgt, e->target, NULL);
        if (e->reverse)
            add_table(&src, e->reverse->table, NULL);
    }
    for (size_t i = 0; rc == CO_OK && i < p->ncapture; i++)
        add_table(&src, p->capture[i].table, NULL);
    co_buf b = CO_BUF_INIT;
    if (rc == CO_OK)
        rc = describe(source, "source", &src, &b, err);
    if (rc == CO_OK)
        rc = describe(target, "target", &tgt, &b, err);
    Co_map_release(&src);
    Co_map_release(&tgt);
    if (rc != CO_OK) {
        Co_buf_release(&b);
        return rc;
    }
    if (!(*out = co_buf_detach(&b)) && !(*out = strdup("")))
        return co_error_set(err, CO_ENOMEM, "out of memory");
    return CO_OK;
}

/* The description of column line `name` ("source t.c") in fp, or NULL; its
 * length into *len. */
static const char *find_line(const char *fp, const char *name, size_t nlen, size_t *len)
{
    for (const char *line = fp; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t llen = end ? (size_t)(end - line) : strlen(line);
        if (llen > nlen && strncmp(line, name, nlen) == 0 && line[nlen] == '\t') {
            *len = llen - nlen - 1;
            return line + nlen + 1;
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Adds to out the lines of a missing from b (or different), as changes. */
static void diff_side(const char *a, const char *b, bool removed, co_buf *out, size_t *count)
{
    for (const char *line = a; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t llen = end ? (size_t)(end - line) : strlen(line);
        const char *tab = memchr(line, '\t', llen);
        if (tab) {
            size_t nlen = (size_t)(tab - line), dlen = llen - nlen - 1, olen = 0;
            const char *other = find_line(b, line, nlen, &olen);
            bool report = !other || (removed && (olen != dlen || memcmp(other, tab + 1, dlen)));
            if (report && (*count)++ < 8) {
                Co_buf_printf(out, "%s%.*s ", out->len ? "; " : "", (int)nlen, line);
                if (!other)
                    Co_buf_printf(out, "%s (%.*s)", removed ? "removed" : "added", (int)dlen,
                                  tab + 1);
                else
                    Co_buf_printf(out, "%.*s -> %.*s", (int)dlen, tab + 1, (int)olen, other);
            }
        }
        line = end ? end + 1 : NULL;
    }
}

bool co_schema_compare(const char *rehearsed, const char *now, char **changes)
{
    *changes = NULL;
    if (strcmp(rehearsed, now) == 0)
        return true;
    co_buf out = CO_BUF_INIT;
    size_t count = 0;
    diff_side(rehearsed, now, true, &out, &count);
    diff_side(now, rehearsed, false, &out, &count);
    if (count > 8)
        Co_buf_printf(&out, "; and %zu more", count - 8);
    if (!count) /* the same lines in another order */
        Co_buf_adds(&out, "the order of columns");
    *changes = out.failed ? (Co_buf_release(&out), NULL) : co_buf_detach(&out);
    return false;
}

co_code co_rehearsal_schema_record(co_session *main, const char *tenant, co_error *err)
{
    char *fp = NULL;
    co_code rc = co_schema_fingerprint(main->source, main->dest, main->project, &fp, err);
    if (rc == CO_OK)
        rc = co_state_schema_record(main->state, tenant, main->project->hash, fp, err);
    free(fp);
    return rc;
}

co_code co_rehearsal_schema_check(co_session *s, const char *tenant, co_error *err)
{
    char *recorded = NULL, *now = NULL, *changes = NULL;
    co_code rc = co_state_schema_get(s->state, tenant, s->project->hash, &recorded, err);
    if (rc == CO_OK && !recorded)
        rc = co_error_set(err, CO_ENOTREADY,
                          "tenant %s's rehearsal recorded no fingerprint of the source and target "
                          "schemas (an older cutover made it): run cutover rehearse --tenant %s "
                          "again, or pass --skip-rehearsal",
                          tenant, tenant);
    if (rc == CO_OK)
        rc = co_schema_fingerprint(s->source, s->dest, s->project, &now, err);
    if (rc == CO_OK && !co_schema_compare(recorded, now, &changes))
        rc = co_error_set(err, CO_ENOTREADY,
                          "the schema changed since tenant %s's rehearsal: %.600s. Rehearse "
                          "again (cutover rehearse --tenant %s) against the schema as it is now",
                          tenant, changes ? changes : "(out of memory)", tenant);
    CO_FREE(recorded, now, changes);
    return rc;
}
