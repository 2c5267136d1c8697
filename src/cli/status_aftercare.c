/*
 * status_aftercare.c: the lines `cutover status` prints under its table for
 * tenants with notes, a monitor check or a step waiting for approval.
 */
#include "cli.h"
#include "cutover/status.h"

#include <stdio.h>

void cli_print_aftercare(const co_tenant_status *rows, size_t n)
{
    bool header = false;
    for (size_t i = 0; i < n; i++) {
        const co_tenant_status *r = &rows[i];
        if (!r->notes && !r->monitor_check && !r->waiting_approval)
            continue;
        if (!header)
            printf("\nafter the switch:\n");
        header = true;
        if (r->monitor_check)
            printf("  tenant %s: monitor %s: %s%s\n", r->tenant,
                   r->monitored_at ? r->monitored_at : "", r->monitor_flags ? "FLAGGED " : "",
                   r->monitor_summary ? r->monitor_summary : "");
        if (r->waiting_approval)
            printf("  tenant %s: waiting for approval: %s\n", r->tenant, r->waiting_approval);
        if (r->notes)
            printf("  tenant %s: %lld note%s, latest %s\n", r->tenant, (long long)r->notes,
                   r->notes == 1 ? "" : "s", r->last_note ? r->last_note : "");
    }
}
