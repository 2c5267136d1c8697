/*
 * svg.c: the report's charts, drawn as inline SVG (report_int.h): no script,
 * no library, nothing fetched. Every label is escaped; every bar carries a
 * <title> with its exact number, so the chart reads on paper and on hover.
 * Axes carry round ticks (1, 2 or 5 times a power of ten) with thousands
 * separators; months read as "Mar" with the year under January and the
 * first month; no label runs past the chart's edge.
 */
#include "report/report_int.h"
#include "util/fmt.h"
#include "util/html.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLOR_LOADED "#4a9a4a"
#define COLOR_MERGED "#4a7ac8"
#define COLOR_REJECTED "#c84a4a"
#define COLOR_SOURCE "#9a9a9a"
#define COLOR_TARGET "#3a6ac0"
#define COLOR_FREEZE "#f4c542"

static void svg_open(co_buf *b, int width, int height, const char *label)
{
    Co_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
                  width, height, width, height);
    Co_html_esc(b, label);
    Co_buf_adds(b, "\" font-family=\"sans-serif\" font-size=\"11\">");
}

static void svg_text(co_buf *b, double x, double y, const char *anchor, const char *text)
{
    Co_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    Co_html_esc(b, text);
    Co_buf_adds(b, "</text>");
}

static void svg_rect(co_buf *b, double x, double y, double w, double h, const char *fill,
                     const char *title)
{
    Co_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
                  x, y, w < 0 ? 0 : w, h < 0 ? 0 : h, fill);
    if (title) {
        Co_buf_adds(b, "<title>");
        Co_html_esc(b, title);
        Co_buf_adds(b, "</title>");
    }
    Co_buf_adds(b, "</rect>");
}

/* The text's width at font-size 11, generously (for keeping labels inside). */
static double text_width(const char *text)
{
    return 6.6 * (double)strlen(text);
}

/* A tick step of 1, 2 or 5 times a power of ten that divides [0, max] into
 * at most `most` steps (max > 0). */
static double nice_step(double max, int most)
{
    double raw = max / most;
    double p = pow(10, floor(log10(raw)));
    static const double m[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (m[i] * p >= raw)
            return m[i] * p;
    return 10 * p;
}

/* A tick's label: a count with separators, or seconds as "0.25 s". */
static void tick_label(char *buf, size_t cap, double v, double step, bool seconds)
{
    if (!seconds) {
        char n[CO_FMT_COUNT];
        snprintf(buf, cap, "%s", Co_fmt_count(n, (int64_t)llround(v)));
        return;
    }
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, cap, "%.*f s", decimals, v);
}

/* The y axis of a bar chart: ticks from 0 to the top (a multiple of the
 * step at or above max) labelled left of the plot, and light grid lines. Returns the top value, which the bars scale to. */
static double y_axis(co_buf *b, int left, int top, int plot_h, int right, int64_t max)
{
    double step = nice_step(max > 0 ? (double)max : 1, 4);
    double top_value = ceil((double)(max > 0 ? max : 1) / step) * step;
    for (double v = 0; v <= top_value + step / 2; v += step) {
        double y = top + plot_h - v / top_value * plot_h;
        if (v > 0)
            Co_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                             "stroke=\"#e4e4e4\"/>",
                          left, y, right, y);
        Co_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\"/>",
                      left - 4, y, left, y);
        char label[40];
        tick_label(label, sizeof label, v, step, false);
        svg_text(b, left - 6, y + 4, "end", label);
    }
    Co_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>", left, top,
                  left, top + plot_h);
    return top_value;
}

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A label under a bar group: "YYYY-MM" as the month's short name, with the
 * year on a second line for the first group and for January; anything else
 * as it is. */
static void x_label(co_buf *b, double x, double y, const char *label, bool first)
{
    int year, month;
    char rest;
    if (label && strlen(label) == 7 && sscanf(label, "%4d-%2d%c", &year, &month, &rest) == 2 &&
        month >= 1 && month <= 12) {
        svg_text(b, x, y, "middle", month_names[month - 1]);
        if (first || month == 1) {
            char text[8];
            snprintf(text, sizeof text, "%04d", year);
            svg_text(b, x, y + 13, "middle", text);
        }
        return;
    }
    svg_text(b, x, y, "middle", label ? label : "");
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
    size_t order[64];
    size_t nsteps = t->steps.nrows <= 64 ? rp_step_order(p, t, order) : 0;
    for (size_t i = 0; i < nsteps; i++) {
        double s = rp_real(&t->steps, order[i], "seconds");
        bars[n++] = (bar){rp_cell(&t->steps, order[i], "step"), at, s, COLOR_LOADED};
        at += s;
    }
    double run_seconds = rp_real(&t->run, 0, "seconds");
    double freeze = t->route.nrows && rp_cell(&t->route, 0, "freeze_seconds") ? rp_real(&t->route, 0, "freeze_seconds") : 0;
    bool froze = freeze > 0 && rp_int(&t->route, 0, "run_id") == rp_int(&t->run, 0, "id");
    double end = run_seconds > at ? run_seconds : at;
    double freeze_start = froze ? (end - freeze > at ? end - freeze : at) : 0;
    if (froze && freeze_start + freeze > end)
        end = freeze_start + freeze;
    if (rp_verify_in_run(t)) {
        double vs = rp_real(&t->verify_run, 0, "seconds");
        double start = froze ? freeze_start : end;
        bars[n++] = (bar){"verify", start, vs, COLOR_TARGET};
        if (start + vs > end)
            end = start + vs;
    }
    if (end <= 0)
        end = 1;
    int left = 170, width = 720, row_h = 18, top = 8;
    int height = top + (int)n * row_h + 42;
    double step = nice_step(end, 6);
    end = ceil(end / step - 1e-9) * step;
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
    Co_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555\"/>", left,
                  axis, width - 20, axis);
    char label[64];
    for (double v = 0; v <= end + step / 2; v += step) {
        double x = left + v * scale;
        Co_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>",
                      x, axis, x, axis + 4);
        tick_label(label, sizeof label, v, step, true);
        bool last = v + step / 2 > end;
        svg_text(b, x, axis + 15, v == 0 ? "start" : last ? "end" : "middle", label);
    }
    if (froze) {
        /* The label starts under the freeze; near the right edge it ends
         * there instead, so that it is never cut. */
        snprintf(label, sizeof label, "freeze %.3f s", freeze);
        double x = left + freeze_start * scale;
        if (x + text_width(label) > width - 2)
            svg_text(b, width - 2, axis + 29, "end", label);
        else
            svg_text(b, x, axis + 29, "start", label);
    }
    Co_buf_adds(b, "</svg>\n");
}

/* ---- rows per entity ---- */

void rp_svg_entity_rows(co_buf *b, const co_project *p, const rp_tenant *t)
{
    int64_t max = 1;
    size_t n = 0;
    for (size_t e = 0; e < p->nentities; e++) {
        size_t row = rp_step_of(t, p->entities[e].name);
        if (row == (size_t)-1)
            continue;
        n++;
        if (rp_int(&t->steps, row, "source_rows") > max)
            max = rp_int(&t->steps, row, "source_rows");
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
        int64_t parts[3] = {rp_int(&t->steps, row, "loaded"), rp_int(&t->steps, row, "merged"),
                            rp_int(&t->steps, row, "rejected")};
        static const char *colors[3] = {COLOR_LOADED, COLOR_MERGED, COLOR_REJECTED};
        static const char *names[3] = {"loaded", "merged", "rejected"};
        svg_text(b, left - 6, y + 12, "end", p->entities[e].name);
        double x = left;
        for (int k = 0; k < 3; k++) {
            if (!parts[k])
                continue;
            char title[160], count[CO_FMT_COUNT];
            snprintf(title, sizeof title, "%s: %s %s", p->entities[e].name,
                     Co_fmt_count(count, parts[k]), names[k]);
            double w = (double)parts[k] * scale;
            if (w < 2)
                w = 2;
            svg_rect(b, x, y + 2, w, row_h - 5, colors[k], title);
            x += w;
        }
        char label[CO_FMT_COUNT];
        Co_fmt_count(label, rp_int(&t->steps, row, "source_rows"));
        svg_text(b, x + 4, y + 12, "start", label);
    }
    Co_buf_adds(b, "</svg>\n");
}

/* ---- volumes per month ---- */

static void volume_chart(co_buf *b, const rp_tenant *t, size_t first, size_t count)
{
    const rp_table *v = &t->volumes;
    int64_t max = 1;
    for (size_t r = first; r < first + count; r++) {
        if (rp_int(v, r, "source") > max)
            max = rp_int(v, r, "source");
        if (rp_int(v, r, "target") > max)
            max = rp_int(v, r, "target");
    }
    int left = 60, group = 58, plot_h = 140, top = 24;
    int width = left + (int)count * group + 20;
    if (width < 300)
        width = 300;
    int height = top + plot_h + 36;
    char label[160];
    snprintf(label, sizeof label, "%s: rows per month, source against target",
             rp_cell(v, first, "entity"));
    svg_open(b, width, height, label);
    Co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>", left,
                  COLOR_SOURCE);
    svg_text(b, left + 14, 13, "start", "source");
    Co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                  left + 70, COLOR_TARGET);
    svg_text(b, left + 84, 13, "start", "target");
    double top_value = y_axis(b, left, top, plot_h, width - 10, max);
    Co_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>", left,
                  top + plot_h, width - 10, top + plot_h);
    for (size_t i = 0; i < count; i++) {
        size_t r = first + i;
        const char *month = rp_cell(v, r, "month");
        int64_t sides[2] = {rp_int(v, r, "source"), rp_int(v, r, "target")};
        for (int k = 0; k < 2; k++) {
            double h = (double)sides[k] / top_value * plot_h;
            char title[96], rows[CO_FMT_PLURAL];
            snprintf(title, sizeof title, "%s %s: %s", month ? month : "",
                     k ? "target" : "source", Co_fmt_plural(rows, sides[k], "row", "rows"));
            svg_rect(b, left + (double)i * group + 6 + k * 23, top + plot_h - h, 22, h,
                     k ? COLOR_TARGET : COLOR_SOURCE, title);
        }
        x_label(b, left + (double)i * group + 29, top + plot_h + 14, month, i == 0);
    }
    Co_buf_adds(b, "</svg>\n");
}

void rp_svg_volumes(co_buf *b, const rp_tenant *t)
{
    const rp_table *v = &t->volumes;
    for (size_t r = 0; r < v->nrows;) {
        size_t end = r;
        const char *entity = rp_cell(v, r, "entity");
        while (end < v->nrows && rp_cell(v, end, "entity") && entity && strcmp(rp_cell(v, end, "entity"), entity) == 0)
            end++;
        if (end == r)
            end = r + 1;
        Co_buf_adds(b, "<h4>");
        Co_html_esc(b, entity);
        Co_buf_adds(b, ": rows per month</h4>\n");
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
    int left = 60, group = 58, plot_h = 140, top = 24;
    int width = left + (int)n * group + 20;
    if (width < 300)
        width = 300;
    int height = top + plot_h + 36;
    svg_open(b, width, height, title);
    Co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>", left,
                  COLOR_SOURCE);
    svg_text(b, left + 14, 13, "start", name_a);
    Co_buf_printf(b, "<rect x=\"%d\" y=\"4\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                  left + 90, COLOR_TARGET);
    svg_text(b, left + 104, 13, "start", name_b);
    double top_value = y_axis(b, left, top, plot_h, width - 10, max);
    Co_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>", left,
                  top + plot_h, width - 10, top + plot_h);
    for (size_t i = 0; i < n; i++) {
        int64_t sides[2] = {a[i], bv[i]};
        for (int k = 0; k < 2; k++) {
            double h = (double)sides[k] / top_value * plot_h;
            char tip[160], count[CO_FMT_COUNT];
            snprintf(tip, sizeof tip, "%.40s %.40s: %s", labels[i], k ? name_b : name_a,
                     Co_fmt_count(count, sides[k]));
            svg_rect(b, left + (double)i * group + 6 + k * 23, top + plot_h - h, 22, h,
                     k ? COLOR_TARGET : COLOR_SOURCE, tip);
        }
        x_label(b, left + (double)i * group + 29, top + plot_h + 14, labels[i], i == 0);
    }
    Co_buf_adds(b, "</svg>\n");
}
