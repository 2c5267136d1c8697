/*
 * aftercare.c: the project file's keys for the time after a switch (monitor,
 * budgets, approvals; docs/monitor.md): their defaults, the checks that need
 * the entities, lookups, and freeing. parse.c reads them.
 */
#include "project/project_int.h"

#include <stdlib.h>
#include <string.h>

void co_project_aftercare_release(co_project *p)
{
    for (size_t i = 0; i < p->monitor.nvolumes; i++) {
        free(p->monitor.volumes[i].entity);
        free(p->monitor.volumes[i].time);
        free(p->monitor.volumes[i].by);
    }
    free(p->monitor.volumes);
    for (size_t i = 0; i < p->nbudgets; i++) {
        free(p->budgets[i].name);
        free(p->budgets[i].sql);
    }
    free(p->budgets);
    for (size_t i = 0; i < p->napprovals; i++) {
        free(p->approvals[i].step);
        for (size_t k = 0; k < p->approvals[i].nsizes; k++)
            free(p->approvals[i].sizes[k]);
        free(p->approvals[i].sizes);
    }
    free(p->approvals);
}

void co_project_aftercare_defaults(co_project *p)
{
    co_monitor_spec *m = &p->monitor;
    if (m->days == 0)
        m->days = 7;
    if (m->weeks == 0)
        m->weeks = 4;
    if (m->tolerance == 0)
        m->tolerance = 0.5;
    if (m->min_baseline == 0)
        m->min_baseline = 5;
    for (size_t i = 0; i < p->nbudgets; i++) {
        if (p->budgets[i].budget == 0)
            p->budgets[i].budget = 1.0;
        if (p->budgets[i].repeat == 0)
            p->budgets[i].repeat = 5;
    }
}

co_code co_project_aftercare_check(const co_project *p, const char *name, co_error *err)
{
    for (size_t i = 0; i < p->monitor.nvolumes; i++) {
        const co_monitor_volume *v = &p->monitor.volumes[i];
        const co_entity *e = co_project_entity(p, v->entity);
        if (!e)
            return co_project_fail(err, CO_EPROJECT, name, v->mark,
                                   "monitor.volumes names entity \"%s\", which the project "
                                   "does not define",
                                   v->entity);
        if (!e->tenant_column)
            return co_project_fail(err, CO_EPROJECT, name, v->mark,
                                   "monitor.volumes: entity %s has no tenant_column, so its "
                                   "target rows cannot be counted per tenant",
                                   v->entity);
    }
    for (size_t i = 0; i < p->nbudgets; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->budgets[i].name, p->budgets[k].name) == 0)
                return co_project_fail(err, CO_EPROJECT, name, p->budgets[i].mark,
                                       "budget name \"%s\" is used twice", p->budgets[i].name);
    for (size_t i = 0; i < p->napprovals; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->approvals[i].step, p->approvals[k].step) == 0)
                return co_project_fail(err, CO_EPROJECT, name, p->approvals[i].mark,
                                       "approval step \"%s\" is listed twice",
                                       p->approvals[i].step);
    return CO_OK;
}

const co_approval_rule *co_project_approval(const co_project *p, const char *step)
{
    for (size_t i = 0; i < p->napprovals; i++)
        if (strcmp(p->approvals[i].step, step) == 0)
            return &p->approvals[i];
    return NULL;
}
