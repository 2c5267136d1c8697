/*
 * rehearse.c: rehearsals (rehearse.h): the same engine and verification as
 * the real run, into staging, with a journal of its own.
 */
#include "cutover/monitor.h"
#include "cutover/rehearse.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "sqlite:.cutover/state.db" -> "sqlite:.cutover/state.rehearsal.db"; a
 * journal elsewhere (PostgreSQL) rehearses in sqlite:.cutover/state.rehearsal.db. */
static char *rehearsal_journal(const char *state)
{
    co_buf b = CO_BUF_INIT;
    size_t len = strlen(state);
    if (!co_store_uri_file(state)) { /* not a SQLite file */
        Co_buf_adds(&b, "sqlite:.cutover/state.rehearsal.db");
    } else if (len > 3 && strcmp(state + len - 3, ".db") == 0) {
        Co_buf_add(&b, state, len - 3);
        Co_buf_adds(&b, ".rehearsal.db");
    } else {
        Co_buf_adds(&b, state);
        Co_buf_adds(&b, ".rehearsal");
    }
    return Co_buf_take(&b);
}

co_code co_rehearsal_open(const co_project *p, co_session **out, co_error *err)
{
    *out = NULL;
    if (!p->staging)
        return co_error_set(err, CO_EPROJECT,
                            "the project file names no staging database, where rehearsals load "
                            "(add staging: sqlite:staging.db; rehearse creates the target's tables "
                            "there)");
    co_session *s = calloc(1, sizeof *s);
    char *journal = rehearsal_journal(p->state);
    if (!s || !journal) {
        free(s);
        free(journal);
        return co_error_set(err, CO_ENOMEM, "out of memory");
    }
    s->project = p;
    co_code rc = co_store_open(p->source, CO_SIDE_SOURCE, p->dir, &s->source, err);
    if (rc == CO_OK)
        rc = co_store_open_create(p->staging, CO_SIDE_STAGING, p->dir, &s->dest, err);
    if (rc == CO_OK)
        rc = co_state_open(journal, p->dir, &s->state, err);
    /* Staging follows the project file: a rehearsal of a changed file starts over. */
    if (rc == CO_OK)
        rc = co_state_setup(s->state, p->hash, p->path, true, err);
    free(journal);
    if (rc != CO_OK) {
        co_session_close(s);
        return rc;
    }
    *out = s;
    return CO_OK;
}

void co_rehearsal_result_release(co_rehearsal_result *r)
{
    co_verify_result_release(&r->verification);
    memset(r, 0, sizeof *r);
}

char *co_rehearsal_result_json(const char *tenant, const co_rehearsal_result *r)
{
    co_buf b = CO_BUF_INIT;
    Co_buf_adds(&b, "{\"tenant\":");
    Co_json_str(&b, tenant);
    Co_buf_printf(&b, ",\"pass\":%s,\"rows\":%lld,\"rejected\":%lld,\"seconds\":%.3f,"
                      "\"reasons\":",
                  r->pass ? "true" : "false", (long long)r->rows, (long long)r->rejected,
                  r->seconds);
    Co_json_str(&b, r->reasons);
    char *findings = co_verify_findings_json(&r->verification, CO_REHEARSAL_FINDINGS);
    Co_buf_printf(&b, ",\"findings\":%s}", findings ? findings : "[]");
    if (!findings || b.failed) {
        free(findings);
        Co_buf_release(&b);
        return NULL;
    }
    free(findings);
    return co_buf_detach(&b);
}

/* The reasons as the journal keeps them: with the first findings of a
 * verification that failed, one per line. */
static void journal_reasons(const co_rehearsal_result *res, co_buf *out)
{
    Co_buf_adds(out, res->reasons);
    const co_verify_result *v = &res->verification;
    for (size_t i = 0; !res->pass && i < v->nfindings && i < CO_REHEARSAL_FINDINGS; i++) {
        const co_finding *f = &v->findings[i];
        Co_buf_printf(out, "%s%s %s %s: %s %s", i ? "\n" : "\nfirst findings:\n", f->entity,
                      co_check_name(f->check), f->kind, f->key ? f->key : "",
                      f->detail ? f->detail : "");
    }
}

co_code co_rehearse_tenant(co_session *main, co_session *rehearsal, const co_tenant *t,
                           const co_verify_options *vopt, co_rehearsal_result *res,
                           co_error *err)
{
    memset(res, 0, sizeof *res);
    /* The tenant is held in the project's journal too: no migrate meanwhile. */
    co_code rc = co_state_lease(main->state, t->key, "rehearse", err);
    if (rc != CO_OK)
        return rc;
    char rejects_dir[1024];
    snprintf(rejects_dir, sizeof rejects_dir, "%s%s%s/rehearsal",
             main->project->rejects_dir[0] == '/' ? "" : main->project->dir,
             main->project->rejects_dir[0] == '/' ? "" : "/", main->project->rejects_dir);
    co_migrate_options opt = {0};
    opt.again = true;
    opt.rejects_dir = rejects_dir;
    if (vopt) {
        opt.progress = vopt->progress;
        opt.progress_ctx = vopt->progress_ctx;
        opt.count_rows = vopt->count_rows;
    }
    co_migrate_result load;
    co_error load_err;
    co_error_clear(&load_err);
    co_code load_rc = co_migrate_tenant(rehearsal, t, &opt, &load, &load_err);
    res->seconds = load.seconds;
    for (size_t e = 0; e < load.nentities; e++)
        res->rows += load.entities[e].source_rows;
    res->rejected = load.rejected;
    co_migrate_result_release(&load);
    if (load_rc != CO_OK) {
        snprintf(res->reasons, sizeof res->reasons, "the load failed: %.300s%s%.150s%s", load_err.message,
                 load_err.where[0] ? " (" : "", load_err.where, load_err.where[0] ? ")" : "");
    } else {
        co_error verify_err;
        co_error_clear(&verify_err);
        co_code vrc = co_verify_tenant(rehearsal, t, vopt, &res->verification, &verify_err);
        res->seconds += res->verification.seconds;
        if (vrc != CO_OK) {
            snprintf(res->reasons, sizeof res->reasons, "verification could not run: %.400s",
                     verify_err.message);
        } else if (!res->verification.pass) {
            size_t used = (size_t)snprintf(res->reasons, sizeof res->reasons,
                                           "verification found differences:");
            for (size_t i = 0; i < res->verification.nchecks && used < sizeof res->reasons; i++) {
                const co_check_result *c = &res->verification.checks[i];
                if (!c->pass)
                    used += (size_t)snprintf(res->reasons + used, sizeof res->reasons - used,
                                             " %s %s: %s;", c->entity, co_check_name(c->check),
                                             c->summary);
            }
        } else {
            res->pass = true;
            snprintf(res->reasons, sizeof res->reasons,
                     "%lld rows loaded into staging and verified; %lld rejected with a reason",
                     (long long)(res->rows - res->rejected), (long long)res->rejected);
        }
    }
    /* Query budgets on staging: a tenant that makes the new system slow fails
     * here, before any customer is affected (docs/monitor.md). */
    if (res->pass && main->project->nbudgets) {
        co_budget_result *b = NULL;
        size_t nb = 0;
        rc = co_budgets_run(rehearsal->dest, main->project, t, &b, &nb, err);
        if (rc == CO_OK)
            rc = co_budgets_record(main->state, t->key, "rehearsal", "staging", b, nb, 0, err);
        char over[400];
        co_budgets_failures(b, nb, over, sizeof over);
        if (rc == CO_OK && over[0]) {
            res->pass = false;
            snprintf(res->reasons, sizeof res->reasons, "query budgets broken on staging: %s",
                     over);
        }
        free(b);
        if (rc != CO_OK) {
            co_error ignored;
            co_state_unlease(main->state, t->key, &ignored);
            return rc;
        }
    }
    /* A pass holds for the schemas it ran against: migrate compares them. */
    if (res->pass)
        rc = co_rehearsal_schema_record(main, t->key, err);
    if (rc != CO_OK) {
        co_error ignored;
        co_state_unlease(main->state, t->key, &ignored);
        return rc;
    }
    co_buf reasons = CO_BUF_INIT;
    journal_reasons(res, &reasons);
    rc = co_state_rehearsal_record(main->state, t->key, main->project->hash,
                                   res->pass ? "pass" : "fail",
                                   reasons.failed ? res->reasons : co_buf_str(&reasons), res->rows,
                                   res->rejected, res->seconds, err);
    Co_buf_release(&reasons);
    co_error ignored;
    co_state_unlease(main->state, t->key, &ignored);
    return rc;
}
