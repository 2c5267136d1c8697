/*
 * inflight.c: the report's and dashboard's view of a tenant whose work is in
 * flight or was cut short, as `cutover status` tells it: frozen (since when,
 * by which process, alive or gone), interrupted (its process is gone), a
 * rollback left incomplete, each with the command that finishes it, and a
 * syncing tenant's read share, lag and backlog.
 */
#include "report/report_int.h"
#include "util/html.h"

#include <string.h>

void rp_html_state(co_buf *b, const co_tenant_status *s)
{
    Co_html_esc(b, s->state);
    if (s->holder_gone)
        Co_buf_adds(b, " (interrupted)");
}

/* <code>cutover COMMAND --tenant KEY</code> */
static void command(co_buf *b, const char *what, const char *tenant)
{
    Co_buf_printf(b, "<code>cutover %s --tenant ", what);
    Co_html_esc(b, tenant);
    Co_buf_adds(b, "</code>");
}

void rp_html_inflight(co_buf *b, const co_tenant_status *s)
{
    if (s->frozen_since) {
        Co_buf_printf(b, "<p class=%s>Frozen since <span class=t>", s->holder_gone ? "bad" : "paused");
        Co_html_esc(b, s->frozen_since);
        Co_buf_adds(b, "</span> by ");
        Co_html_esc(b, s->holder ? s->holder : "a process no longer holding it");
        Co_buf_adds(b, s->holder_gone ? " (gone: its freeze lapses within "
                                        "options.freeze_heartbeat_seconds)"
                                      : " (alive)");
        Co_buf_adds(b, ": the tenant's writes are refused while its heartbeat is fresh.</p>\n");
    }
    if (s->syncing) {
        Co_buf_printf(b, "<p class=paused>Syncing (both systems live): %d%% of its reads on the "
                         "new system, writes on the old; ", s->read_share);
        if (s->lag_known)
            Co_buf_printf(b, "lag <span class=t>%.2f s</span>, backlog %lld changes.</p>\n",
                          s->lag_seconds, (long long)s->backlog);
        else
            Co_buf_adds(b, "no sync round yet.</p>\n");
    }
    if (s->reverse_syncing)
        Co_buf_printf(b, "<p class=paused>Reverse sync (the new system's writes back to the old, "
                         "for a rollback in seconds): lag <span class=t>%.2f s</span>, backlog "
                         "%lld changes.</p>\n",
                      s->lag_seconds, (long long)s->backlog);
    const char *finish = co_status_finish_command(s);
    if (finish && strcmp(finish, "rollback") == 0) {
        Co_buf_adds(b, "<p class=bad>Rollback incomplete: part of the tenant may remain in the "
                       "target. Finish it with ");
        command(b, finish, s->tenant);
        Co_buf_adds(b, " (or the next migrate of the tenant).</p>\n");
    } else if (finish && strcmp(finish, "purge") == 0) {
        Co_buf_adds(b, "<p class=paused>Rolled back to the old system, which takes its writes; "
                       "its rows stay in the target, frozen, until purged: ");
        command(b, finish, s->tenant);
        Co_buf_adds(b, " (or the next round of cutover sync).</p>\n");
    } else if (finish) {
        Co_buf_adds(b, "<p class=bad>Interrupted: ");
        Co_html_esc(b, s->holder ? s->holder : "its process");
        Co_buf_adds(b, " is gone. Run ");
        command(b, finish, s->tenant);
        Co_buf_adds(b, " to go on.</p>\n");
    }
}
