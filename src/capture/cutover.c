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
#include "capture/reverse_int.h"
#include "state/journal.h"
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

/* Writes every row of the tenant in the target to DIR/TENANT-TIME.jsonl;
 * with others_only, only the rows of entities that do not go back to the
 * source (the others went back by reverse sync). */
static co_code export_target(co_session *s, const co_tenant *t, bool others_only,
                             co_rollback_result *res, co_error *err)
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
        if (others_only && Co_reverse_entity(e))
            continue;
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
    co_buf sql = CO_BUF_INIT;
    Co_reverse_select_sql(s->dest, e, false, &sql);
    Co_reverse_writer *w = NULL;
    co_cursor *c = NULL;
    co_param tenant = {":tenant", t->value};
    co_code rc = Co_reverse_writer_open(s, cap, e, km, &w, err);
    if (rc == CO_OK)
        rc = sql.failed ? co_error_set(err, CO_ENOMEM, "out of memory")
                        : co_store_query(s->dest, co_buf_str(&sql), &tenant, 1, &c, err);
    bool has_row;
    co_value row[128];
    size_t n = Co_reverse_width(e->reverse);
    while (rc == CO_OK && (rc = co_cursor_next(c, &has_row, err)) == CO_OK && has_row) {
        for (size_t i = 0; i < n; i++)
            row[i] = co_cursor_value(c, i);
        bool written = false;
        co_error row_err;
        co_error_clear(&row_err);
        rc = Co_reverse_writer_put(w, row, &written, &row_err, err);
        /* A row the source refuses stays in the export file; the others go on. */
        if (written)
            (*count)++;
        else
            (*refused)++;
    }
    co_cursor_close(c);
    Co_reverse_writer_close(w);
    Co_buf_release(&sql);
    if (rc != CO_OK)
        co_error_where(err, "carrying entity %s back into %s", e->name, e->reverse->table);
    return rc;
}

/* The rollback of a switched tenant by its reverse sync: the target frozen
 * for it, its last changes applied to the source. On failure, why goes to
 * res->carry_reason and the carry-back takes over. */
static void reverse_last(co_session *s, co_store *cap, const co_tenant *t,
                         co_rollback_result *res)
{
    co_error why;
    co_error_clear(&why);
    bool active = false;
    co_code rc = Co_reverse_active(s, cap, t, &active, &why);
    if (rc == CO_OK && !active) {
        snprintf(res->carry_reason, sizeof res->carry_reason, "%s",
                 "the tenant has no reverse capture (no entity with `reverse`, or switched "
                 "before reverse sync)");
        return;
    }
    if (rc == CO_OK)
        rc = Co_reverse_last(s, cap, t, &res->reverse_applied, &why);
    res->reverse_synced = rc == CO_OK;
    if (rc != CO_OK)
        snprintf(res->carry_reason, sizeof res->carry_reason, "reverse sync failed: %.200s",
                 why.message);
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
    bool reverse = false;
    for (size_t i = 0; i < s->project->nentities; i++)
        reverse = reverse || Co_reverse_entity(&s->project->entities[i]);
    co_store *cap = NULL;
    if (rc == CO_OK && (s->project->ncapture || (res->was_switched && reverse)))
        rc = Co_capture_open(s->project, &cap, err);
    /* Reverse sync: the new system stops taking the tenant's writes (the
     * target's freeze) and its last ones go to the source; then no rows need
     * carrying. Without it, or when it fails, the carry-back does. */
    if (rc == CO_OK && res->was_switched && reverse)
        reverse_last(s, cap, t, res);
    /* Back to the source, so that nobody writes to the new system any more,
     * nor reads from it (a syncing tenant's read share). */
    if (rc == CO_OK)
        rc = co_state_route_set(s->state, t->key, "old", 0, 0, err);
    if (rc == CO_OK)
        rc = co_state_read_share_set(s->state, t->key, 0, err);
    co_buf others = CO_BUF_INIT;
    bool export = res->was_switched &&
                  (!res->reverse_synced || Co_reverse_missing(s->project, &others));
    Co_buf_release(&others);
    if (rc == CO_OK && export) {
        res->remains = "exporting the new system's rows, lifting its freeze, purging its rows "
                       "from the target";
        rc = export_target(s, t, res->reverse_synced, res, err);
    }
    if (rc == CO_OK && res->was_switched)
        rc = co_traces_mark(s, s->dest, t->key, "exported", err);
    if (rc == CO_OK)
        res->remains = "lifting its freeze and capture on the source, purging its rows from the "
                       "target";
    /* The source takes the tenant's writes again, then gets the new system's rows back. */
    if (rc == CO_OK && cap && s->project->ncapture)
        rc = co_capture_stop(cap, s->project, t->key, err);
    if (rc == CO_OK && cap)
        rc = co_traces_unmark(cap, t->key, err);
    if (rc == CO_OK && res->was_switched && reverse && !res->reverse_synced) {
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
            if (Co_reverse_entity(e))
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
    /* The reverse mark goes, and the target's capture of the tenant (and its
     * freeze there) too; but after reverse sync all three stay until the
     * purge (rollback.c): the capture sealed over the rows, and the mark so
     * that a rollback run again, should the journal not take purge_pending
     * now, goes by reverse sync again. Without the mark it would carry the
     * target's frozen rows back over what the source took since. */
    if (rc == CO_OK && cap && !res->reverse_synced)
        rc = Co_reverse_end(s, cap, t, err);
    co_store_close(cap);
    res->back_seconds = Co_clock_mono() - started;
    if (rc == CO_OK)
        rc = Co_rollback_end(s, t, res->reverse_synced, res, err);
    res->seconds = Co_clock_mono() - started;
    return rc;
}

co_code co_rollback_tenant(co_session *s, const co_tenant *t, co_rollback_result *res,
                           co_error *err)
{
    memset(res, 0, sizeof *res);
    /* A `sync --follow` holds the tenant for a round at a time (a reverse
     * round of a switched one too): the rollback waits for it to end. */
    co_code rc = Co_state_lease_wait(s->state, t->key, "rollback", true, err);
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
    /* Back on the source already: what is left is the purge (rollback.c). */
    if (rc == CO_OK && state == CO_LC_PURGE_PENDING) {
        co_purge_result purged;
        rc = Co_rollback_purge_leased(s, t, NULL, &purged, err);
        res->seconds = res->purge_seconds = purged.seconds;
    }
    if (rc != CO_OK || state == CO_LC_PURGE_PENDING) {
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
