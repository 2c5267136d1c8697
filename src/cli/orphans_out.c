/*
 * orphans_out.c: the accounting of source rows of no tenant, as people read
 * it (audit and verify --all print it the same way).
 */
#include "cli.h"
#include "cutover/verify.h"

#include <stdio.h>

void cli_print_orphans(const co_orphans *o, const co_project *p)
{
    char a[32];
    printf("\nsource rows of no tenant (their tenant value is NULL or names no tenant): %s",
           cli_num(o->rows, a, sizeof a));
    printf(", %s left out by an orphans rule (counted in %.2fs)\n", cli_num(o->excluded, a, sizeof a),
           o->seconds);
    for (size_t i = 0; i < o->nsources; i++)
        printf("  %s.%s (%s, entities %s): %s rows\n", o->sources[i].table,
               o->sources[i].column, o->sources[i].declared ? "declared" : "from the query",
               o->sources[i].entities, cli_num(o->sources[i].rows, a, sizeof a));
    for (size_t i = 0; i < o->ngroups; i++) {
        const co_orphan_group *g = &o->groups[i];
        printf("  %s %s.%s: %s rows ", g->rule >= 0 ? "excluded" : "FINDING ", g->table,
               g->column, cli_num(g->rows, a, sizeof a));
        if (g->is_null)
            printf("whose tenant is NULL");
        else
            printf("naming no tenant (%lld value%s)", (long long)g->values,
                   g->values == 1 ? "" : "s");
        printf(", e.g. %s\n", g->examples);
        if (g->rule >= 0 && (size_t)g->rule < p->norphans)
            printf("           by orphans rule %d (%s:%d): %s\n", g->rule + 1, p->path,
                   p->orphans[g->rule].mark.line, p->orphans[g->rule].reason);
    }
    if (o->rows)
        printf("  to leave rows out on purpose, add an orphans rule with a reason "
               "(docs/project-file.md)\n");
    for (size_t i = 0; i < o->nunaccounted; i++)
        printf("  not accounted: %s\n", o->unaccounted[i]);
}
