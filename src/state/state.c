/*
 * state.c: the journal (include/cutover/state.h) on a SQLite store in WAL mode.
 * Writes that belong together are made in one transaction by the caller;
 * these functions are single statements and do not open transactions.
 */
#include "cutover/state.h"
#include "state/state_int.h"
#include "util/buf.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tenant this process holds, and how many times (leases nest). */
typedef struct held_lease {
    struct held_lease *next;
    int count;
    char tenant[];
} held_lease;

struct co_state {
    co_store *store;
    char *journal;      /* the URI as given and the directory it is relative to */
    held_lease *held;
    co_idmap_writer *idmap; /* id_map and id_map_runs (idmap.c) */
    co_loader *rejects; /* INSERT into rejects, prepared once */
    co_loader *merges;  /* INSERT into merges, prepared once */
};

static co_value text(const char *s)
{
    return s ? co_text(s, strlen(s)) : co_null();
}

static void now_iso(char buf[32]) { Co_clock_iso(Co_clock_now(), buf, 32); }

co_store *Co_state_store(co_state *st) { return st->store; }

co_value Co_state_text_or_null(const char *s) { return s ? co_text(s, strlen(s)) : co_null(); }

const char *Co_state_cell_text(co_value v, char *buf, size_t cap)
{
    if (v.type != CO_TEXT)
        return NULL;
    size_t len = v.len < cap - 1 ? v.len : cap - 1;
    memcpy(buf, v.s, len);
    buf[len] = '\0';
    return buf;
}

co_code co_state_begin(co_state *st, co_error *err) { return co_store_begin(st->store, err); }

co_code co_state_begin_batch(co_state *st, co_error *err)
{
    return co_store_begin_on_write(st->store, err);
}

co_idmap_writer *Co_state_idmap_writer(co_state *st) { return st->idmap; }

co_code Co_state_flush(co_state *st, co_error *err)
{
    co_code rc = Co_idmap_writer_flush(st->idmap, err);
    if (rc == CO_OK)
        rc = co_loader_flush(st->rejects, err);
    if (rc == CO_OK)
        rc = co_loader_flush(st->merges, err);
    return rc;
}

co_code co_state_commit(co_state *st, co_error *err)
{
    co_code rc = Co_state_flush(st, err);
    if (rc == CO_OK)
        rc = co_store_commit(st->store, err);
    return rc;
}

void co_state_rollback(co_state *st)
{
    /* Buffered rows belong to the transaction: they go with it. */
    Co_idmap_writer_discard(st->idmap);
    co_loader_discard(st->rejects);
    co_loader_discard(st->merges);
    co_store_rollback(st->store);
}

/* A journal file this open created and could not set up (still 0 bytes) is
 * removed: left behind, it would stop the next run as "not a cutover journal". */
static void remove_failed_journal(co_state *st, bool fresh)
{
    const char *path = fresh && st->store ? co_store_sqlite_path(st->store) : NULL;
    struct stat sb;
    if (path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
        unlink(path);
}

co_code co_state_open(const char *uri, const char *base_dir, co_state **out, co_error *err)
{
    *out = NULL;
    co_state *st = calloc(1, sizeof *st);
    if (!st)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    /* A journal is never made anew in place of a file that is not one. */
    bool fresh = co_store_is_new_file(uri, base_dir);
    co_code rc = co_state_file_check(uri, base_dir, err);
    co_buf journal = CO_BUF_INIT;
    Co_buf_printf(&journal, "%s\n%s", uri, base_dir ? base_dir : "");
    st->journal = journal.failed ? NULL : co_buf_detach(&journal);
    if (rc == CO_OK && !st->journal)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    if (rc == CO_OK)
        rc = co_store_open(uri, CO_SIDE_STATE, base_dir, &st->store, err);
    if (rc == CO_OK) /* a file that holds other tables is not a journal */
        rc = co_state_is_journal(st, err);
    if (rc == CO_OK)
        rc = co_store_make_durable(st->store, err);
    if (rc == CO_OK) /* workers starting together create or upgrade it once */
        rc = Co_state_upgrade(st->store, err);
    static const char *const reject_cols[] = {"run_id", "tenant", "entity",
                                              "source_key", "rule", "reason"};
    if (rc == CO_OK)
        rc = Co_idmap_writer_open(st->store, &st->idmap, err);
    static const char *const merge_cols[] = {"tenant", "entity", "source_key",
                                             "target_key", "how", "score"};
    if (rc == CO_OK)
        rc = co_loader_open(st->store, "rejects", reject_cols, 6, NULL, &st->rejects, err);
    if (rc == CO_OK)
        rc = co_loader_open(st->store, "merges", merge_cols, 6, NULL, &st->merges, err);
    if (rc != CO_OK) {
        remove_failed_journal(st, fresh);
        co_state_close(st);
        return rc;
    }
    *out = st;
    return CO_OK;
}

int *Co_state_held(co_state *st, const char *tenant, bool create)
{
    for (held_lease *h = st->held; h; h = h->next)
        if (strcmp(h->tenant, tenant) == 0)
            return &h->count;
    if (!create)
        return NULL;
    size_t len = strlen(tenant) + 1;
    held_lease *h = calloc(1, sizeof *h + len);
    if (!h)
        return NULL;
    memcpy(h->tenant, tenant, len);
    h->next = st->held;
    st->held = h;
    return &h->count;
}

void co_state_close(co_state *st)
{
    if (!st)
        return;
    /* Leases still held go with the process that closes its journal. */
    for (held_lease *h = st->held, *next; h; h = next) {
        next = h->next;
        st->held = h; /* the list from here on: co_state_unlease walks it */
        if (h->count > 0) {
            co_error ignored;
            h->count = 1;
            co_state_unlease(st, h->tenant, &ignored);
        }
        free(h);
    }
    Co_idmap_writer_close(st->idmap);
    co_loader_close(st->rejects);
    co_loader_close(st->merges);
    co_store_close(st->store);
    free(st->journal);
    free(st);
}

const char *Co_state_journal(const co_state *st) { return st->journal; }

co_code co_state_setup(co_state *st, const char *project_hash, const char *project_path,
                       bool start_over, co_error *err)
{
    char now[32];
    now_iso(now);
    /* The first process to arrive records the file; workers starting together
     * on a new journal all try, and the others find its row. */
    co_param first[] = {{NULL, co_int(CO_STATE_SCHEMA_VERSION)}, {NULL, text(project_hash)},
                        {NULL, text(project_path)}, {NULL, text(now)}, {NULL, text(now)}};
    long long inserted = 0;
    co_code rc = co_store_exec_params(st->store,
                                      "INSERT INTO setup (id, schema_version, project_hash,"
                                      " project_path, created_at, updated_at)"
                                      " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                                      first, 5, &inserted, err);
    if (rc != CO_OK || inserted == 1)
        return rc;
    co_cursor *c;
    rc = co_store_query(st->store, "SELECT project_hash FROM setup WHERE id = 1", NULL, 0, &c,
                        err);
    if (rc != CO_OK)
        return rc;
    bool has_row;
    char recorded[64] = "";
    rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (v.type == CO_TEXT)
            snprintf(recorded, sizeof recorded, "%s", v.s);
    }
    co_cursor_close(c);
    if (rc != CO_OK)
        return rc;

    if (!has_row)
        return co_error_set(err, CO_ESTATE, "the journal's setup row vanished while reading it");
    if (strcmp(recorded, project_hash) == 0)
        return CO_OK;
    /* Until a run has begun, the journal binds nothing: take the new file. */
    bool any_run = false;
    rc = co_store_query(st->store, "SELECT 1 FROM runs LIMIT 1", NULL, 0, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &any_run, err);
    co_cursor_close(c);
    if (rc != CO_OK)
        return rc;
    if (!any_run)
        start_over = true;
    else if (!start_over)
        return co_error_set(err, CO_ECHANGED,
                            "the project file changed since this journal began (recorded %s, now "
                            "%s): restore the file, or pass --start-over to journal anew",
                            recorded, project_hash);
    co_param p[] = {{NULL, text(project_hash)}, {NULL, text(project_path)}, {NULL, text(now)}};
    rc = co_store_exec_params(st->store,
                              "UPDATE setup SET project_hash = ?, project_path = ?,"
                              " updated_at = ? WHERE id = 1",
                              p, 3, NULL, err);
    if (rc == CO_OK)
        rc = co_store_exec(st->store,
                           "UPDATE runs SET status = 'abandoned' WHERE status = 'running'", err);
    return rc;
}

co_code co_state_tenant_seen(co_state *st, const char *tenant, const char *label, co_error *err)
{
    char now[32];
    now_iso(now);
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(label)}, {NULL, text(now)}};
    return co_store_exec_params(st->store,
                                "INSERT INTO tenants (tenant, label, updated_at) VALUES (?, ?, ?)"
                                " ON CONFLICT (tenant) DO UPDATE SET label = excluded.label"
                                " WHERE tenants.label IS DISTINCT FROM excluded.label",
                                p, 3, NULL, err);
}

co_code co_state_tenant_get(co_state *st, const char *tenant, char *buf, size_t cap,
                            co_error *err)
{
    co_param p = {NULL, text(tenant)};
    co_cursor *c;
    co_code rc = co_store_query(st->store, "SELECT state FROM tenants WHERE tenant = ?", &p, 1,
                                &c, err);
    if (rc != CO_OK)
        return rc;
    bool has_row;
    snprintf(buf, cap, "new");
    rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        co_value v = co_cursor_value(c, 0);
        if (v.type == CO_TEXT)
            snprintf(buf, cap, "%s", v.s);
    }
    co_cursor_close(c);
    return rc;
}

co_code co_state_run_begin(co_state *st, const char *tenant, const char *command,
                           const char *project_hash, int64_t *run_id, co_error *err)
{
    char now[32];
    now_iso(now);
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(command)}, {NULL, text(project_hash)},
                    {NULL, co_int(getpid())}, {NULL, text(now)}};
    bool found = false;
    co_code rc = co_store_query_int(st->store,
                                    "INSERT INTO runs (tenant, command, project_hash, status, pid,"
                                    " started_at) VALUES (?, ?, ?, 'running', ?, ?) RETURNING id",
                                    p, 5, run_id, &found, err);
    if (rc == CO_OK && !found)
        rc = co_error_set(err, CO_ESTATE, "state: the new run got no id");
    return rc;
}

co_code co_state_run_end(co_state *st, int64_t run_id, const char *status,
                         const char *error_text, double seconds, co_error *err)
{
    char now[32];
    now_iso(now);
    co_param p[] = {{NULL, text(status)}, {NULL, text(now)}, {NULL, co_real(seconds)},
                    {NULL, text(error_text)}, {NULL, co_int(run_id)}};
    return co_store_exec_params(st->store,
                                "UPDATE runs SET status = ?, ended_at = ?, seconds = ?, error = ?"
                                " WHERE id = ?",
                                p, 5, NULL, err);
}

/* A step's mark: a statement whose commit is not synced (co_store_defer_sync).
 * A step is always followed by a synced commit (its entity's batches, the
 * run's end, a failure's mark) that makes its marks durable before the
 * target depends on them; a machine that stops before it loses them as a
 * run killed before them would not have written them: the run is resumed
 * from what the journal holds, as after a kill. */
static co_code exec_step_mark(co_state *st, const char *sql, const co_param *p, size_t n,
                              co_error *err)
{
    bool deferred = false;
    co_code rc = co_store_defer_sync(st->store, true, &deferred, err);
    if (rc == CO_OK)
        rc = co_store_exec_params(st->store, sql, p, n, NULL, err);
    if (deferred) {
        co_error undo;
        co_error_clear(&undo);
        if (co_store_defer_sync(st->store, false, NULL, &undo) != CO_OK && rc == CO_OK) {
            if (err)
                *err = undo;
            rc = undo.code;
        }
    }
    return rc;
}

co_code co_state_step_begin(co_state *st, int64_t run_id, const char *step, const char *entity,
                            co_error *err)
{
    char now[32];
    now_iso(now);
    co_param p[] = {{NULL, co_int(run_id)}, {NULL, text(step)}, {NULL, text(entity)},
                    {NULL, text(now)}};
    return exec_step_mark(st,
                          "INSERT INTO steps (run_id, step, entity, status, started_at)"
                          " VALUES (?, ?, ?, 'running', ?) ON CONFLICT (run_id, step)"
                          " DO UPDATE SET status = 'running', started_at = excluded.started_at",
                          p, 4, err);
}

co_code co_state_step_end(co_state *st, int64_t run_id, const char *step, const char *status,
                          int64_t source_rows, int64_t loaded, int64_t rejected, double seconds,
                          co_error *err)
{
    char now[32];
    now_iso(now);
    co_param p[] = {{NULL, text(status)}, {NULL, text(now)},    {NULL, co_int(source_rows)},
                    {NULL, co_int(loaded)}, {NULL, co_int(rejected)}, {NULL, co_real(seconds)},
                    {NULL, co_int(run_id)}, {NULL, text(step)}};
    return exec_step_mark(st,
                          "UPDATE steps SET status = ?, ended_at = ?, source_rows = ?,"
                          " loaded = ?, rejected = ?, seconds = ? WHERE run_id = ? AND step = ?",
                          p, 8, err);
}

co_code co_state_merge_add(co_state *st, const char *tenant, const char *entity,
                           const char *source_key, const char *target_key, const char *how,
                           double score, co_error *err)
{
    co_value row[] = {text(tenant),     text(entity), text(source_key),
                      text(target_key), text(how),    score >= 0 ? co_real(score) : co_null()};
    return co_loader_put(st->merges, row, err);
}

co_code co_state_merge_delete(co_state *st, const char *tenant, const char *entity,
                              const char *source_key, co_error *err)
{
    co_code rc = co_loader_flush(st->merges, err); /* an add buffered before must go first */
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(entity)}, {NULL, text(source_key)}};
    if (rc == CO_OK)
        rc = co_store_exec_params(st->store,
                                  "DELETE FROM merges WHERE tenant = ? AND entity = ? AND "
                                  "source_key = ?",
                                  p, 3, NULL, err);
    return rc;
}

co_code co_state_merges_delete_into(co_state *st, const char *tenant, const char *entity,
                                    const char *target_key, co_error *err)
{
    co_code rc = co_loader_flush(st->merges, err);
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(entity)}, {NULL, text(target_key)}};
    if (rc == CO_OK)
        rc = co_store_exec_params(st->store,
                                  "DELETE FROM merges WHERE tenant = ? AND entity = ? AND "
                                  "target_key = ?",
                                  p, 3, NULL, err);
    return rc;
}

co_code co_state_merges_clear(co_state *st, const char *tenant, const char *entity,
                              co_error *err)
{
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(entity)}};
    return co_store_exec_params(st->store, "DELETE FROM merges WHERE tenant = ? AND entity = ?",
                                p, 2, NULL, err);
}

co_code co_state_decision_set(co_state *st, const char *tenant, const char *entity,
                              const char *key_a, const char *key_b, const char *decision,
                              const char *origin, co_error *err)
{
    if (strcmp(key_a, key_b) > 0) {
        const char *swap = key_a;
        key_a = key_b;
        key_b = swap;
    }
    char now[32];
    now_iso(now);
    co_param p[] = {{NULL, text(tenant)},   {NULL, text(entity)}, {NULL, text(key_a)},
                    {NULL, text(key_b)},    {NULL, text(decision)}, {NULL, text(now)},
                    {NULL, text(origin)}};
    return co_store_exec_params(st->store,
                                "INSERT INTO merge_decisions (tenant, entity, key_a, key_b, decision,"
                                " decided_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?)"
                                " ON CONFLICT (tenant, entity, key_a, key_b) DO UPDATE SET"
                                " decision = excluded.decision, decided_at = excluded.decided_at,"
                                " origin = excluded.origin",
                                p, 7, NULL, err);
}

co_code co_state_decisions_query(co_state *st, const char *tenant, const char *entity,
                                 co_cursor **out, co_error *err)
{
    co_param p[] = {{NULL, text(tenant)}, {NULL, text(entity)}};
    return co_store_query(st->store,
                          "SELECT key_a, key_b, decision FROM merge_decisions"
                          " WHERE tenant = ? AND entity = ?",
                          p, 2, out, err);
}

co_code co_state_rejects_clear(co_state *st, const char *tenant, co_error *err)
{
    co_param p = {NULL, text(tenant)};
    return co_store_exec_params(st->store, "DELETE FROM rejects WHERE tenant = ?", &p, 1, NULL,
                                err);
}

co_code co_state_reject_add(co_state *st, int64_t run_id, const char *tenant, const char *entity,
                            const char *key, const char *rule, const char *reason, co_error *err)
{
    co_value row[] = {co_int(run_id), text(tenant), text(entity),
                      text(key),      text(rule),   text(reason)};
    return co_loader_put(st->rejects, row, err);
}
