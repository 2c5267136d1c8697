/*
 * runs.c: the journal's runs and steps, the verifications, findings and
 * volumes of verify runs, and rehearsals (state/journal.h).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

static const co_jq co_q_finding_add = {
    "INSERT INTO findings (run_id, tenant, entity, \"check\", kind, key, detail) VALUES (?,"
    " ?, ?, ?, ?, ?, ?)"};

static const co_jq co_q_runs_count = {
    "SELECT count(*) FROM runs"};

/* The last load of an entity: of a finished migrate run, or of the cutover
 * in flight, whose run goes on past its copy (verify inside the cutover). */
static const co_jq co_q_steps_last_load = {
    "SELECT s.source_rows, s.loaded, s.rejected FROM steps s JOIN runs r ON r.id ="
    " s.run_id WHERE r.tenant = ? AND r.command = 'migrate' AND (r.status = 'done' OR"
    " (r.status = 'running' AND s.status = 'done')) AND s.step = ? ORDER BY r.id DESC"
    " LIMIT 1"};

static const co_jq co_q_steps_load_rate = {
    "SELECT sum(st.source_rows), sum(st.seconds) FROM steps st JOIN runs r ON r.id ="
    " st.run_id WHERE r.command = 'migrate' AND r.status = 'done' AND st.status = 'done'"};

static const co_jq co_q_verification_add = {
    "INSERT INTO verifications (run_id, tenant, entity, \"check\", pass, expected, actual,"
    " differences, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id,"
    " entity, \"check\") DO UPDATE SET pass = excluded.pass, expected = excluded.expected,"
    " actual = excluded.actual, differences = excluded.differences, summary ="
    " excluded.summary"};

static const co_jq co_q_view_run = {
    "SELECT id, tenant, command, status, pid, started_at, ended_at, seconds, error FROM"
    " runs WHERE id = ?"};

static const co_jq co_q_view_run_checks = {
    "SELECT entity, \"check\", pass, expected, actual, differences, summary FROM"
    " verifications WHERE run_id = ? ORDER BY entity, \"check\""};

static const co_jq co_q_view_run_findings = {
    "SELECT entity, \"check\", kind, key, detail FROM findings WHERE run_id = ? LIMIT 200"};

static const co_jq co_q_view_run_volumes = {
    "SELECT entity, month, source, target FROM volumes WHERE run_id = ? ORDER BY entity,"
    " month"};

static const co_jq co_q_view_tenant_findings = {
    "SELECT entity, \"check\", kind, key, detail FROM findings WHERE run_id = ? LIMIT 50"};

static const co_jq co_q_view_tenant_rehearsals = {
    "SELECT id, status, reasons, rows, rejected, seconds, at FROM rehearsals WHERE tenant"
    " = ? ORDER BY id"};

static const co_jq co_q_view_tenant_run = {
    "SELECT id, command, status, started_at, ended_at, seconds, error FROM runs WHERE id"
    " = ?"};

static const co_jq co_q_view_tenant_verify_run = {
    "SELECT id, status, started_at, ended_at, seconds FROM runs WHERE id = ?"};

static const co_jq co_q_view_tenant_volumes = {
    "SELECT entity, month, source, target FROM volumes WHERE run_id = (SELECT max(run_id)"
    " FROM volumes WHERE tenant = ? AND run_id <= ?) ORDER BY entity, month"};

static const co_jq co_q_volume_add = {
    "INSERT INTO volumes (run_id, tenant, entity, month, source, target) VALUES (?, ?, ?,"
    " ?, ?, ?) ON CONFLICT (run_id, entity, month) DO UPDATE SET source ="
    " excluded.source, target = excluded.target"};

/* The steps of a run. A load step's merged rows are what its source rows
 * leave after the loaded and the rejected (migrate keeps that identity). */
static const co_jq co_q_view_run_steps = {
    "SELECT step, entity, status, started_at, ended_at,"
    " coalesce(source_rows, 0) AS source_rows, coalesce(loaded, 0) AS loaded,"
    " CASE WHEN step LIKE 'load:%' THEN coalesce(source_rows, 0) - coalesce(loaded, 0)"
    " - coalesce(rejected, 0) ELSE 0 END AS merged,"
    " coalesce(rejected, 0) AS rejected, seconds"
    " FROM steps WHERE run_id = ? ORDER BY started_at, step"};

/* ---- typed reads ---- */

co_code Co_state_runs_count(co_state *st, int64_t *n, co_error *err)
{
    *n = 0;
    return Co_state_read_int(st, &co_q_runs_count, NULL, 0, n, NULL, err);
}

co_code Co_state_last_load(co_state *st, const char *tenant, const char *step,
                           co_load_counts *out, bool *found, co_error *err)
{
    co_param p[] = {{NULL, co_text(tenant, strlen(tenant))}, {NULL, co_text(step, strlen(step))}};
    co_cursor *c = NULL;
    co_code rc = Co_state_read(st, &co_q_steps_last_load, p, 2, &c, err);
    *found = false;
    if (rc == CO_OK)
        rc = co_cursor_next(c, found, err);
    if (rc == CO_OK && *found) {
        out->source_rows = co_cursor_value(c, 0).i;
        out->loaded = co_cursor_value(c, 1).i;
        out->rejected = co_cursor_value(c, 2).i;
    }
    co_cursor_close(c);
    return rc;
}

co_code Co_state_load_totals(co_state *st, double *rows, double *seconds, co_error *err)
{
    co_cursor *c = NULL;
    bool has_row = false;
    *rows = *seconds = 0;
    co_code rc = Co_state_read(st, &co_q_steps_load_rate, NULL, 0, &c, err);
    if (rc == CO_OK)
        rc = co_cursor_next(c, &has_row, err);
    if (rc == CO_OK && has_row) {
        *rows = (double)co_cursor_value(c, 0).i;
        *seconds = co_cursor_value(c, 1).r;
    }
    co_cursor_close(c);
    return rc;
}

/* ---- verify runs: checks, findings and volumes ---- */

co_code Co_state_verification_add(co_state *st, const co_jverification *v, co_error *err)
{
    co_param p[] = {{NULL, co_int(v->run_id)},      {NULL, Co_jtext(v->tenant)},
                    {NULL, Co_jtext(v->entity)},    {NULL, Co_jtext(v->check)},
                    {NULL, co_int(v->pass)},        {NULL, co_int(v->expected)},
                    {NULL, co_int(v->actual)},      {NULL, co_int(v->differences)},
                    {NULL, Co_jtext(v->summary)}};
    return Co_state_write(st, &co_q_verification_add, p, 9, NULL, err);
}

co_code Co_state_finding_add(co_state *st, const co_jfinding *f, co_error *err)
{
    co_param p[] = {{NULL, co_int(f->run_id)},   {NULL, Co_jtext(f->tenant)},
                    {NULL, Co_jtext(f->entity)}, {NULL, Co_jtext(f->check)},
                    {NULL, Co_jtext(f->kind)},   {NULL, Co_jtext(f->key)},
                    {NULL, Co_jtext(f->detail)}};
    return Co_state_write(st, &co_q_finding_add, p, 7, NULL, err);
}

co_code Co_state_volume_add(co_state *st, int64_t run_id, const char *tenant, const char *entity,
                            const char *month, int64_t source, int64_t target, co_error *err)
{
    co_param p[] = {{NULL, co_int(run_id)},    {NULL, Co_jtext(tenant)},
                    {NULL, Co_jtext(entity)},  {NULL, Co_jtext(month)},
                    {NULL, co_int(source)},    {NULL, co_int(target)}};
    return Co_state_write(st, &co_q_volume_add, p, 6, NULL, err);
}

/* ---- views (state/journal.h: co_jrows) ---- */
CO_JVIEW_RUN(run, co_q_view_run)
CO_JVIEW_RUN(run_steps, co_q_view_run_steps)
CO_JVIEW_RUN(run_checks, co_q_view_run_checks)
CO_JVIEW_RUN(run_findings, co_q_view_run_findings)
CO_JVIEW_RUN(run_volumes, co_q_view_run_volumes)
CO_JVIEW_RUN(tenant_findings, co_q_view_tenant_findings)
CO_JVIEW_TENANT(tenant_rehearsals, co_q_view_tenant_rehearsals)
CO_JVIEW_RUN(tenant_run, co_q_view_tenant_run)
CO_JVIEW_RUN(tenant_verify_run, co_q_view_tenant_verify_run)

co_code Co_state_view_tenant_volumes(co_state *st, const char *tenant, int64_t run_id,
                                     co_jrows *out, co_error *err)
{
    return Co_state_rows_of(st, &co_q_view_tenant_volumes, tenant, &run_id, out, err);
}
