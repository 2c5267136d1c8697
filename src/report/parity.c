/*
 * parity.c: the report's and dashboard's line on a tenant's shadow reads
 * (cutover/parity.h, docs/coexistence.md): its latest parity run, passed or
 * failed, when, and how many of its checks and rows disagreed, as `cutover
 * status` tells it (co_tenant_status.parity).
 */
#include "report/report_int.h"
#include "util/html.h"

void rp_html_parity(co_buf *b, const co_tenant_status *s)
{
    const co_state_parity_run *p = &s->parity;
    if (!p->id)
        return;
    Co_buf_printf(b, "<p class=%s id=\"parity-", p->pass ? "ok" : "bad");
    Co_html_url(b, s->tenant);
    Co_buf_printf(b, "\">Parity (shadow reads): run %lld %s at <span class=t>", (long long)p->id,
                  p->pass ? "passed" : "failed");
    Co_html_esc(b, p->at);
    Co_buf_printf(b, "</span>, %lld of %lld checks failed, %lld rows on one side only.</p>\n",
                  (long long)p->failed, (long long)p->checks, (long long)p->mismatches);
}
