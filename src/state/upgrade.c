/*
 * upgrade.c: brings a journal opened to this cutover's schema. The steps
 * (schema.sql.h) are applied in order, those the journal has not had yet,
 * in one transaction that holds the journal's lock (PostgreSQL's advisory
 * lock, SQLite's write lock): processes that open one journal together wait
 * for one another, and the second finds the steps done. Each step applied
 * is a row of schema_migrations. A journal made by a newer cutover is
 * refused: this one does not know what its later steps changed.
 */
#include "state/state_int.h"
#include "state/schema.sql.h"
#include "util/clock.h"

#include <stdio.h>

#define STEP_COUNT (sizeof co_state_steps / sizeof co_state_steps[0])

_Static_assert(STEP_COUNT == CO_STATE_SCHEMA_VERSION,
               "one step per version, the last one CO_STATE_SCHEMA_VERSION");

/* The journal's version: the last step it recorded; 0 for a new journal and
 * for one made before versions were recorded. */
static co_code journal_version(co_store *s, int *version, co_error *err)
{
    bool exists = false;
    int64_t v = 0;
    co_code rc = co_store_table_exists(s, "schema_migrations", &exists, err);
    if (rc == CO_OK && exists)
        rc = co_store_query_int(s, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                                NULL, 0, &v, NULL, err);
    *version = (int)v;
    return rc;
}

/* Whether table has column, from the catalog: a query naming a missing
 * column would spoil PostgreSQL's transaction. */
static co_code has_column(co_store *s, const char *table, const char *column, bool *has,
                          co_error *err)
{
    co_column *cols = NULL;
    size_t n = 0;
    *has = false;
    co_code rc = co_store_columns(s, table, &cols, &n, err);
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        *has = *has || strcmp(cols[i].name, column) == 0;
    co_columns_free(cols, n);
    return rc;
}

static co_code newer_than_this(co_store *s, int version, co_error *err)
{
    return co_error_set(err, CO_EUNSUPPORTED,
                        "state: the journal %s is of schema version %d, made by a newer cutover; "
                        "this cutover knows versions up to %d: run the newer cutover on it",
                        co_store_safe_uri(s), version, CO_STATE_SCHEMA_VERSION);
}

/* Applies the steps after version, in order, recording each. */
static co_code apply_steps(co_store *s, int version, co_error *err)
{
    char now[32];
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    co_code rc = CO_OK;
    for (size_t i = 0; rc == CO_OK && i < STEP_COUNT; i++) {
        const co_state_step *step = &co_state_steps[i];
        if (step->version <= version)
            continue;
        /* A journal made before versions were recorded may have it already. */
        bool had = false;
        if (version == 0 && step->column)
            rc = has_column(s, step->table, step->column, &had, err);
        if (rc == CO_OK && !had)
            rc = co_store_schema_exec(s, step->ddl, err);
        co_param p[] = {{NULL, co_int(step->version)}, {NULL, co_text(now, strlen(now))}};
        if (rc == CO_OK)
            rc = co_store_exec_params(s,
                                      "INSERT INTO schema_migrations (version, applied_at)"
                                      " VALUES (?, ?)",
                                      p, 2, NULL, err);
        if (rc != CO_OK)
            co_error_where(err, "journal schema step %d", step->version);
    }
    co_param v = {NULL, co_int(CO_STATE_SCHEMA_VERSION)};
    if (rc == CO_OK) /* the setup row, when there is one, says the same */
        rc = co_store_exec_params(s, "UPDATE setup SET schema_version = ?", &v, 1, NULL, err);
    return rc;
}

co_code Co_state_upgrade(co_store *s, co_error *err)
{
    int version = 0;
    /* A journal up to date is only read: no lock for the common case. */
    co_code rc = journal_version(s, &version, err);
    if (rc != CO_OK || version == CO_STATE_SCHEMA_VERSION)
        return rc;
    if (version > CO_STATE_SCHEMA_VERSION)
        return newer_than_this(s, version, err);
    rc = co_store_schema_begin(s, "cutover.state", err);
    if (rc != CO_OK)
        return rc;
    rc = journal_version(s, &version, err); /* another process may have upgraded it */
    if (rc == CO_OK && version > CO_STATE_SCHEMA_VERSION)
        rc = newer_than_this(s, version, err);
    if (rc == CO_OK && version < CO_STATE_SCHEMA_VERSION)
        rc = apply_steps(s, version, err);
    if (rc == CO_OK)
        rc = co_store_commit(s, err);
    else
        co_store_rollback(s);
    return rc;
}
