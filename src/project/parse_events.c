/*
 * parse_events.c: the `events` section of the project file: behavioural-data
 * sources and the limits of their comparison (docs/scoring.md).
 */
#include "project/fields.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

static const pfield event_source_fields[] = {
    P_URI("uri", true, co_event_source, uri),
    P_TEXT("table", true, co_event_source, table),
    P_TEXT_DEF("person", co_event_source, person, "person"),
    P_TEXT_DEF("account", co_event_source, account, "account"),
    P_TEXT_DEF("event", co_event_source, event, "event"),
    P_TEXT_DEF("time", co_event_source, time, "occurred_at"),
    P_TEXT_DEF("properties", co_event_source, properties, "properties"),
};

static const psection event_source_section = {
    P_SECTION(event_source_fields), P_NAMED(co_event_source, name), .context = "in event source",
};

/* One source: its name (k) and its mapping (v). */
static co_code read_event_source(pwalk *w, struct fy_node *k, struct fy_node *v, co_mark at,
                                 void *item, void *ctx)
{
    const co_project *p = ctx;
    co_event_source *e = item;
    e->mark = Co_project_mark_or(k, at);
    co_code code = Co_project_scalar(w, k, e->mark, "an event source's name", "a name", &e->name);
    if (code != CO_OK)
        return code;
    if (!Co_project_valid_name(e->name))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, e->mark,
                               "event source name \"%s\" must be letters, digits and _", e->name);
    for (size_t i = 0; i + 1 < p->nevent_sources; i++)
        if (strcmp(p->event_sources[i].name, e->name) == 0)
            return Co_project_fail(w->err, CO_EPROJECT, w->name, e->mark,
                                   "event source \"%s\" is declared twice", e->name);
    if (!Co_project_is(v, FYNT_MAPPING))
        return Co_project_fail(w->err, CO_EPROJECT, w->name, Co_project_mark_or(v, e->mark),
                               "event source \"%s\" must be a mapping (uri, table, ...), not %s",
                               e->name, Co_project_describe(v));
    code = Co_project_walk_fields(w, v, Co_project_mark_or(v, e->mark), &event_source_section, e);
    if (code == CO_OK)
        code = Co_project_defaults(w, &event_source_section, e);
    return code;
}

/* sources: a mapping of source names to { uri, table, person, ... }. */
static const pfield event_source_owns[] = {
    P_OWN(co_event_source, name), P_ALSO(event_source_section)};

static const psection event_sources_section = {
    P_SECTION(event_source_owns),
    P_READ(co_event_source, read_event_source,
           "\"sources\" must be a mapping of source names to tables"),
};

static const pfield events_similar_fields[] = {
    P_FRACTION("auc_delta", co_project, similar_auc_delta, 0.02),
    P_NUMBER("psi", co_project, similar_psi, 0, true, 10, "a number above 0, at most 10", 0.1),
    P_NUMBER("spearman", co_project, similar_spearman, -1, false, 1, "a number from -1 to 1", 0.9),
};

static const psection events_similar_section = {
    P_SECTION(events_similar_fields), .context = "in events.similar",
    .shape = " (auc_delta, psi, spearman)",
};

static const pfield events_fields[] = {
    {.key = "sources", .type = PF_ITEMS, .required = true,
     .offset = offsetof(co_project, event_sources), .count = offsetof(co_project, nevent_sources),
     .sub = &event_sources_section},
    P_FRACTION("tolerance", co_project, events_tolerance, 0.05),
    P_SAME("similar", events_similar_section),
};

const psection co_project_events = {
    P_SECTION(events_fields), .context = "in events", .shape = " (sources, tolerance, similar)",
};
