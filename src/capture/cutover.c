/*
 * cutover.c: one tenant's migration without downtime, and its rollback
 * (cutover.h).
 */
#include "cutover/approval.h"
#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/rehearse.h"
#include "cutover/sync.h"
#include "cutover/traces.h"
#include "capture/capture_int.h"
#include "engine/engine_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/key.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void Co_entity_row_line(co_buf *line, const char *entity, co_cursor *c)
{
    Co_buf_adds(line, "{\"entity\":");
    Co_json_str(line, entity);
    Co_buf_adds(line, ",\"row\":{");
    for (size_t k = 0; k < co_cursor_ncols(c); k++) {
        co_value v = co_cursor_value(c, k);
        Co_buf_adds(line, k ? "," : "");
        Co_json_str(line, co_cursor_colname(c, k));
        Co_buf_addc(line, ':');
        Co_json_value(line, &v);
    }
    Co_buf_adds(line, "}}\n");
}

void co_cutover_result_release(co_cutover_result *r)
{
    co_migrate_result_release(&r->load);
    co_verify_result_release(&r->verification);
    memset(r, 0, sizeof *r);
}

void co_rollback_result_release(co_rollback_result *r)
{
    free(r->export_file);
    memset(r, 0, sizeof *r);
}

co_code Co_capture_open(const co_project *p, co_store **out, co_error *err)
{
    co_code rc = co_store_open(p->source, CO_SIDE_SOURCE, p->dir, out, err);
    if (rc == CO_OK && (rc = co_store_allow_writes(*out, err)) != CO_OK) {
        co_store_close(*out);
        *out = NULL;
    }
    return rc;
}

/* Writes every row of the tenant in the target to DIR/TENANT-TIME.jsonl. */
static co_code export_target(co_session *s, const co_tenant *t, co_rollback_result *res,
                             co_error *err)
{
    const co_project *p = s->project;
    char when[32], *dir = NULL;
    Co_clock_iso(Co_clock_now(), when, sizeof when);
    co_buf path = CO_BUF_INIT;
    Co_buf_printf(&path, "%s/.cutover/rollback", p->dir);
    dir = strdup(co_buf_str(&path));
    Co_buf_addc(&path, '/');
    Co_key_file_name(&path, t->key); /* encoded and bounded (util/fs.h) */
    for (char *q = when; *q; q++)
        if (*q == ':')
            *q = '-';
    Co_buf_printf(&path, "-%s.jsonl", when);
    if (!dir || path.failed || !Co_mkdir_p(dir)) {
        free(dir);
        Co_buf_release(&path);
        return co_error_set(err, CO_EIO, "cannot create the rollback export directory");
    }
    free(dir);
    FILE *f = fopen(path.data, "w");
    if (!f) {
        co_error_set(err, CO_EIO, "cannot write %s: %s", path.data, strerror(errno));
        Co_buf_release(&path);
        return CO_EIO;
    }
    co_code rc = CO_OK;
    co_buf line = CO_BUF_INIT, sql = CO_BUF_INIT;
    for (size_t i = 0; rc == CO_OK && i < p->nentities; i++) {
        const co_entity *e = &p->entities[i];
        Co_buf_reset(&sql);
        Co_buf_adds(&sql, "SELECT * FROM ");
        co_store_quote_ident(s->dest, e->target, &sql);
        co_param param = {":tenant", t->value};
        if (e->tenant_column) {
            Co_buf_adds(&sql, " WHERE ");
            co_store_quote_ident(s->dest, e->tenant_column, &sql);
            Co_buf_adds(&sql, " = :tenant");
        } else {
            continue; /* rows without a tenant column come from rows that have one */
        }
        co_cursor *c = NULL;
        rc = co_store_query(s->dest, co_buf_str(&sql), &param, 1, &c, err);
        bool has_row;
        while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
            Co_buf_reset(&line);
            Co_entity_row_line(&line, e->name, c);
            if (fwrite(line.data, 1, line.len, f) != line.len)
                rc = co_error_set(err, CO_EIO, "cannot write %s", path.data);
            res->exported++;
        }
        co_cursor_close(c);
    }
    if (fclose(f) != 0 && rc == CO_OK)
        rc = co_error_set(err, CO_EIO, "cannot write %s", path.data);
    Co_buf_release(&line);
    Co_buf_release(&sql);
    res->export_file = co_buf_detach(&path);
    return rc;
}

/* Writes one entity's target rows back into its source table (reverse). */
static co_code carry_back(co_session *s, co_store *cap, const co_tenant *t, const co_entity *e,
                          co_keymap *km, int64_t *count, int64_t *refused, co_error *err)
{
    const co_reverse *r = e->reverse;
    size_t entity = (size_t)co_project_entity_index(s->project, e->name);
    co_buf sql = CO_BUF_INIT, upd = CO_BUF_INIT, ins = CO_BUF_INIT;
    /* The target's rows of the tenant, in the order: columns, then key. */
    Co_buf_adds(&sql, "SELECT ");
    for (size_t i = 0; i < r->ncols + r->nkey; i++) {
        Co_buf_adds(&sql, i ? ", " : "");
        co_store_quote_ident(s->dest, i < r->ncols ? r->col_entity[i] : r->key_entity[i - r->ncols],
                             &sql);
    }
    Co_buf_adds(&sql, " FROM ");
    co_store_quote_ident(s->dest, e->target, &sql);
    Co_buf_adds(&sql, " WHERE ");
    co_store_quote_ident(s->dest, e->tenant_column, &sql);
    Co_buf_adds(&sql, " = :tenant");
    /* UPDATE source SET c = ?, ... WHERE k = ? AND ...; INSERT when no row. */
    Co_buf_adds(&upd, "UPDATE ");
    co_store_quote_ident(cap, r->table, &upd);
    Co_buf_adds(&upd, " SET ");
    /* A reference to a row that merged into another keeps, in a source row
     * that exists, the row it named: the target names the survivor. Such a
     * column is set to itself (the parameter stays, unused, for the shape). */
    for (size_t i = 0; i < r->ncols; i++) {
        Co_buf_adds(&upd, i ? ", " : "");
        co_store_quote_ident(cap, r->col_source[i], &upd);
        bool merged_ref = false;
        for (size_t k = 0; k < e->nrefs; k++)
            if (strcmp(e->refs[k].column, r->col_entity[i]) == 0) {
                const co_entity *parent = co_project_entity(s->project, e->refs[k].entity);
                merged_ref = parent && parent->merge;
            }
        if (merged_ref) {
            Co_buf_adds(&upd, " = CASE WHEN CAST(? AS CHAR) IS NULL THEN ");
            co_store_quote_ident(cap, r->col_source[i], &upd);
            Co_buf_adds(&upd, " ELSE ");
            co_store_quote_ident(cap, r->col_source[i], &upd);
            Co_buf_adds(&upd, " END");
        } else {
            Co_buf_adds(&upd, " = ?");
        }
    }
    if (!r->ncols) { /* nothing to update: touch the key so changes tell existence */
        co_store_quote_ident(cap, r->key_source[0], &upd);
        Co_buf_adds(&upd, " = ");
        co_store_quote_ident(cap, r->key_source[0], &upd);
    }
    Co_buf_adds(&upd, " WHERE ");
    for (size_t k = 0; k < r->nkey; k++) {
        Co_buf_adds(&upd, k ? " AND " : "");
        co_store_quote_ident(cap, r->key_source[k], &upd);
        Co_buf_printf(&upd, " %s ?", co_store_key_eq_op(cap));
    }
    Co_buf_adds(&ins, "INSERT INTO ");
    co_store_quote_ident(cap, r->table, &ins);
    Co_buf_adds(&ins, " (");
    for (size_t i = 0; i < r->ncols + r->nkey; i++) {
        Co_buf_adds(&ins, i ? ", " : "");
        co_store_quote_ident(cap, i < r->ncols ? r->col_source[i] : r->key_source[i - r->ncols], &ins);
    }
    Co_buf_adds(&ins, ") VALUES (");
    for (size_t i = 0; i < r->ncols + r->nkey; i++)
        Co_buf_adds(&ins, i ? ", ?" : "?");
    Co_buf_adds(&ins, ")");
    /* Where the target gave the keys, a row the new system created gets the
     * key the source assigns (INSERT without it, RETURNING it). */
    bool keyed = e->target_key && r->nkey == 1 && strcmp(r->key_entity[0], e->target_key) == 0;
    co_buf fresh = CO_BUF_INIT;
    Co_buf_adds(&fresh, "INSERT INTO ");
    co_store_quote_ident(cap, r->table, &fresh);
    Co_buf_adds(&fresh, " (");
    for (size_t i = 0; i < r->ncols; i++) {
        Co_buf_adds(&fresh, i ? ", " : "");
        co_store_quote_ident(cap, r->col_source[i], &fresh);
    }
    Co_buf_adds(&fresh, ") VALUES (");
    for (size_t i = 0; i < r->ncols; i++)
        Co_buf_adds(&fresh, i ? ", ?" : "?");
    Co_buf_adds(&fresh, ") RETURNING ");
    co_store_quote_ident(cap, r->key_source[0], &fresh);
    const char *names[128];
    for (size_t i = 0; i < r->ncols + r->nkey && i < 128; i++)
        names[i] = i < r->ncols ? r->col_entity[i] : r->key_entity[i - r->ncols];
    co_buf keytext = CO_BUF_INIT;
    co_stmt *update = NULL, *insert = NULL;
    co_cursor *c = NULL;
    co_param tenant = {":tenant", t->value};
    co_code rc = co_store_prepare(cap, co_buf_str(&upd), &update, err);
    if (rc == CO_OK)
        rc = co_store_prepare(cap, co_buf_str(&ins), &insert, err);
    if (rc == CO_OK)
        rc = co_store_query(s->dest, co_buf_str(&sql), &tenant, 1, &c, err);
    bool has_row;
    co_value row[128];
    size_t n = r->ncols + r->nkey;
    bool row_guard = co_store_caps(cap).failed_statement_aborts;
    if (rc == CO_OK && n > 128)
        rc = co_error_set(err, CO_EPROJECT, "reverse: more than 128 columns");
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < n; i++)
            row[i] = co_cursor_value(c, i);
        long long changes = 0;
        co_error row_err;
        co_error_clear(&row_err);
        /* Target keys (the row's own, its refs') back to source keys. */
        co_value target_key = keyed ? row[r->ncols] : co_null();
        bool unknown = false;
        co_code row_rc = km ? Co_keymap_to_source(km, entity, names, row, n, &keytext, &unknown,
                                                  &row_err)
                            : CO_OK;
        /* Where a refused statement spoils the transaction (PostgreSQL), each
         * row gets a savepoint to fall back to. SQLite undoes just the statement. */
        if (row_rc == CO_OK && row_guard)
            row_rc = co_store_exec(cap, "SAVEPOINT cutover_row", &row_err);
        if (row_rc == CO_OK && keyed && unknown) {
            int64_t assigned = 0;
            co_param vals[128];
            for (size_t i = 0; i < r->ncols; i++)
                vals[i] = (co_param){NULL, row[i]};
            row_rc = co_store_query_int(cap, co_buf_str(&fresh), vals, r->ncols, &assigned, NULL,
                                        &row_err);
            co_value source_key = co_int(assigned);
            if (row_rc == CO_OK)
                row_rc = Co_keymap_add(km, entity, &source_key, &target_key, &row_err);
        } else {
            if (row_rc == CO_OK)
                row_rc = co_stmt_exec(update, row, n, &changes, &row_err);
            if (row_rc == CO_OK && changes == 0)
                row_rc = co_stmt_exec(insert, row, n, NULL, &row_err);
        }
        if (row_guard)
            rc = co_store_exec(cap, row_rc == CO_OK ? "RELEASE SAVEPOINT cutover_row"
                                                    : "ROLLBACK TO SAVEPOINT cutover_row", err);
        /* A row the source refuses stays in the export file; the others go on. */
        if (row_rc == CO_OK)
            (*count)++;
        else
            (*refused)++;
    }
    co_cursor_close(c);
    co_stmt_close(update);
    co_stmt_close(insert);
    Co_buf_release(&sql);
    Co_buf_release(&upd);
    Co_buf_release(&ins);
    Co_buf_release(&fresh);
    Co_buf_release(&keytext);
    if (rc != CO_OK)
        co_error_where(err, "carrying entity %s back into %s", e->name, r->table);
    return rc;
}

static co_code rollback_leased(co_session *s, const co_tenant *t, co_rollback_result *res,
                               co_error *err)
{
    double started = Co_clock_mono();
    char route[8], mark[32] = "";
    res->remains = "routing it back to the source, lifting its freeze, purging its rows from "
                   "the target";
    co_code rc = co_state_route_get(s->state, t->key, route, sizeof route, err);
    /* Switched as the journal says, or as the target's mark says whatever the
     * journal does (a lost one): either way the new system's rows go out first. */
    if (rc == CO_OK)
        rc = co_traces_state(s->dest, t->key, mark, sizeof mark, err);
    res->was_switched = rc == CO_OK && (strcmp(route, "new") == 0 || strcmp(mark, "switched") == 0 ||
                                        strcmp(mark, "exported") == 0);
    /* First back to the source, so that nobody writes to the new system any
     * more, nor reads from it (a syncing tenant's read share). */
    if (rc == CO_OK)
        rc = co_state_route_set(s->state, t->key, "old", 0, 0, err);
    if (rc == CO_OK)
        rc = co_state_read_share_set(s->state, t->key, 0, err);
    if (rc == CO_OK && res->was_switched) {
        res->remains = "exporting the new system's rows, lifting its freeze, purging its rows "
                       "from the target";
        rc = export_target(s, t, res, err);
    }
    if (rc == CO_OK && res->was_switched)
        rc = co_traces_mark(s, s->dest, t->key, "exported", err);
    co_store *cap = NULL;
    bool reverse = false;
    for (size_t i = 0; i < s->project->nentities; i++)
        reverse = reverse || (s->project->entities[i].reverse && s->project->entities[i].tenant_column);
    if (rc == CO_OK)
        res->remains = "lifting its freeze and capture on the source, purging its rows from the "
                       "target";
    if (rc == CO_OK && (s->project->ncapture || (res->was_switched && reverse)))
        rc = Co_capture_open(s->project, &cap, err);
    /* The source takes the tenant's writes again, then gets the new system's rows back. */
    if (rc == CO_OK && cap && s->project->ncapture)
        rc = co_capture_stop(cap, s->project, t->key, err);
    if (rc == CO_OK && cap)
        rc = co_traces_unmark(cap, t->key, err);
    if (rc == CO_OK && res->was_switched && reverse) {
        res->remains = "carrying the new system's rows back into the source (they are in the "
                       "export file), purging its rows from the target";
        /* Rows keyed by the target carry back through the id maps; the ones
         * the source then keys are recorded there, for the purge. */
        co_keymap *km = NULL;
        rc = Co_keymap_open(s, t, &km, err);
        if (rc == CO_OK)
            rc = co_store_begin(cap, err);
        if (rc == CO_OK && (rc = co_state_begin(s->state, err)) != CO_OK)
            co_store_rollback(cap);
        for (size_t i = 0; rc == CO_OK && i < s->project->nentities; i++) {
            const co_entity *e = &s->project->entities[i];
            if (e->reverse && e->tenant_column)
                rc = carry_back(s, cap, t, e, km, &res->carried_back, &res->not_carried, err);
        }
        if (rc == CO_OK)
            rc = co_store_commit(cap, err);
        if (rc == CO_OK)
            rc = co_state_commit(s->state, err);
        if (rc != CO_OK && km) {
            co_store_rollback(cap);
            co_state_rollback(s->state);
        }
        Co_keymap_free(km);
    }
    co_store_close(cap);
    if (rc == CO_OK) {
        res->remains = "purging its rows from the target (the source takes its writes again)";
        rc = co_purge_tenant(s, t, err);
    }
    if (rc == CO_OK)
        rc = co_traces_unmark(s->dest, t->key, err);
    if (rc == CO_OK)
        rc = Co_sync_mark_remove(s->dest, t->key, err);
    if (rc == CO_OK) {
        res->remains = "recording the rollback in the journal";
        rc = co_state_applied_set(s->state, t->key, 0, err);
    }
    if (rc == CO_OK)
        rc = co_state_tenant_move(s->state, t->key, CO_LC_ROLLED_BACK, 0, err);
    if (rc == CO_OK)
        res->remains = NULL;
    res->seconds = Co_clock_mono() - started;
    return rc;
}

co_code co_rollback_tenant(co_session *s, const co_tenant *t, co_rollback_result *res,
                           co_error *err)
{
    memset(res, 0, sizeof *res);
    co_code rc = co_state_lease(s->state, t->key, "rollback", err);
    if (rc != CO_OK)
        return rc;
    /* Refused before anything moves when the lifecycle has no way back (a
     * finalized tenant), rather than half way. */
    co_lifecycle state = CO_LC_NEW;
    rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
    if (rc == CO_OK && !co_lifecycle_allows(state, CO_LC_ROLLED_BACK))
        rc = co_error_set(err, CO_ENOTREADY,
                          "tenant %s is %s: its lifecycle does not go from %s to rolled_back "
                          "(docs/state-store.md)",
                          t->key, co_lifecycle_name(state), co_lifecycle_name(state));
    if (rc != CO_OK) {
        co_error ignored;
        co_state_unlease(s->state, t->key, &ignored);
        return rc;
    }
    rc = rollback_leased(s, t, res, err);
    co_error ignored;
    if (rc == CO_OK) {
        co_run_hook(s->project, CO_HOOK_ON_ROLLBACK, t->key, 0, &ignored);
    } else if (res->remains) {
        /* Say what is left and how to finish it; the journal remembers, so
         * that the next migrate of the tenant finishes it first. */
        co_state_tenant_move(s->state, t->key, CO_LC_ROLLBACK_INCOMPLETE, 0, &ignored);
        char detail[1024];
        snprintf(detail, sizeof detail,
                 "%.500s; rollback incomplete: what remains: %s; finish it with cutover rollback "
                 "--tenant %.100s (or the next migrate of the tenant)",
                 err->message, res->remains, t->key);
        snprintf(err->message, sizeof err->message, "%s", detail);
    }
    co_state_unlease(s->state, t->key, &ignored);
    return rc;
}

/* Ends the cutover's run, begun by its copy (run_continues): it lasts until
 * the tenant is switched (or syncing), fails or is interrupted. */
static void end_run(co_session *s, const co_cutover_result *res, const char *status,
                    const char *error_text, double began)
{
    co_error ignored;
    co_error_clear(&ignored);
    if (res->load.run_id)
        co_state_run_end(s->state, res->load.run_id, status, error_text, Co_clock_mono() - began,
                         &ignored);
}

/* Records why the cutover stops and rolls the tenant back. */
static co_code fail_and_roll_back(co_session *s, const co_tenant *t, co_cutover_result *res,
                                  const co_error *why, double began, co_error *err)
{
    Co_cutover_failure(res, why);
    co_error ignored;
    co_error_clear(&ignored);
    /* The journal says why the run stopped: an interruption is not a failure
     * of the data, but the run did not finish either. */
    end_run(s, res, why->code == CO_EINTERRUPTED ? "interrupted" : "failed", res->failure, began);
    co_run_hook(s->project, CO_HOOK_ON_FAILURE, t->key, res->load.run_id, &ignored);
    co_rollback_result rb;
    co_code rc = co_rollback_tenant(s, t, &rb, err);
    co_rollback_result_release(&rb);
    if (rc == CO_OK) {
        res->rolled_back = true;
        rc = co_state_tenant_move(s->state, t->key, CO_LC_ROLLED_BACK, 0, err);
    } else {
        /* The first failure first, then the rollback's; the exit code is the
         * first failure's. */
        char rollback[1600];
        snprintf(rollback, sizeof rollback, "%.1000s%s%.500s%s", err->message,
                 err->where[0] ? " (" : "", err->where, err->where[0] ? ")" : "");
        co_error_clear(err);
        rc = co_error_set(err, res->failure_code, "tenant %.100s: %.400s; then its rollback failed: %.480s",
                          t->key, res->failure, rollback);
    }
    return rc;
}

static co_code copy_checkpoint(void *ctx, size_t entity_index, const char *const *names,
                               const co_value *row, size_t ncols, co_error *err)
{
    (void)entity_index, (void)names, (void)row, (void)ncols;
    return Co_cutover_checkpoint(ctx, "during the copy", err);
}

static co_code cutover_leased(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                              co_cutover_result *res, co_error *err)
{
    const co_project *p = s->project;
    co_store *cap = NULL;
    co_error step;
    co_error_clear(&step);
    co_code rc = co_run_hook(p, CO_HOOK_BEFORE_COPY, t->key, 0, &step);
    if (rc != CO_OK) { /* nothing done yet: no rollback needed, but say so */
        snprintf(res->failure, sizeof res->failure, "%.500s", step.message);
        res->failure_code = step.code != CO_OK ? step.code : CO_ENOTREADY;
        return CO_OK;
    }
    /* No rehearsal, no cutover: refused before the source is touched. */
    if (opt->skip_rehearsal) {
        rc = co_state_rehearsal_record(s->state, t->key, p->hash, "waived",
                                       "migrated with --skip-rehearsal", 0, 0, 0, err);
    } else {
        bool passed = false;
        rc = co_state_rehearsal_passed(s->state, t->key, p->hash, &passed, err);
        if (rc == CO_OK && !passed)
            rc = co_error_set(err, CO_ENOTREADY,
                              "tenant %s has no passing rehearsal of this project file (%s): run "
                              "cutover rehearse --tenant %s first, or pass --skip-rehearsal",
                              t->key, p->hash, t->key);
        if (rc == CO_OK) /* and of the schemas as they are now */
            rc = co_rehearsal_schema_check(s, t->key, err);
    }
    /* A switch that needs a second person's approval waits for it here,
     * before the source is touched (docs/monitor.md). */
    if (rc == CO_OK)
        rc = co_approval_check(s->state, p, t->key, "switch", s->user, err);
    if (rc == CO_OK)
        rc = Co_capture_open(p, &cap, err);
    if (rc != CO_OK)
        return rc;
    /* 1. capture, 2. copy; the journal's marks first, so that whoever finds
     * the capture or the rows finds whose they are (cutover/traces.h). */
    co_code srt = Co_cutover_checkpoint(opt, "before capture", &step);
    if (srt == CO_OK)
        srt = co_traces_mark(s, cap, t->key, "capturing", &step);
    if (srt == CO_OK)
        srt = co_traces_mark(s, s->dest, t->key, "loading", &step);
    if (srt == CO_OK)
        srt = co_capture_start(cap, p, t->key, &step);
    /* A freeze left by a run that died (lapsed, or sealed just before its
     * switch) goes: this run starts the tenant over and freezes it itself. */
    if (srt == CO_OK)
        srt = co_capture_unfreeze(cap, p, t->key, &step);
    if (srt == CO_OK)
        srt = co_state_applied_set(s->state, t->key, 0, &step);
    co_migrate_options mopt = {0};
    mopt.again = true;
    mopt.rehearsal_checked = true;
    mopt.run_continues = true; /* the run ends with the switch, not with the copy */
    mopt.progress = opt->progress;
    mopt.progress_ctx = opt->progress_ctx;
    mopt.count_rows = opt->progress != NULL;
    if (opt->cancelled) { /* the copy stops between two rows when asked */
        mopt.on_row = copy_checkpoint;
        mopt.on_row_ctx = (void *)opt;
    }
    double began = Co_clock_mono();
    if (srt == CO_OK)
        srt = co_migrate_tenant(s, t, &mopt, &res->load, &step);
    /* 3. catch up while the tenant keeps writing */
    if (srt == CO_OK)
        srt = Co_catch_up_rounds(s, cap, t, opt, res, &step);
    /* 4. verify the whole tenant while it still writes. The rows found
     * different then, and every row a change touches from here on, are
     * verified again inside the freeze, which so stays short whatever the
     * tenant's size: a row outside both matched and has not changed since. */
    int64_t mark = 0;
    co_verify_scope *again = NULL;
    co_verify_result early = {0};
    if (srt == CO_OK)
        srt = Co_verify_whole(s, t, opt, &mark, &again, &early, &step);
    /* Coexistence: verified, the tenant stays here, in sync, nothing frozen. */
    if (srt == CO_OK && opt->coexist) {
        srt = Co_sync_settle(s, cap, t, res, &early, &step);
        co_verify_scope_free(again);
        co_store_close(cap);
        if (srt == CO_OK)
            end_run(s, res, "done", NULL, began);
        return srt == CO_OK ? CO_OK : fail_and_roll_back(s, t, res, &step, began, err);
    }
    /* 5.-8. freeze, the last changes, verify what changed since step 4, switch */
    co_freeze_plan plan = {.mark = mark, .again = again, .since_run = early.run_id,
                           .run_id = res->load.run_id, .resume = CO_LC_MIGRATING};
    if (srt == CO_OK)
        srt = Co_freeze_and_switch(s, cap, t, opt, &plan, res, &step);
    co_verify_scope_free(again);
    co_verify_result_release(&early);
    co_store_close(cap);
    if (srt == CO_OK) {
        res->switched = true;
        end_run(s, res, "done", NULL, began);
        return co_state_tenant_move(s->state, t->key, CO_LC_SWITCHED, 0, err);
    }
    return fail_and_roll_back(s, t, res, &step, began, err);
}

co_code co_cutover_tenant(co_session *s, const co_tenant *t, const co_cutover_options *opt,
                          co_cutover_result *res, co_error *err)
{
    memset(res, 0, sizeof *res);
    co_cutover_options defaults = Co_cutover_defaults(opt);
    if (s->project->ncapture == 0)
        return co_error_set(err, CO_EPROJECT,
                            "the project file lists no tables to capture: a cutover without "
                            "capture would lose the writes made during the copy");
    double started = Co_clock_mono();
    co_code rc = co_state_lease(s->state, t->key, "migrate", err);
    if (rc != CO_OK)
        return rc;
    char route[8], mark[32] = "";
    rc = co_state_route_get(s->state, t->key, route, sizeof route, err);
    if (rc == CO_OK)
        rc = co_traces_state(s->dest, t->key, mark, sizeof mark, err);
    /* A run of this journal killed between marking the target switched and
     * writing the route left the tenant frozen with its route old: the
     * route, which applications read, never said new, so the target holds
     * no write of the new system. That run is taken up like a lapsed freeze. */
    co_lifecycle was = CO_LC_NEW;
    if (rc == CO_OK && strcmp(mark, "switched") == 0)
        rc = co_state_tenant_lifecycle(s->state, t->key, &was, err);
    bool unfinished_switch = strcmp(mark, "switched") == 0 && was == CO_LC_FROZEN;
    /* Its mark goes, so that this run may purge and load the tenant again. */
    if (rc == CO_OK && unfinished_switch && strcmp(route, "new") != 0)
        rc = co_traces_unmark(s->dest, t->key, err);
    if (rc == CO_OK && strcmp(route, "new") != 0 && !unfinished_switch &&
        (strcmp(mark, "switched") == 0 || strcmp(mark, "exported") == 0)) {
        /* The journal says old, the target says switched: its rows there may
         * hold the new system's writes; a copy would purge them. */
        res->load.skipped = true;
        snprintf(res->failure, sizeof res->failure,
                 "tenant %.100s is marked switched in the target although this journal routes "
                 "it old: its rows there may hold the new system's writes. Roll it back first "
                 "(cutover rollback --tenant %.100s exports them before it purges)",
                 t->key, t->key);
        res->failure_code = CO_ENOTREADY;
    } else if (rc == CO_OK && strcmp(route, "new") == 0) {
        res->load.skipped = true; /* switched already: roll back first to move it again */
        /* A run that failed between the route and the journal's last word
         * left the tenant "frozen" with its route new: the switch happened. */
        co_lifecycle state = CO_LC_NEW;
        rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
        if (rc == CO_OK && state == CO_LC_FROZEN)
            rc = co_state_tenant_move(s->state, t->key, CO_LC_SWITCHED, 0, err);
        if (rc == CO_OK && defaults.again) {
            snprintf(res->failure, sizeof res->failure,
                     "tenant %.200s is switched: roll it back first (cutover rollback --tenant "
                     "%.200s), then migrate it again",
                     t->key, t->key);
            res->failure_code = CO_ENOTREADY;
        }
    } else if (rc == CO_OK) {
        /* A rollback left incomplete (docs/cutover.md) is finished first. */
        co_lifecycle state = CO_LC_NEW;
        rc = co_state_tenant_lifecycle(s->state, t->key, &state, err);
        if (rc == CO_OK && state == CO_LC_ROLLBACK_INCOMPLETE) {
            co_rollback_result rb;
            rc = co_rollback_tenant(s, t, &rb, err);
            co_rollback_result_release(&rb);
        }
        /* A syncing tenant stays as it is unless reloaded, its reads back first. */
        res->syncing = rc == CO_OK && state == CO_LC_SYNCING && !defaults.again;
        res->load.skipped = res->syncing;
        if (rc == CO_OK && state == CO_LC_SYNCING && defaults.again)
            rc = co_state_read_share_set(s->state, t->key, 0, err);
        if (rc == CO_OK && !res->syncing)
            rc = cutover_leased(s, t, &defaults, res, err);
    }
    co_error ignored;
    co_state_unlease(s->state, t->key, &ignored);
    res->seconds = Co_clock_mono() - started;
    return rc;
}
