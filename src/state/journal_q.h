/* journal_q.h: the journal's statements by concern (state/journal.h). */
#ifndef CUTOVER_STATE_JOURNAL_Q_H
#define CUTOVER_STATE_JOURNAL_Q_H

/* tenants, routes and lifecycle (state/tenants.c) */
extern const co_jq co_q_tenant_count;
extern const co_jq co_q_tenants_count;
extern const co_jq co_q_archive_add;
extern const co_jq co_q_route_switched_at;
extern const co_jq co_q_tenants_routes;
extern const co_jq co_q_view_routes;
extern const co_jq co_q_view_tenant_route;

/* runs, steps, verifications and findings (state/runs.c) */
extern const co_jq co_q_view_run_steps;
extern const co_jq co_q_finding_add;
extern const co_jq co_q_runs_count;
extern const co_jq co_q_steps_last_load;
extern const co_jq co_q_steps_load_rate;
extern const co_jq co_q_verification_add;
extern const co_jq co_q_view_run;
extern const co_jq co_q_view_run_checks;
extern const co_jq co_q_view_run_findings;
extern const co_jq co_q_view_run_volumes;
extern const co_jq co_q_view_tenant_findings;
extern const co_jq co_q_view_tenant_rehearsals;
extern const co_jq co_q_view_tenant_run;
extern const co_jq co_q_view_tenant_verify_run;
extern const co_jq co_q_view_tenant_volumes;
extern const co_jq co_q_volume_add;

/* id maps, rejects and merges (state/maps.c) */
extern const co_jq co_q_idmap_targets;
extern const co_jq co_q_merges_count;
extern const co_jq co_q_merges_keys;
extern const co_jq co_q_merges_pairs;
extern const co_jq co_q_rejects_by_rule;
extern const co_jq co_q_rejects_keys;

/* plans, schedules and audits (state/plans.c) */
extern const co_jq co_q_cohort_pause;
extern const co_jq co_q_cohort_paused;
extern const co_jq co_q_cohort_resume;
extern const co_jq co_q_plan_add;
extern const co_jq co_q_plan_latest;
extern const co_jq co_q_plan_tenant_add;
extern const co_jq co_q_plan_tenants_of;
extern const co_jq co_q_schedule_set;
extern const co_jq co_q_schedules_notices;
extern const co_jq co_q_schedules_unaudited;
extern const co_jq co_q_tenant_audit_set;
extern const co_jq co_q_tenant_audit_size_class;
extern const co_jq co_q_tenant_audits_plannable;
extern const co_jq co_q_tenants_unaudited;
extern const co_jq co_q_view_paused_cohorts;
extern const co_jq co_q_view_plan;
extern const co_jq co_q_view_plan_cohorts;
extern const co_jq co_q_view_tenant_audit;
extern const co_jq co_q_view_tenant_plan;

/* notes, approvals, monitoring and budgets (state/aftercare.c) */
extern const co_jq co_q_view_last_checks;
extern const co_jq co_q_view_flagged_days;
extern const co_jq co_q_view_last_budgets;
extern const co_jq co_q_view_waiting_approvals;
extern const co_jq co_q_view_last_notes;
extern const co_jq co_q_approval_add;
extern const co_jq co_q_approval_latest;
extern const co_jq co_q_budget_result_add;
extern const co_jq co_q_monitor_check_add;
extern const co_jq co_q_monitor_check_alert;
extern const co_jq co_q_monitor_volume_add;
extern const co_jq co_q_note_add;
extern const co_jq co_q_view_tenant_approvals;
extern const co_jq co_q_view_tenant_budgets;
extern const co_jq co_q_view_tenant_monitor_checks;
extern const co_jq co_q_view_tenant_monitor_days;
extern const co_jq co_q_view_tenant_notes;

/* scoring (state/scoring.c) */
extern const co_jq co_q_mapping_by_id;
extern const co_jq co_q_mapping_of_source;
extern const co_jq co_q_mappings_all;
extern const co_jq co_q_model_by_id;
extern const co_jq co_q_model_named;
extern const co_jq co_q_models_all;
extern const co_jq co_q_batch_add;
extern const co_jq co_q_batch_count;
extern const co_jq co_q_batch_get;
extern const co_jq co_q_batch_set;
extern const co_jq co_q_mapping_add;
extern const co_jq co_q_mapping_last_version;
extern const co_jq co_q_mapping_others_off;
extern const co_jq co_q_mapping_rule_add;
extern const co_jq co_q_mapping_rules_of;
extern const co_jq co_q_mapping_set_status;
extern const co_jq co_q_model_add;
extern const co_jq co_q_model_by_name;
extern const co_jq co_q_model_event_add;
extern const co_jq co_q_model_events_of;
extern const co_jq co_q_model_set_status;
extern const co_jq co_q_models_published_other;
extern const co_jq co_q_switch_add;
extern const co_jq co_q_switch_batch_stopped;
extern const co_jq co_q_switch_draft_bands;
extern const co_jq co_q_switch_end;
extern const co_jq co_q_switch_last_published;
extern const co_jq co_q_switch_last_seq;
extern const co_jq co_q_switch_published;
extern const co_jq co_q_switch_reverted;
extern const co_jq co_q_switch_set_bands;
extern const co_jq co_q_switch_step_add;
extern const co_jq co_q_switch_unfinished;

#endif
