/*
 * lookup.c: finding things in a parsed project (project.h): an entity, a
 * captured table, an event source or an approval rule by name, and names of
 * hook phases.
 */
#include "project/project_int.h"

#include <string.h>

int co_project_entity_index(const co_project *p, const char *name)
{
    if (!p || !name)
        return -1;
    for (size_t i = 0; i < p->nentities; i++)
        if (p->entities[i].name && strcmp(p->entities[i].name, name) == 0)
            return (int)i;
    return -1;
}

const co_entity *co_project_entity(const co_project *p, const char *name)
{
    int i = co_project_entity_index(p, name);
    return i < 0 ? NULL : &p->entities[i];
}

const char *co_entity_target_column(const co_entity *e)
{
    return e->target_key ? e->target_key : e->key[0];
}

const char *co_hook_name(co_hook_phase phase)
{
    static const char *const names[CO_HOOK_COUNT] = {"before_copy", "on_freeze", "on_switch",
                                                     "on_rollback", "on_failure",
                                                     "on_alert"};
    return (int)phase >= 0 && phase < CO_HOOK_COUNT ? names[phase] : "unknown";
}

const co_capture_table *co_project_capture(const co_project *p, const char *table)
{
    for (size_t i = 0; i < p->ncapture; i++)
        if (strcmp(p->capture[i].table, table) == 0)
            return &p->capture[i];
    return NULL;
}

const co_event_source *co_project_event_source(const co_project *p, const char *name)
{
    for (size_t i = 0; i < p->nevent_sources; i++)
        if (strcmp(p->event_sources[i].name, name) == 0)
            return &p->event_sources[i];
    return NULL;
}

const co_approval_rule *co_project_approval(const co_project *p, const char *step)
{
    for (size_t i = 0; i < p->napprovals; i++)
        if (strcmp(p->approvals[i].step, step) == 0)
            return &p->approvals[i];
    return NULL;
}
