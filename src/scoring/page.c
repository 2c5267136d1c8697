/*
 * page.c: the scoring HTML pages: volumes side by side with a chart per
 * event, and the sample page (a seeded random sample of people stratified
 * by the old model's segment, with both scores, both segments and the top
 * contributing events under each model) for two people to review together.
 */
#include "scoring/scoring_int.h"
#include "report/report_int.h"
#include "util/clock.h"
#include "util/html.h"
#include "util/free.h"

#include <stdlib.h>
#include <string.h>

static const char extra_css[] =
    ".stop{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}"
    "td.num{text-align:right}tr.moved td{background:#fff4d6}";

/* A paragraph opened by open (trusted markup) listing n names, escaped,
 * separated by commas; nothing when there are none. */
static void names_para(co_buf *b, const char *open, char *const *names, size_t n)
{
    if (!n)
        return;
    Co_buf_adds(b, open);
    for (size_t i = 0; i < n; i++) {
        Co_buf_adds(b, i ? ", " : "");
        Co_html_esc(b, names[i]);
    }
    Co_buf_adds(b, "</p>\n");
}

void co_volume_result_html(const co_volume_result *r, const char *old_source,
                           const char *new_source, co_buf *b)
{
    Co_html_begin(b, "cutover: event volumes", extra_css, 0);
    Co_buf_adds(b, "<h1>Event volumes: ");
    Co_html_esc(b, old_source);
    Co_buf_adds(b, " against ");
    Co_html_esc(b, new_source);
    Co_buf_printf(b, "</h1>\n<p>Verdict: <span class=\"%s\">%s</span>. Last %d months; "
                     "tolerance %.1f%% per event and month; %lld of %lld (event, person, month) "
                     "cells differ.</p>\n",
                  r->ok ? "ok" : "stop", r->ok ? "continue" : "stop", r->months,
                  r->tolerance * 100, (long long)r->cells_differ, (long long)r->cells);
    names_para(b, "<p class=\"stop\">Missing on the new source: ", r->missing_new,
               r->nmissing_new);
    names_para(b, "<p>Only on the new source: ", r->missing_old, r->nmissing_old);
    if (r->nworst) {
        Co_buf_adds(b, "<h2>The people whose counts differ most</h2>\n");
        CO_HTML_HEAD(b, "event", "person", "month", "old", "new");
        for (size_t i = 0; i < r->nworst; i++) {
            const co_volume_cell *w = &r->worst[i];
            Co_buf_adds(b, "<tr>");
            CO_HTML_CELLS(b, w->event, w->person);
            Co_buf_printf(b, "<td>%s</td><td class=\"num\">%lld</td><td class=\"num\">%lld"
                             "</td></tr>\n",
                          w->month, (long long)w->old_count, (long long)w->new_count);
        }
        Co_buf_adds(b, "</table>\n");
    }
    size_t months = r->months > 0 ? (size_t)r->months : 1;
    const char **labels = calloc(months, sizeof *labels);
    int64_t *a = calloc(months, sizeof *a), *v = calloc(months, sizeof *v);
    for (size_t first = 0; labels && a && v && first + months <= r->nrows; first += months) {
        const co_volume_row *row = &r->rows[first];
        Co_buf_adds(b, "<h2>");
        Co_html_esc(b, row->event);
        Co_buf_adds(b, "</h2>\n");
        for (size_t i = 0; i < months; i++) {
            labels[i] = r->rows[first + i].month;
            a[i] = r->rows[first + i].old_count;
            v[i] = r->rows[first + i].new_count;
        }
        char title[160];
        snprintf(title, sizeof title, "%.80s: records per month, old against new", row->event);
        rp_svg_pairs(b, title, labels, a, v, months, old_source, new_source);
        CO_HTML_HEAD(b, "month", "old", "new", "difference");
        for (size_t i = 0; i < months; i++) {
            const co_volume_row *w = &r->rows[first + i];
            Co_buf_printf(b, "<tr><td>%s</td><td class=\"num\">%lld</td><td class=\"num\">%lld"
                             "</td><td class=\"num%s\">%+.1f%%</td></tr>\n",
                          w->month, (long long)w->old_count, (long long)w->new_count,
                          w->beyond ? " stop" : "", w->diff * 100);
        }
        Co_buf_adds(b, "</table>\n");
    }
    CO_FREE(labels, a, v);
    Co_html_end(b);
}

/* ---- the sample page ---- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct sampled {
    char *key;
    double old_score, new_score;
    int old_seg, new_seg;
} sampled;

static int cmp_sampled(const void *x, const void *y)
{
    const sampled *a = x, *b = y;
    if (a->old_seg != b->old_seg)
        return a->old_seg - b->old_seg;
    return (a->old_score < b->old_score) - (a->old_score > b->old_score);
}

/* Reservoir-samples per_segment keys of each old segment, seeded. */
static co_code choose(const co_scores *so, const co_scores *sn, uint64_t seed, size_t per_segment,
                      sampled **out, size_t *nout, co_error *err)
{
    co_map new_index;
    Co_map_init(&new_index);
    for (uint32_t i = 0; i < sn->n; i++)
        if (!Co_map_put(&new_index, sn->keys[i], strlen(sn->keys[i]), &i, sizeof i)) {
            Co_map_release(&new_index);
            return co_error_set(err, CO_ENOMEM, "out of memory");
        }
    size_t cap = per_segment * CO_SEG_COUNT;
    sampled *s = calloc(cap ? cap : 1, sizeof *s);
    size_t seen[CO_SEG_COUNT] = {0}, kept[CO_SEG_COUNT] = {0};
    size_t *slot = calloc(cap ? cap : 1, sizeof *slot); /* index in so per sample slot */
    uint64_t state = seed;
    for (size_t i = 0; s && slot && i < so->n; i++) {
        int g = so->segment[i];
        seen[g]++;
        size_t at;
        if (kept[g] < per_segment)
            at = kept[g]++;
        else if ((at = (size_t)(splitmix(&state) % seen[g])) >= per_segment)
            continue;
        slot[(size_t)g * per_segment + at] = i + 1;
    }
    size_t n = 0;
    for (size_t k = 0; s && slot && k < cap; k++) {
        if (!slot[k])
            continue;
        size_t i = slot[k] - 1;
        sampled *x = &s[n++];
        x->key = strdup(so->keys[i]);
        x->old_score = so->score[i];
        x->old_seg = so->segment[i];
        x->new_seg = CO_SEG_LOW;
        const char *val = NULL;
        if (Co_map_get(&new_index, so->keys[i], strlen(so->keys[i]), &val, NULL)) {
            uint32_t j;
            memcpy(&j, val, sizeof j);
            x->new_score = sn->score[j];
            x->new_seg = sn->segment[j];
        }
    }
    free(slot);
    Co_map_release(&new_index);
    if (!s)
        return co_error_set(err, CO_ENOMEM, "out of memory");
    qsort(s, n, sizeof *s, cmp_sampled);
    *out = s;
    *nout = n;
    return CO_OK;
}

co_code co_sample_page(const co_project *p, co_state *st, const co_model *old_m,
                       const co_model *new_m, time_t as_of, uint64_t seed, size_t per_segment,
                       co_buf *html, co_error *err)
{
    co_scores so, sn;
    co_code rc = sc_score_both(p, st, old_m, new_m, as_of, &so, &sn, err);
    if (rc != CO_OK)
        return rc;
    sampled *s = NULL;
    size_t n = 0;
    rc = choose(&so, &sn, seed, per_segment, &s, &n, err);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    char **why_old = calloc(n ? n : 1, sizeof *why_old), **why_new = calloc(n ? n : 1, sizeof *why_new);
    if (rc == CO_OK && (!keys || !why_old || !why_new))
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == CO_OK && i < n; i++)
        keys[i] = s[i].key ? s[i].key : "";
    if (rc == CO_OK)
        rc = co_score_explain(p, st, old_m, as_of, keys, n, 3, why_old, err);
    if (rc == CO_OK)
        rc = co_score_explain(p, st, new_m, as_of, keys, n, 3, why_new, err);
    if (rc == CO_OK) {
        char date[32];
        Co_clock_iso(as_of, date, sizeof date);
        Co_html_begin(html, "cutover: sample of scores", extra_css, 0);
        Co_buf_adds(html, "<h1>Sample: ");
        Co_html_esc(html, old_m->name);
        Co_buf_adds(html, " against ");
        Co_html_esc(html, new_m->name);
        Co_buf_printf(html, "</h1>\n<p>As of %s; seed %llu; up to %zu people per segment of "
                            "the old model. Rows where the segment moved are highlighted. "
                            "Review them in pairs: does the new score tell the same story?</p>\n",
                      date, (unsigned long long)seed, per_segment);
        CO_HTML_HEAD(html, strcmp(old_m->level, "account") == 0 ? "account" : "person",
                     "old score", "old segment", "new score", "new segment", "top events (old)",
                     "top events (new)");
        for (size_t i = 0; i < n; i++) {
            Co_buf_adds(html, s[i].old_seg != s[i].new_seg ? "<tr class=\"moved\">" : "<tr>");
            CO_HTML_CELLS(html, keys[i]);
            Co_buf_printf(html, "<td class=\"num\">%.1f</td><td>%s</td>"
                                "<td class=\"num\">%.1f</td><td>%s</td>",
                          s[i].old_score, co_segment_name(s[i].old_seg), s[i].new_score,
                          co_segment_name(s[i].new_seg));
            CO_HTML_CELLS(html, why_old[i], why_new[i]);
            Co_buf_adds(html, "</tr>\n");
        }
        Co_buf_adds(html, "</table>\n");
        Co_html_end(html);
    }
    for (size_t i = 0; i < n; i++) {
        free(s[i].key);
        if (why_old)
            free(why_old[i]);
        if (why_new)
            free(why_new[i]);
    }
    CO_FREE(s, keys, why_old, why_new);
    co_scores_release(&so);
    co_scores_release(&sn);
    return rc;
}
