/*
 * parse_aftercare.c: the sections of the project file for the time after a
 * switch (docs/monitor.md): monitor (how switched tenants are watched),
 * budgets (the new application's top queries, timed) and approvals (steps
 * that wait for a second person). validate.c checks them against the entities.
 */
#include "project/fields.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

/* ---- monitor ---- */

static const pfield monitor_volume_fields[] = {
    P_TEXT("entity", true, co_monitor_volume, entity),
    P_TEXT("time", true, co_monitor_volume, time),
    P_TEXT("by", false, co_monitor_volume, by),
};

static const psection monitor_volume_section = {
    P_SECTION(monitor_volume_fields), P_ITEM(co_monitor_volume), P_NAMED(co_monitor_volume, entity),
    .context = "in monitor.volumes",
    .seq_shape = "{entity, time, by}", .item_shape = "(entity, time, by)",
};

static const pfield monitor_fields[] = {
    P_INT("days", co_monitor_spec, days, 1, 366, 7),
    P_INT("weeks", co_monitor_spec, weeks, 1, 52, 4),
    P_SHARE("tolerance", co_monitor_spec, tolerance, 0.5),
    P_NUMBER("min_baseline", co_monitor_spec, min_baseline, 0, false, 1e12, "a number of rows", 5),
    P_SEQ("volumes", false, co_monitor_spec, volumes, nvolumes, monitor_volume_section),
};

const psection co_project_monitor = {
    P_SECTION(monitor_fields), .context = "in monitor", .bare = true,
    .shape = " (days, weeks, tolerance, min_baseline, volumes)",
};

/* ---- budgets ---- */

static const pfield budget_fields[] = {
    P_CHECKED("name", true, co_budget_query, name, "an entity name", Co_project_check_name),
    P_TEXT("sql", true, co_budget_query, sql),
    P_SECONDS("budget", co_budget_query, budget, 1.0),
    P_INT("repeat", co_budget_query, repeat, 1, 1000, 5),
};

const psection co_project_budgets = {
    P_SECTION(budget_fields), P_ITEM(co_budget_query), P_NAMED(co_budget_query, name),
    .context = "in budget",
    .seq_shape = "{name, sql, budget, repeat}", .item_shape = "(name, sql, budget, repeat)",
};

/* ---- approvals ---- */

/* One step's rule: all, or { size: [CLASS, ...] }. */
static co_code read_approval(pwalk *w, struct fy_node *k, struct fy_node *v, co_mark at,
                             void *item, void *ctx)
{
    (void)ctx;
    co_approval_rule *r = item;
    r->mark = Co_project_mark_or(k, at);
    co_code code = Co_project_scalar(w, k, at, "a step of \"approvals\"", "a step name", &r->step);
    if (code != CO_OK)
        return code;
    if (!Co_project_valid_name(r->step))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, r->mark,
                               "approval step \"%s\" is invalid (expected a name such as "
                               "switch, finalize or publish_model)",
                               r->step);
    size_t len = 0;
    const char *s = Co_project_is(v, FYNT_SCALAR) ? fy_node_get_scalar(v, &len) : NULL;
    if (s && len == 3 && memcmp(s, "all", 3) == 0) {
        r->all = true;
        return CO_OK;
    }
    if (!Co_project_is(v, FYNT_MAPPING) || fy_node_mapping_item_count(v) != 1 ||
        !fy_node_mapping_lookup_by_string(v, "size", 4))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(v, r->mark),
                               "approval of step %s must be all or {size: [XL]}, not %s", r->step,
                               Co_project_describe(v));
    struct fy_node *sizes = fy_node_mapping_lookup_by_string(v, "size", 4);
    return Co_project_columns(w, "size", k, sizes, &r->sizes, &r->nsizes);
}

static const pfield approval_owns[] = {
    P_OWN(co_approval_rule, step), P_COLUMNS("size", false, co_approval_rule, sizes, nsizes)};

const psection co_project_approvals = {
    P_SECTION(approval_owns),
    P_READ(co_approval_rule, read_approval,
           "\"approvals\" must be a mapping of step: all or step: {size: [XL]}"),
};

