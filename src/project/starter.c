/*
 * starter.c: the commented project file that `cutover init` writes. It shows
 * every key with what it does; tests/unit/test_project.c parses it, so it
 * cannot drift from what the parser accepts. docs/project-file.md is the full
 * reference.
 */
#include "project/project_int.h"

static const char starter[] =
    "# cutover.yaml: what to migrate, from where, to where.\n"
    "# Reference: docs/project-file.md. A key not shown here is an error, so a\n"
    "# typo is never ignored. Relative sqlite: paths and rejects_dir resolve\n"
    "# against the directory of this file.\n"
    "\n"
    "# The legacy database, the system of record until a tenant is switched:\n"
    "# sqlite:PATH, or a libpq URI such as postgresql://user@host/dbname.\n"
    "# CUTOVER_SOURCE or --source overrides it.\n"
    "source: sqlite:legacy.db\n"
    "\n"
    "# The new system's database. CUTOVER_TARGET or --target overrides it.\n"
    "target: sqlite:new.db\n"
    "\n"
    "# Optional: a throwaway target that rehearsals load into.\n"
    "staging: sqlite:staging.db\n"
    "\n"
    "# Optional: cutover's own journal (runs, steps, locks, id maps).\n"
    "# This is the default.\n"
    "state: sqlite:.cutover/state.db\n"
    "\n"
    "# One row per tenant: column 1 is the tenant key that :tenant is bound to,\n"
    "# column 2 (optional) a label for humans.\n"
    "tenants: SELECT id, name FROM accounts ORDER BY id\n"
    "\n"
    "options:\n"
    "  # Rows per target transaction, 1 to 1000000.\n"
    "  batch_size: 50000\n"
    "  # Where rows that cannot be loaded are written, with their key and reason.\n"
    "  rejects_dir: .cutover/rejects\n"
    "\n"
    "# The target tables, loaded in this order. Each is filled by a SQL query over\n"
    "# the source; :tenant is bound to the tenant key of the run.\n"
    "entities:\n"
    "  - name: customers            # unique: letters, digits and '_'\n"
    "    target: customers          # the target table; defaults to the name\n"
    "    key: [id]                  # the key column(s) of the query's output\n"
    "    tenant_column: account_id  # target column holding the tenant key, used\n"
    "                               # to find and purge a tenant's rows\n"
    "    query: |\n"
    "      SELECT id, account_id, name, email\n"
    "      FROM customers\n"
    "      WHERE account_id = :tenant\n"
    "\n"
    "  - name: orders\n"
    "    key: id                    # one column can be written without brackets\n"
    "    tenant_column: account_id\n"
    "    query: |\n"
    "      SELECT id, account_id, customer_id, total, ordered_at\n"
    "      FROM orders\n"
    "      WHERE account_id = :tenant\n"
    "    refs:                      # column: an earlier entity. The value is\n"
    "      customer_id: customers   # remapped through that entity's id map; no\n"
    "                               # match makes the row a reject.\n"
    "\n"
    "# Optional: source rows of no tenant (their tenant value is NULL or names no\n"
    "# tenant) left behind on purpose, each rule with a reason. Rows no rule\n"
    "# covers are findings of cutover verify --all; audit counts them too.\n"
    "# orphans:\n"
    "#   - table: customers           # a source table; left out, every table\n"
    "#     tenant_value: null         # null, unknown, or a list of values\n"
    "#     reason: leads never assigned to an account\n";

const char *co_project_starter(void) { return starter; }

/* ---- a starter made from the databases (cutover init --source --target) ---- */

#include "cutover/store.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Column names that usually hold the tenant, most likely first. */
static const char *const tenant_names[] = {
    "tenant_id", "account_id", "organization_id", "org_id", "workspace_id",
    "company_id", "customer_id", "client_id",
};
/* Tables that usually list the tenants. */
static const char *const tenant_tables[] = {
    "tenants", "accounts", "organizations", "orgs", "workspaces", "companies", "customers",
};
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

typedef struct table_info {
    char *name;
    co_column *cols;
    size_t ncols;
    bool found;       /* in the database */
    char **parents;   /* target tables its foreign keys name */
    size_t nparents;
    bool placed;
} table_info;

static const co_column *find_col(const table_info *t, const char *name)
{
    for (size_t i = 0; t && i < t->ncols; i++)
        if (strcasecmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* Appends heading, then the columns of a that b lacks, ", "-separated; true
 * when there was one (nothing is appended when there was none). */
static bool missing_cols(const table_info *a, const table_info *b, const char *heading,
                         co_buf *out)
{
    bool any = false;
    for (size_t i = 0; i < a->ncols; i++)
        if (!find_col(b, a->cols[i].name)) {
            Co_buf_adds(out, any ? ", " : heading);
            Co_buf_adds(out, a->cols[i].name);
            any = true;
        }
    return any;
}

static table_info *find_table(table_info *ts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(ts[i].name, name) == 0)
            return &ts[i];
    return NULL;
}

static void tables_free(table_info *ts, size_t n)
{
    for (size_t i = 0; ts && i < n; i++) {
        free(ts[i].name);
        co_columns_free(ts[i].cols, ts[i].ncols);
        co_names_free(ts[i].parents, ts[i].nparents);
    }
    free(ts);
}

/* Every table of s with its columns. */
static co_code read_tables(co_store *s, table_info **out, size_t *n, co_error *err)
{
    char **names = NULL;
    size_t count = 0;
    *out = NULL;
    *n = 0;
    co_code rc = co_store_schema_tables(s, &names, &count, err);
    if (rc != CO_OK)
        return rc;
    table_info *ts = calloc(count ? count : 1, sizeof *ts);
    if (!ts) {
        co_names_free(names, count);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < count && rc == CO_OK; i++) {
        ts[i].name = names[i];
        names[i] = NULL;
        rc = co_store_columns(s, ts[i].name, &ts[i].cols, &ts[i].ncols, err);
        ts[i].found = true;
    }
    co_names_free(names, count);
    if (rc != CO_OK) {
        tables_free(ts, count);
        return rc;
    }
    *out = ts;
    *n = count;
    return CO_OK;
}

static void on_parent(void *ctx, const char *table, const char *column)
{
    (void)column;
    table_info *t = ctx;
    for (size_t i = 0; i < t->nparents; i++)
        if (strcmp(t->parents[i], table) == 0)
            return;
    char **grown = realloc(t->parents, (t->nparents + 1) * sizeof *grown);
    if (!grown)
        return;
    t->parents = grown;
    if ((t->parents[t->nparents] = strdup(table)))
        t->nparents++;
}

/* An identifier for SQL: as is when plain lower-case, else quoted. */
static void sql_ident(co_store *s, const char *name, co_buf *out)
{
    bool plain = name[0] && !isdigit((unsigned char)name[0]);
    for (const char *p = name; *p && plain; p++)
        plain = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_';
    if (plain)
        Co_buf_adds(out, name);
    else
        co_store_quote_ident(s, name, out);
}

/* A YAML plain scalar or a double-quoted one. */
static void yaml_scalar(const char *text, co_buf *out)
{
    bool plain = text[0] != '\0';
    for (const char *p = text; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("_-./:@", *p);
    if (plain && !strchr("-:", text[0])) {
        Co_buf_adds(out, text);
        return;
    }
    Co_buf_addc(out, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            Co_buf_addc(out, '\\');
        Co_buf_addc(out, *p);
    }
    Co_buf_addc(out, '"');
}

/* An entity name from a table name: letters, digits and '_'. */
static void entity_name(const char *table, co_buf *out)
{
    if (!isalpha((unsigned char)table[0]) && table[0] != '_')
        Co_buf_addc(out, 't');
    for (const char *p = table; *p; p++)
        Co_buf_addc(out, isalnum((unsigned char)*p) || *p == '_' ? *p : '_');
}

/* The tenant column most source tables share, or NULL. */
static const char *guess_tenant(table_info *src, size_t nsrc)
{
    const char *best = NULL;
    size_t best_n = 0;
    for (size_t k = 0; k < NELEMS(tenant_names); k++) {
        size_t n = 0;
        for (size_t i = 0; i < nsrc; i++)
            n += find_col(&src[i], tenant_names[k]) != NULL;
        if (n > best_n) {
            best = tenant_names[k];
            best_n = n;
        }
    }
    return best;
}

static void write_entity(co_store *source, table_info *t, table_info *src, const char *tenant,
                         const table_info *list, co_buf *out)
{
    if (src && src == list) /* the table of tenants: a tenant is its own row */
        tenant = "id";
    Co_buf_adds(out, "\n  - name: ");
    entity_name(t->name, out);
    Co_buf_adds(out, "\n    target: ");
    yaml_scalar(t->name, out);
    Co_buf_adds(out, "\n    key: [");
    size_t nkey = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].primary_key) {
            Co_buf_adds(out, nkey++ ? ", " : "");
            yaml_scalar(t->cols[i].name, out);
        }
    if (!nkey && t->ncols)
        yaml_scalar(t->cols[0].name, out);
    Co_buf_adds(out, nkey ? "]" : "]   # TODO: the target declares no primary key: name the "
                                  "column(s) that identify a row");
    if (tenant && find_col(t, tenant)) {
        Co_buf_adds(out, "\n    tenant_column: ");
        yaml_scalar(find_col(t, tenant)->name, out);
    }
    /* What does not match, said before the query it concerns. */
    if (!src) {
        Co_buf_adds(out, "\n    # TODO: the source has no table named ");
        yaml_scalar(t->name, out);
        Co_buf_adds(out, ": write the query that gives this table's rows");
    } else {
        if (missing_cols(t, src, "\n    # TODO: target columns with no source column of that "
                                 "name: ",
                         out))
            Co_buf_adds(out, "\n    #   (compute or rename them in the query: expr AS column;"
                             " left out, they get their default)");
        missing_cols(src, t, "\n    # source columns the target does not have (not read): ", out);
        if (!tenant || !find_col(src, tenant))
            Co_buf_adds(out, "\n    # TODO: the source table has no tenant column: filter its "
                             "rows by tenant (a join to a table that has one)");
    }
    for (size_t i = 0; i < t->nparents; i++) {
        Co_buf_adds(out, i ? ", " : "\n    # its foreign keys name: ");
        Co_buf_adds(out, t->parents[i]);
        if (i + 1 == t->nparents)
            Co_buf_adds(out, " (if the target gives them new keys, remap with refs: "
                             "{ COLUMN: ENTITY })");
    }
    Co_buf_adds(out, "\n    query: |\n      SELECT ");
    size_t shown = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        if (src && !find_col(src, t->cols[i].name))
            continue;
        Co_buf_adds(out, shown++ ? ", " : "");
        sql_ident(source, src ? find_col(src, t->cols[i].name)->name : t->cols[i].name, out);
    }
    if (!shown)
        Co_buf_adds(out, "NULL AS TODO");
    Co_buf_adds(out, "\n      FROM ");
    sql_ident(source, src ? src->name : t->name, out);
    Co_buf_adds(out, "\n      WHERE ");
    if (src && tenant && find_col(src, tenant))
        sql_ident(source, find_col(src, tenant)->name, out);
    else
        Co_buf_adds(out, "TODO_tenant_column");
    Co_buf_adds(out, " = :tenant\n");
}

co_code co_project_starter_from(co_store *source, co_store *target, const char *source_uri,
                                const char *target_uri, co_buf *out, co_error *err)
{
    table_info *src = NULL, *tgt = NULL;
    size_t nsrc = 0, ntgt = 0;
    co_code rc = read_tables(source, &src, &nsrc, err);
    if (rc == CO_OK)
        rc = read_tables(target, &tgt, &ntgt, err);
    for (size_t i = 0; rc == CO_OK && i < ntgt; i++)
        rc = co_store_table_parents(target, tgt[i].name, on_parent, &tgt[i], err);
    if (rc != CO_OK) {
        tables_free(src, nsrc);
        tables_free(tgt, ntgt);
        return rc;
    }
    if (ntgt == 0) {
        tables_free(src, nsrc);
        tables_free(tgt, ntgt);
        return co_error_set(err, CO_ENOTFOUND, "target: no table to fill (create the new "
                                               "system's schema first)");
    }
    const char *tenant = guess_tenant(src, nsrc);
    Co_buf_adds(out, "# cutover.yaml, written by `cutover init` from the source's and the "
                     "target's schemas:\n"
                     "# one entity per target table, its columns matched by name. Look at "
                     "every TODO,\n"
                     "# then run `cutover check`. Reference: docs/project-file.md.\n\n");
    Co_buf_adds(out, "source: ");
    yaml_scalar(source_uri, out);
    Co_buf_adds(out, "\ntarget: ");
    yaml_scalar(target_uri, out);
    Co_buf_adds(out, co_store_sqlite_path(target)
                         ? "\n# Rehearsals load here first; `cutover rehearse` creates it with "
                           "the target's tables.\nstaging: sqlite:staging.db\n"
                         : "\n# TODO: a throwaway database of the same server for rehearsals "
                           "(rehearse creates the target's tables in it):\n"
                           "# staging: postgresql://HOST/DBNAME_staging\n");
    /* The tenants: a table that lists them, else the distinct tenant values. */
    const table_info *list = NULL;
    for (size_t k = 0; k < NELEMS(tenant_tables) && !list; k++) {
        const table_info *t = find_table(src, nsrc, tenant_tables[k]);
        if (t && find_col(t, "id"))
            list = t;
    }
    Co_buf_adds(out, "\n# One row per tenant: its key (what :tenant is bound to), and a label.\n");
    if (list) {
        Co_buf_adds(out, "tenants: SELECT id");
        const co_column *label = find_col(list, "name");
        if (label) {
            Co_buf_adds(out, ", ");
            sql_ident(source, label->name, out);
        }
        Co_buf_adds(out, " FROM ");
        sql_ident(source, list->name, out);
        Co_buf_adds(out, " ORDER BY id\n");
    } else {
        Co_buf_adds(out, "# TODO: no table of the source lists the tenants; this reads them "
                         "from the rows.\ntenants: SELECT DISTINCT ");
        Co_buf_adds(out, tenant ? tenant : "TODO_tenant_column");
        Co_buf_adds(out, " FROM ");
        Co_buf_adds(out, nsrc ? src[0].name : "TODO_table");
        Co_buf_adds(out, " ORDER BY 1\n");
    }
    if (!tenant)
        Co_buf_adds(out, "# TODO: no column of the source looks like a tenant key (tenant_id, "
                         "account_id, ...): set each entity's WHERE.\n");
    Co_buf_adds(out, "\n# The target's tables, parents first. Each entity's query runs on the "
                     "source with\n# :tenant bound to one tenant's key.\nentities:");
    /* Parents first: a table goes once every table it names has (cycles: as listed). */
    size_t placed = 0;
    while (placed < ntgt) {
        bool progress = false;
        for (size_t i = 0; i < ntgt; i++) {
            if (tgt[i].placed)
                continue;
            bool ready = true;
            for (size_t k = 0; k < tgt[i].nparents && ready; k++) {
                const table_info *p = find_table(tgt, ntgt, tgt[i].parents[k]);
                ready = !p || p->placed || p == &tgt[i];
            }
            if (!ready)
                continue;
            write_entity(source, &tgt[i], find_table(src, nsrc, tgt[i].name), tenant, list,
                         out);
            tgt[i].placed = true;
            placed++;
            progress = true;
        }
        for (size_t i = 0; !progress && i < ntgt; i++)
            if (!tgt[i].placed) { /* a cycle: the first left goes next */
                write_entity(source, &tgt[i], find_table(src, nsrc, tgt[i].name), tenant, list,
                         out);
                tgt[i].placed = true;
                placed++;
                progress = true;
            }
    }
    tables_free(src, nsrc);
    tables_free(tgt, ntgt);
    return out->failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}
