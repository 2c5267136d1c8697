/*
 * parse_options.c: the sections of the project file about how tenants are
 * moved: options (batch size, push-down and purge chunks, rejects,
 * retention, the freeze heartbeat, the lag under which a syncing tenant's
 * reads may move),
 * capture (tables whose writes are recorded during a cutover), hooks (a
 * command per phase) and orphans (rows of no tenant left behind on purpose).
 */
#include "project/fields.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

/* ---- options ---- */

static const pfield option_fields[] = {
    P_SIZE("batch_size", co_project, batch_size, 1, CO_PROJECT_BATCH_MAX,
           CO_PROJECT_BATCH_DEFAULT),
    P_INT("freeze_heartbeat_seconds", co_project, freeze_heartbeat_seconds, 1, 3600, 5),
    P_INT("retention_days", co_project, retention_days, 1, 3650, 30),
    P_TEXT_DEF("rejects_dir", co_project, rejects_dir, CO_PROJECT_REJECTS_DEFAULT),
    P_INT("reads_max_lag_seconds", co_project, reads_max_lag_seconds, 1, 86400, 5),
    /* 0 when not given: a chunk is batch_size rows */
    P_SIZE("pushdown_chunk_rows", co_project, pushdown_chunk_rows, 1, CO_PROJECT_CHUNK_MAX, 0),
    P_SIZE("purge_chunk_rows", co_project, purge_chunk_rows, 1, CO_PROJECT_CHUNK_MAX,
           CO_PROJECT_PURGE_CHUNK_DEFAULT),
};

const psection co_project_options = {
    P_SECTION(option_fields), .context = "in options", .bare = true,
};

/* ---- hooks ---- */

#define P_HOOK(k, phase) {.key = (k), .type = PF_TEXT, .offset = offsetof(co_project, hooks[phase])}

static const pfield hook_fields[] = {
    P_HOOK("before_copy", CO_HOOK_BEFORE_COPY), P_HOOK("on_freeze", CO_HOOK_ON_FREEZE),
    P_HOOK("on_switch", CO_HOOK_ON_SWITCH),     P_HOOK("on_rollback", CO_HOOK_ON_ROLLBACK),
    P_HOOK("on_failure", CO_HOOK_ON_FAILURE),   P_HOOK("on_alert", CO_HOOK_ON_ALERT),
};

const psection co_project_hooks = {
    P_SECTION(hook_fields), .context = "in hooks", .bare = true, .shape = " of phase: command",
};

/* ---- capture: a sequence of { table, key, tenant } ---- */

static co_code capture_finish(pwalk *w, void *obj, co_mark at)
{
    co_capture_table *t = obj;
    if (!strstr(t->tenant, "{row}"))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "the \"tenant\" of captured table %s must use {row} for the "
                               "row, as in {row}.account_id",
                               t->table);
    return CO_OK;
}

static const pfield capture_fields[] = {
    P_TEXT("table", true, co_capture_table, table),
    P_COLUMNS("key", true, co_capture_table, key, nkey),
    P_TEXT("tenant", true, co_capture_table, tenant),
};

const psection co_project_captures = {
    P_SECTION(capture_fields), P_ITEM(co_capture_table), P_NAMED(co_capture_table, table),
    .context = "in capture", .finish = capture_finish,
    .seq_shape = "tables", .item_shape = "(table, key, tenant)",
};

/* ---- orphans: rows of no tenant left behind on purpose ---- */

/* True when n is a null scalar written out (null, ~), not left empty. */
static bool written_null(struct fy_node *n)
{
    size_t len = 0;
    const char *text = n && fy_node_get_type(n) == FYNT_SCALAR ? fy_node_get_scalar(n, &len)
                                                               : NULL;
    return text && len && Co_project_is_null(n);
}

/* tenant_value: null (rows whose tenant is NULL), unknown (every value that
 * names no tenant), or a list of values (a null item for NULL). */
static co_code set_orphan_values(pwalk *w, const pfield *f, struct fy_node *key,
                                 struct fy_node *val, void *obj)
{
    co_orphan_rule *r = obj;
    co_mark at = Co_project_at(key, val);
    r->nulls = r->unknown = false;
    if (written_null(val)) {
        r->nulls = true;
        return CO_OK;
    }
    size_t len = 0;
    const char *text = Co_project_is(val, FYNT_SCALAR) ? fy_node_get_scalar(val, &len) : NULL;
    if (text && len == 7 && memcmp(text, "unknown", 7) == 0 &&
        fy_node_get_style(val) == FYNS_PLAIN) {
        r->unknown = true;
        return CO_OK;
    }
    if (!Co_project_is(val, FYNT_SEQUENCE))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, at,
                               "\"%s\" must be null (rows whose tenant is NULL), unknown (rows "
                               "naming no tenant) or a list of tenant values, not %s",
                               f->key, Co_project_describe(val));
    int count = fy_node_sequence_item_count(val);
    r->values = calloc(count > 0 ? (size_t)count : 1, sizeof *r->values);
    if (!r->values)
        return Co_project_fail(w->err, CO_ENOMEM, w->name, at, "out of memory");
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(val, &it))) {
        if (written_null(item)) {
            r->nulls = true;
            continue;
        }
        co_code code = Co_project_scalar(w, item, at, "each item of \"tenant_value\"",
                                         "a tenant value", &r->values[r->nvalues]);
        if (code != CO_OK)
            return code;
        r->nvalues++;
    }
    return CO_OK;
}

static void release_orphan_values(const pfield *f, void *obj)
{
    (void)f;
    co_orphan_rule *r = obj;
    Co_project_free_list(r->values, r->nvalues);
}

static void orphan_init(void *obj)
{
    co_orphan_rule *r = obj;
    r->nulls = r->unknown = true; /* no tenant_value: both kinds */
}

static const pfield orphan_fields[] = {
    P_TEXT("table", false, co_orphan_rule, table),
    P_CUSTOM("tenant_value", false, set_orphan_values, release_orphan_values),
    P_TEXT("reason", true, co_orphan_rule, reason),
};

const psection co_project_orphans = {
    P_SECTION(orphan_fields), P_ITEM(co_orphan_rule),
    .context = "in an orphans rule", .init = orphan_init,
    .seq_shape = "rules (table, tenant_value, reason)",
    .item_shape = "(table, tenant_value, reason)",
};
