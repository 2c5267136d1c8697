/*
 * runs.c: the journal's runs and steps, the verifications, findings and
 * volumes of verify runs, and rehearsals (state/journal.h).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

const co_jq co_q_finding_add = {
    "INSERT INTO findings (run_id, tenant, entity, \"check\", kind, key, detail) VALUES (?,"
    " ?, ?, ?, ?, ?, ?)"};

const co_jq co_q_runs_count = {
    "SELECT count(*) FROM runs"};

const co_jq co_q_steps_last_load = {
    "SELECT s.source_rows, s.loaded, s.rejected FROM steps s JOIN runs r ON r.id ="
    " s.run_id WHERE r.tenant = ? AND r.command = 'migrate' AND r.status = 'done' AND"
    " s.step = ? ORDER BY r.id DESC LIMIT 1"};

const co_jq co_q_steps_load_rate = {
    "SELECT sum(st.source_rows), sum(st.seconds) FROM steps st JOIN runs r ON r.id ="
    " st.run_id WHERE r.command = 'migrate' AND r.status = 'done' AND st.status = 'done'"};

const co_jq co_q_verification_add = {
    "INSERT INTO verifications (run_id, tenant, entity, \"check\", pass, expected, actual,"
    " differences, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id,"
    " entity, \"check\") DO UPDATE SET pass = excluded.pass, expected = excluded.expected,"
    " actual = excluded.actual, differences = excluded.differences, summary ="
    " excluded.summary"};

const co_jq co_q_view_run = {
    "SELECT id, tenant, command, status, pid, started_at, ended_at, seconds, error FROM"
    " runs WHERE id = ?"};

const co_jq co_q_view_run_checks = {
    "SELECT entity, \"check\", pass, expected, actual, differences, summary FROM"
    " verifications WHERE run_id = ? ORDER BY entity, \"check\""};

const co_jq co_q_view_run_findings = {
    "SELECT entity, \"check\", kind, key, detail FROM findings WHERE run_id = ? LIMIT 200"};

const co_jq co_q_view_run_volumes = {
    "SELECT entity, month, source, target FROM volumes WHERE run_id = ? ORDER BY entity,"
    " month"};

const co_jq co_q_view_tenant_findings = {
    "SELECT entity, \"check\", kind, key, detail FROM findings WHERE run_id = ? LIMIT 50"};

const co_jq co_q_view_tenant_rehearsals = {
    "SELECT id, status, reasons, rows, rejected, seconds, at FROM rehearsals WHERE tenant"
    " = ? ORDER BY id"};

const co_jq co_q_view_tenant_run = {
    "SELECT id, command, status, started_at, ended_at, seconds, error FROM runs WHERE id"
    " = ?"};

const co_jq co_q_view_tenant_verify_run = {
    "SELECT id, status, started_at, ended_at, seconds FROM runs WHERE id = ?"};

const co_jq co_q_view_tenant_volumes = {
    "SELECT entity, month, source, target FROM volumes WHERE run_id = (SELECT max(run_id)"
    " FROM volumes WHERE tenant = ? AND run_id <= ?) ORDER BY entity, month"};

const co_jq co_q_volume_add = {
    "INSERT INTO volumes (run_id, tenant, entity, month, source, target) VALUES (?, ?, ?,"
    " ?, ?, ?) ON CONFLICT (run_id, entity, month) DO UPDATE SET source ="
    " excluded.source, target = excluded.target"};

/* The steps of a run. A load step's merged rows are what its source rows
 * leave after the loaded and the rejected (migrate keeps that identity). */
const co_jq co_q_view_run_steps = {
    "SELECT step, entity, status, started_at, ended_at,"
    " coalesce(source_rows, 0) AS source_rows, coalesce(loaded, 0) AS loaded,"
    " CASE WHEN step LIKE 'load:%' THEN coalesce(source_rows, 0) - coalesce(loaded, 0)"
    " - coalesce(rejected, 0) ELSE 0 END AS merged,"
    " coalesce(rejected, 0) AS rejected, seconds"
    " FROM steps WHERE run_id = ? ORDER BY started_at, step"};
