/*
 * svg.c: the report's charts, drawn as inline SVG (report_int.h): no script,
 * no library, nothing fetched. Every label is escaped; every bar carries a
 * <title> with its exact number, so the chart reads on paper and on hover.
 */
#include "report/report_int.h"
#include "util/html.h"

#include <stdio.h>
#include <string.h>

#define COLOR_LOADED "#4a9a4a"
#define COLOR_MERGED "#4a7ac8"
#define COLOR_REJECTED "#c84a4a"
#define COLOR_SOURCE "#9a9a9a"
#define COLOR_TARGET "#3a6ac0"
#define COLOR_FREEZE "#f4c542"

static void svg_open(co_buf *b, int width, int height, const char *label)
{
    co_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
                  width, height, width, height);
    co_html_esc(b, label);
    co_buf_adds(b, "\" font-family=\"sans-serif\" font-size=\"11\">");
}

static void svg_text(co_buf *b, double x, double y, const char *anchor, const char *text)
{
    co_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    co_html_esc(b, text);
    co_buf_adds(b, "</text>");
}

static void svg_rect(co_buf *b, double x, double y, double w, double h, const char *fill,
                     const char *title)
{
    co_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
                  x, y, w < 0 ? 0 : w, h < 0 ? 0 : h, fill);
    if (title) {
        co_buf_adds(b, "<title>");
        co_html_esc(b, title);
        co_buf_adds(b, "</title>");
    }
    co_buf_adds(b, "</rect>");
}

/* ---- timeline ---- */

typedef struct bar {
    const char *label;
    double start, seconds;
    const char *color;
} bar;

void rp_svg_timeline(co_buf *b, const co_project *p, const rp_tenant *t)
{
    if (!t->run.nrows)
        return;
    /* Steps run one after another in the project's order; the journal's
     * times have whole seconds, so the bars are laid end to end by their
     * measured durations. The freeze (from the route) ends the run; the
     * verification runs inside it when the tenant was captured, after the
     * load otherwise. */
    bar bars[72];
    size_t n = 0;
    double at = 0;
    size_t seconds_col = rp_col(&t->steps, "seconds"), step_col = rp_col(&t->steps, "step");
    size_t order[64];
    size_t nsteps = t->steps.nrows <= 64 ? rp_step_order(p, t, order) : 0;
    for (size_t i = 0; i < nsteps; i++) {
        double s = rp_real(&t->steps, order[i], seconds_col);
        bars[n++] = (bar){rp_cell(&t->steps, order[i], step_col), at, s, COLOR_LOADED};
        at += s;
    }
    double run_seconds = rp_real(&t->run, 0, 5);
    double freeze = t->route.nrows && rp_cell(&t->route, 0, 3) ? rp_real(&t->route, 0, 3) : 0;
    bool froze = freeze > 0 && rp_int(&t->route, 0, 4) == rp_int(&t->run, 0, 0);
    double end = run_seconds > at ? run_seconds : at;
    double freeze_start = froze ? (end - freeze > at ? end - freeze : at) : 0;
    if (froze && freeze_start + freeze > end)
        end = freeze_start + freeze;
    if (rp_verify_in_run(t)) {
        double vs = rp_real(&t->verify_run, 0, 4);
        double start = froze ? freeze_start : end;
        bars[n++] = (bar){"verify", start, vs, COLOR_TARGET};
        if (start + vs > end)
            end = start + vs;
    }
    if (end <= 0)
        end = 1;
    int left = 170, width = 720, row_h = 18, top = 8;
    int height = top + (int)n * row_h + 34;
    double scale = (width - left - 20) / end;
    svg_open(b, width, height, "timeline of the run's steps");
    if (froze) {
        char title[96];
        snprintf(title, sizeof title, "freeze window: %.3f s (the tenant's writes were refused)",
                 freeze);
        svg_rect(b, left + freeze_start * scale, top - 4, freeze * scale < 2 ? 2 : freeze * scale,
                 (double)n * row_h + 8, COLOR_FREEZE, title);
    }
    for (size_t i = 0; i < n; i++) {
        double y = top + (double)i * row_h;
        svg_text(b, left - 6, y + 12, "end", bars[i].label ? bars[i].label : "");
        char title[160];
        snprintf(title, sizeof title, "%s: %.3f s", bars[i].label ? bars[i].label : "",
                 bars[i].seconds);
        double w = bars[i].seconds * scale;
        svg_rect(b, left + bars[i].start * scale, y + 2, w < 1 ? 1 : w, row_h - 5, bars[i].color,
                 title);
    }
    double axis = top + (double)n * row_h + 6;
    co_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\"/>", left,
                  axis, width - 20, axis);
    char label[64];
    svg_text(b, left, axis + 14, "start", "0 s");
    snprintf(label, sizeof label, "%.3f s", end);
    svg_text(b, width - 20, axis + 14, "end", label);
    if (froze) {
        snprintf(label, sizeof label, "freeze %.3f s", freeze);
        svg_text(b, left + freeze_start * scale, axis + 26, "start", label);
    }
    co_buf_adds(b, "</svg>\n");
}

/* ---- rows per entity ---- */

void rp_svg_entity_rows(co_buf *b, const co_project *p, const rp_tenant *t)
{
    size_t src = rp_col(&t->steps, "source_rows"), loaded = rp_col(&t->steps, "loaded");
    size_t merged = rp_col(&t->steps, "merged"), rejected = rp_col(&t->steps, "rejected");
    int64_t max = 1;
    size_t n = 0;
    for (size_t e = 0; e < p->nentities; e++) {
        size_t row = rp_step_of(t, p->entities[e].name);
        if (row == (size_t)-1)
            continue;
        n++;
        if (rp_int(&t->steps, row, src) > max)
            max = rp_int(&t->steps, row, src);
    }
    if (!n)
        return;
    int left = 170, width = 720, row_h = 18, top = 4;
    double scale = (double)(width - left - 90) / (double)max;
    svg_open(b, width, top + (int)n * row_h + 8, "rows per entity: loaded, merged, rejected");
    size_t i = 0;
    for (size_t e = 0; e < p->nentities; e++) {
        size_t row = rp_step_of(t, p->entities[e].name);
        if (row == (size_t)-1)
            continue;
        double y = top + (double)i++ * row_h;
        int64_t parts[3] = {rp_int(&t->steps, row, loaded), rp_int(&t->steps, row, merged),
                            rp_int(&t->steps, row, rejected)};
        static const char *colors[3] = {COLOR_LOADED, COLOR_MERGED, COLOR_REJECTED};
        static const char *names[3] = {"loaded", "merged", "rejected"};
        svg_text(b, left - 6, y + 12, "end", p->entities[e].name);
        double x = left;
        for (int k = 0; k < 3; k++) {
            if (!parts[k])
                continue;
            char title[160];
            snprintf(title, sizeof title, "%s: %lld %s", p->entities[e].name,
                     (long long)parts[k], names[k]);
            double w = (double)parts[k] * scale;
            if (w < 2)
                w = 2;
            svg_rect(b, x, y + 2, w, row_h - 5, colors[k], title);
            x += w;
        }
        char label[64];
        snprintf(label, sizeof label, "%lld", (long long)rp_int(&t->steps, row, src));
        svg_text(b, x + 4, y + 12, "start", label);
    }
    co_buf_adds(b, "</svg>\n");
}

/* ---- volumes per month ---- */

static void volume_chart(co_buf *b, const rp_tenant *t, size_t first, size_t count)
{
    const rp_table *v = &t->volumes;
    int64_t max = 1;
    for (size_t r = first; r < first + count; r++) {
        if (rp_int(v, r, 2) > max)
            max = rp_int(v, r, 2);
        if (rp_int(v, r, 3) > max)
            max = rp_int(v, r, 3);
    }
    int left = 60, group = 58, plot_h = 140, top = 20;
    int width = left + (int)count * group + 20;
    if (width < 300)
        width = 300;
    int height = top + plot_h + 30;
    char label[160];
    snprintf(label, sizeof label, "%s: rows per month, source against target",
             rp_cell(v, first, 0));
    svg_open(b, width, height, label);
    co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>", left,
                  COLOR_SOURCE);
    svg_text(b, left + 14, 13, "start", "source");
    co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                  left + 70, COLOR_TARGET);
    svg_text(b, left + 84, 13, "start", "target");
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)max);
    svg_text(b, left - 4, top + 8, "end", num);
    svg_text(b, left - 4, top + plot_h, "end", "0");
    co_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>", left,
                  top + plot_h, width - 10, top + plot_h);
    for (size_t i = 0; i < count; i++) {
        size_t r = first + i;
        const char *month = rp_cell(v, r, 1);
        int64_t sides[2] = {rp_int(v, r, 2), rp_int(v, r, 3)};
        for (int k = 0; k < 2; k++) {
            double h = (double)sides[k] / (double)max * plot_h;
            char title[96];
            snprintf(title, sizeof title, "%s %s: %lld rows", month ? month : "",
                     k ? "target" : "source", (long long)sides[k]);
            svg_rect(b, left + (double)i * group + 6 + k * 23, top + plot_h - h, 22, h,
                     k ? COLOR_TARGET : COLOR_SOURCE, title);
        }
        svg_text(b, left + (double)i * group + 29, top + plot_h + 14, "middle",
                 month ? month : "");
    }
    co_buf_adds(b, "</svg>\n");
}

void rp_svg_volumes(co_buf *b, const rp_tenant *t)
{
    const rp_table *v = &t->volumes;
    for (size_t r = 0; r < v->nrows;) {
        size_t end = r;
        const char *entity = rp_cell(v, r, 0);
        while (end < v->nrows && rp_cell(v, end, 0) && entity && strcmp(rp_cell(v, end, 0), entity) == 0)
            end++;
        if (end == r)
            end = r + 1;
        co_buf_adds(b, "<h4>");
        co_html_esc(b, entity);
        co_buf_adds(b, ": rows per month</h4>\n");
        volume_chart(b, t, r, end - r);
        r = end;
    }
}

/* ---- two series per label (the scoring pages: old against new per month) ---- */

void rp_svg_pairs(co_buf *b, const char *title, const char *const *labels, const int64_t *a,
                  const int64_t *bv, size_t n, const char *name_a, const char *name_b)
{
    int64_t max = 1;
    for (size_t i = 0; i < n; i++) {
        if (a[i] > max)
            max = a[i];
        if (bv[i] > max)
            max = bv[i];
    }
    int left = 60, group = 58, plot_h = 140, top = 20;
    int width = left + (int)n * group + 20;
    if (width < 300)
        width = 300;
    int height = top + plot_h + 30;
    svg_open(b, width, height, title);
    co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>", left,
                  COLOR_SOURCE);
    svg_text(b, left + 14, 13, "start", name_a);
    co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                  left + 90, COLOR_TARGET);
    svg_text(b, left + 104, 13, "start", name_b);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)max);
    svg_text(b, left - 4, top + 8, "end", num);
    svg_text(b, left - 4, top + plot_h, "end", "0");
    co_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>", left,
                  top + plot_h, width - 10, top + plot_h);
    for (size_t i = 0; i < n; i++) {
        int64_t sides[2] = {a[i], bv[i]};
        for (int k = 0; k < 2; k++) {
            double h = (double)sides[k] / (double)max * plot_h;
            char tip[160];
            snprintf(tip, sizeof tip, "%.40s %.40s: %lld", labels[i], k ? name_b : name_a,
                     (long long)sides[k]);
            svg_rect(b, left + (double)i * group + 6 + k * 23, top + plot_h - h, 22, h,
                     k ? COLOR_TARGET : COLOR_SOURCE, tip);
        }
        svg_text(b, left + (double)i * group + 29, top + plot_h + 14, "middle", labels[i]);
    }
    co_buf_adds(b, "</svg>\n");
}
