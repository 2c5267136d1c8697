/*
 * scoring.c: the journal's behavioural scoring tables: event mappings and
 * their rules, models and their events, the batch flag, switches and their
 * steps (state/journal.h, docs/scoring.md).
 */
#include "state/journal.h"
#include "state/state_int.h"

#include <stdio.h>
#include <string.h>

const co_jq co_q_batch_add = {
    "INSERT INTO scoring_batch (id, running, changed_at, note) VALUES (1, ?, ?, ?)"};

const co_jq co_q_batch_count = {
    "SELECT count(*) FROM scoring_batch"};

const co_jq co_q_batch_get = {
    "SELECT running, changed_at FROM scoring_batch WHERE id = 1"};

const co_jq co_q_batch_set = {
    "UPDATE scoring_batch SET running = ?, changed_at = ?, note = ? WHERE id = 1"};

const co_jq co_q_mapping_add = {
    "INSERT INTO event_mappings (source, version, status, origin, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};

const co_jq co_q_mapping_last_version = {
    "SELECT COALESCE(MAX(version), 0) FROM event_mappings WHERE source = ?"};

const co_jq co_q_mapping_others_off = {
    "UPDATE event_mappings SET status = 'off', updated_at = ? WHERE source = ? AND status"
    " = 'on' AND id <> ?"};

const co_jq co_q_mapping_rule_add = {
    "INSERT INTO event_mapping_rules (mapping_id, raw_event, canonical, kind) VALUES (?,"
    " ?, ?, ?)"};

const co_jq co_q_mapping_rules_of = {
    "SELECT raw_event, canonical, kind FROM event_mapping_rules WHERE mapping_id = ?"
    " ORDER BY raw_event"};

const co_jq co_q_mapping_set_status = {
    "UPDATE event_mappings SET status = ?, updated_at = ? WHERE id = ?"};

const co_jq co_q_model_add = {
    "INSERT INTO scoring_models (name, level, source, status, half_points, segment_by,"
    " cut_very_high, cut_high, cut_medium, origin, created_at, updated_at) VALUES (?, ?,"
    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"};

const co_jq co_q_model_by_name = {
    "SELECT id FROM scoring_models WHERE name = ?"};

const co_jq co_q_model_event_add = {
    "INSERT INTO scoring_model_events (model_id, event, weight, lifespan_days) VALUES (?,"
    " ?, ?, ?)"};

const co_jq co_q_model_events_of = {
    "SELECT event, weight, lifespan_days FROM scoring_model_events WHERE model_id = ?"
    " ORDER BY event"};

const co_jq co_q_model_set_status = {
    "UPDATE scoring_models SET status = ?, updated_at = ? WHERE id = ?"};

const co_jq co_q_models_published_other = {
    "SELECT count(*) FROM scoring_models WHERE source = ? AND status = 'published' AND id"
    " <> ?"};

const co_jq co_q_switch_add = {
    "INSERT INTO scoring_switches (old_model, draft_model, old_mapping, new_mapping,"
    " as_of, started_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"};

const co_jq co_q_switch_batch_stopped = {
    "UPDATE scoring_switches SET batch_stopped_at = ? WHERE id = ?"};

const co_jq co_q_switch_draft_bands = {
    "SELECT w.draft_bands FROM scoring_switches w JOIN scoring_models m ON m.id ="
    " w.draft_model WHERE m.name = ? AND w.outcome = 'published' ORDER BY w.id DESC LIMIT"
    " 1"};

const co_jq co_q_switch_end = {
    "UPDATE scoring_switches SET outcome = ?, comparison = ?, ended_at = ? WHERE id = ?"};

const co_jq co_q_switch_last_published = {
    "SELECT id, old_model, draft_model, old_mapping, new_mapping, ended_at FROM"
    " scoring_switches WHERE outcome = 'published' AND reverted_at IS NULL ORDER BY id"
    " DESC LIMIT 1"};

const co_jq co_q_switch_last_seq = {
    "SELECT COALESCE(MAX(seq), 0) FROM scoring_switch_steps WHERE switch_id = ?"};

const co_jq co_q_switch_published = {
    "SELECT count(*) FROM scoring_switch_steps WHERE switch_id = ? AND step = 'publish'"
    " AND status = 'done'"};

const co_jq co_q_switch_reverted = {
    "UPDATE scoring_switches SET reverted_at = ? WHERE id = ?"};

const co_jq co_q_switch_set_bands = {
    "UPDATE scoring_switches SET draft_bands = ? WHERE id = ?"};

const co_jq co_q_switch_step_add = {
    "INSERT INTO scoring_switch_steps (switch_id, seq, step, status, detail, at) VALUES"
    " (?, ?, ?, ?, ?, ?)"};

const co_jq co_q_switch_unfinished = {
    "SELECT id, old_model, draft_model, old_mapping, new_mapping FROM scoring_switches"
    " WHERE ended_at IS NULL ORDER BY id DESC LIMIT 1"};

#define MAPPING_COLS "SELECT id, source, version, status, origin, updated_at FROM event_mappings "
const co_jq co_q_mapping_by_id = {MAPPING_COLS "WHERE id = ?"};
const co_jq co_q_mapping_of_source = {
    MAPPING_COLS "WHERE source = ? AND status <> 'archived'"
    " ORDER BY CASE status WHEN 'on' THEN 0 ELSE 1 END, version DESC LIMIT 1"};
const co_jq co_q_mappings_all = {MAPPING_COLS "ORDER BY id DESC"};

#define MODEL_COLS                                                                               \
    "SELECT id, name, level, source, status, half_points, segment_by, cut_very_high, cut_high," \
    " cut_medium, origin, updated_at FROM scoring_models "
const co_jq co_q_model_by_id = {MODEL_COLS "WHERE id = ?"};
const co_jq co_q_model_named = {MODEL_COLS "WHERE name = ?"};
const co_jq co_q_models_all = {MODEL_COLS "ORDER BY id"};
