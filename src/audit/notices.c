/*
 * notices.c: schedules and customer notices (plan.h). A notice is written
 * from a template with {{placeholders}}, as plain text and as HTML (the same
 * text, escaped, paragraph by paragraph), one pair per scheduled tenant, so
 * that no customer is surprised by their migration. Counts are written as
 * everywhere else (util/fmt.h): separators, and nouns that agree.
 */
#include "state/journal.h"
#include "cutover/plan.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fmt.h"
#include "util/fs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char builtin_template[] =
    "Dear {{customer}},\n"
    "\n"
    "We will move your account to our new system on {{date}} (UTC), within a window of\n"
    "{{window}}. We expect the move itself to take {{duration}}.\n"
    "\n"
    "What changes: after the move you work in the new system, with all your data in it:\n"
    "{{changes}}.\n"
    "\n"
    "What does not change: your data, your logins and your links. Nothing is deleted: we\n"
    "keep your current data for {{retention_days}} days and can move you back within minutes\n"
    "if anything is not right.\n"
    "\n"
    "What you need to do: nothing. During the window, changes you make may be held for a\n"
    "few seconds while we switch over.\n"
    "\n"
    "Questions, or a better date? Contact {{contact}}.\n";

co_code co_schedule_set(co_session *s, const char *tenant, time_t at, int window_minutes,
                        co_error *err)
{
    if (window_minutes < 1 || window_minutes > 7 * 24 * 60)
        return co_error_set(err, CO_EUSAGE, "the window must be from 1 minute to 7 days");
    char when[32], now[32];
    Co_clock_iso(at, when, sizeof when);
    Co_clock_iso(Co_clock_now(), now, sizeof now);
    return Co_state_schedule_set(s->state, tenant, when, window_minutes, now, err);
}

/* The expected duration as people say it: "under a minute", "about 5 minutes",
 * "about 2 hours", "about 3 days". */
static void human_duration(double seconds, char *buf, size_t cap)
{
    if (seconds < 60) {
        snprintf(buf, cap, "under a minute");
        return;
    }
    double minutes = floor(seconds / 60 + 0.5), hours = floor(seconds / 3600 + 0.5);
    double days = floor(seconds / 86400 + 0.5);
    char n[CO_FMT_PLURAL];
    if (minutes < 90)
        Co_fmt_plural(n, (int64_t)minutes, "minute", "minutes");
    else if (hours < 48)
        Co_fmt_plural(n, (int64_t)hours, "hour", "hours");
    else
        Co_fmt_plural(n, (int64_t)days, "day", "days");
    snprintf(buf, cap, "about %s", n);
}

/* The window as agreed, exactly: "45 minutes", "2 hours", "1 hour 30 minutes". */
static void window_text(int64_t minutes, char *buf, size_t cap)
{
    int64_t h = minutes / 60, m = minutes % 60;
    char hours[CO_FMT_PLURAL], mins[CO_FMT_PLURAL];
    Co_fmt_plural(hours, h, "hour", "hours");
    Co_fmt_plural(mins, m, "minute", "minutes");
    if (h == 0)
        snprintf(buf, cap, "%s", mins);
    else if (m == 0)
        snprintf(buf, cap, "%s", hours);
    else
        snprintf(buf, cap, "%s %s", hours, mins);
}

/* What moves, from the project: the target tables in entity order, each
 * once, underscores as spaces ("teams, contacts, contact tags and
 * engagements"). */
static char *changes_text(const co_project *p)
{
    co_buf b = CO_BUF_INIT;
    size_t shown = 0, total = 0;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->nentities; i++) {
            const char *t = p->entities[i].target ? p->entities[i].target : p->entities[i].name;
            bool seen = false;
            for (size_t k = 0; k < i && !seen; k++)
                seen = strcmp(p->entities[k].target ? p->entities[k].target : p->entities[k].name,
                              t) == 0;
            if (seen)
                continue;
            if (pass == 0) {
                total++;
                continue;
            }
            Co_buf_adds(&b, shown == 0 ? "" : shown + 1 == total ? " and " : ", ");
            for (const char *c = t; *c; c++)
                Co_buf_addc(&b, *c == '_' ? ' ' : *c);
            shown++;
        }
    return Co_buf_take(&b);
}

typedef struct {
    co_buf names;
    size_t n;
} unaudited;

/* Counts a scheduled tenant with no audit, naming the first 10. */
static co_code add_unaudited(void *ctx, const char *tenant, const char *why, co_error *err)
{
    (void)why;
    (void)err;
    unaudited *u = ctx;
    if (u->n++ < 10) {
        Co_buf_adds(&u->names, u->n > 1 ? ", " : "");
        Co_buf_adds(&u->names, tenant ? tenant : "");
    }
    return CO_OK;
}

/* CO_ENOTREADY naming the scheduled tenants that have no audit (at most 10). */
static co_code refuse_unaudited(co_session *s, co_error *err)
{
    unaudited u = {CO_BUF_INIT, 0};
    co_code rc = Co_state_unaudited_each(s->state, NULL, add_unaudited, &u, err);
    co_buf names = u.names;
    size_t n = u.n;
    char count[CO_FMT_PLURAL];
    if (rc == CO_OK && n)
        rc = co_error_set(err, CO_ENOTREADY,
                          "%s %s never audited (%s%s), so the notice cannot say "
                          "how long the move takes: run cutover audit --tenant KEY first",
                          Co_fmt_plural(count, (int64_t)n, "scheduled tenant", "scheduled tenants"),
                          Co_fmt_noun((int64_t)n, "is", "are"), co_buf_str(&names),
                          n > 10 ? ", ..." : "");
    Co_buf_release(&names);
    return rc;
}

typedef struct fields {
    const char *customer, *tenant, *date, *window, *duration, *contact, *changes, *retention_days;
} fields;

/* Fills template into out; an unknown or unclosed {{...}} is an error naming
 * its line. */
static co_code fill(const char *tpl, const char *name, const fields *f, co_buf *out,
                    co_error *err)
{
    int line = 1;
    for (const char *p = tpl; *p;) {
        if (p[0] == '{' && p[1] == '{') {
            const char *end = strstr(p + 2, "}}");
            const char *nl = strchr(p + 2, '\n');
            if (!end || (nl && nl < end))
                return co_error_set(err, CO_EPROJECT, "%s:%d: a {{ without its }}", name, line);
            size_t len = (size_t)(end - p - 2);
            const char *value = NULL;
#define FIELD(n)                                                                                  \
    if (len == strlen(#n) && strncmp(p + 2, #n, len) == 0)                                       \
        value = f->n;
            FIELD(customer) FIELD(tenant) FIELD(date) FIELD(window) FIELD(duration) FIELD(contact)
            FIELD(changes) FIELD(retention_days)
#undef FIELD
            if (!value)
                return co_error_set(err, CO_EPROJECT,
                                    "%s:%d: unknown placeholder {{%.*s}} (known: customer, tenant, "
                                    "date, window, duration, contact, changes, retention_days)",
                                    name, line, (int)(len > 40 ? 40 : len), p + 2);
            Co_buf_adds(out, value);
            p = end + 2;
            continue;
        }
        if (*p == '\n')
            line++;
        Co_buf_addc(out, *p++);
    }
    return out->failed ? co_error_set(err, CO_ENOMEM, "out of memory") : CO_OK;
}

static void html_escape(co_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '<': Co_buf_adds(out, "&lt;"); break;
        case '>': Co_buf_adds(out, "&gt;"); break;
        case '&': Co_buf_adds(out, "&amp;"); break;
        case '"': Co_buf_adds(out, "&quot;"); break;
        case '\'': Co_buf_adds(out, "&#39;"); break;
        default: Co_buf_addc(out, s[i]);
        }
    }
}

/* The text as an HTML page: each blank-line-separated paragraph a <p>. */
static void to_html(const char *text, const char *title, co_buf *out)
{
    Co_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html_escape(out, title, strlen(title));
    Co_buf_adds(out, "</title></head>\n<body style=\"font-family: sans-serif; max-width: 40em\">\n");
    const char *p = text;
    while (*p) {
        const char *end = strstr(p, "\n\n");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        Co_buf_adds(out, "<p>");
        html_escape(out, p, len);
        Co_buf_adds(out, "</p>\n");
        p += len;
        while (*p == '\n')
            p++;
    }
    Co_buf_adds(out, "</body></html>\n");
}

static char *read_all(const char *path, co_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        co_error_set(err, CO_EIO, "cannot read the template %s: %s", path, strerror(errno));
        return NULL;
    }
    co_buf b = CO_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        Co_buf_add(&b, chunk, n);
    bool bad = ferror(f) || b.failed;
    fclose(f);
    if (bad) {
        Co_buf_release(&b);
        co_error_set(err, CO_EIO, "cannot read the template %s", path);
        return NULL;
    }
    return co_buf_detach(&b);
}

static co_code write_file(const char *path, const co_buf *text, co_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return co_error_set(err, CO_EIO, "cannot write %s: %s", path, strerror(errno));
    bool ok = fwrite(co_buf_str(text), 1, text->len, f) == text->len;
    ok = fclose(f) == 0 && ok;
    return ok ? CO_OK : co_error_set(err, CO_EIO, "cannot write %s: %s", path, strerror(errno));
}

/* What writing each notice needs: the template, the fields every notice
 * shares, the outbox and the buffers it reuses. */
typedef struct {
    const char *tpl, *tpl_name, *outbox, *contact, *changes, *retention;
    co_buf text, html, path;
    size_t *written;
} notice_run;

/* Writes one scheduled tenant's notice, text and HTML. */
static co_code write_notice(void *ctx, const co_jschedule *sc, co_error *err)
{
    notice_run *r = ctx;
    char date[32], win[2 * CO_FMT_PLURAL + 2], dur[CO_FMT_PLURAL + 8];
    snprintf(date, sizeof date, "%.10s %.5s", sc->at, sc->at_len > 11 ? sc->at + 11 : "");
    window_text(sc->window_minutes, win, sizeof win);
    human_duration(sc->est_seconds, dur, sizeof dur);
    fields f = {sc->label, sc->tenant, date, win, dur,
                r->contact ? r->contact : "your account manager", r->changes, r->retention};
    Co_buf_reset(&r->text);
    Co_buf_reset(&r->html);
    co_code rc = fill(r->tpl, r->tpl_name, &f, &r->text, err);
    if (rc != CO_OK)
        return rc;
    char title[160];
    snprintf(title, sizeof title, "Your migration on %s", date);
    to_html(co_buf_str(&r->text), title, &r->html);
    /* File names from the tenant key, with anything unusual made safe. */
    co_buf safe = CO_BUF_INIT;
    Co_key_file_name(&safe, sc->tenant); /* encoded and bounded (util/fs.h) */
    Co_buf_reset(&r->path);
    Co_buf_printf(&r->path, "%s/%s.txt", r->outbox, co_buf_str(&safe));
    rc = write_file(co_buf_str(&r->path), &r->text, err);
    Co_buf_reset(&r->path);
    Co_buf_printf(&r->path, "%s/%s.html", r->outbox, co_buf_str(&safe));
    if (rc == CO_OK)
        rc = write_file(co_buf_str(&r->path), &r->html, err);
    Co_buf_release(&safe);
    if (rc == CO_OK)
        (*r->written)++;
    return rc;
}

co_code co_notices_write(co_session *s, const char *template_path, const char *outbox,
                         const char *contact, size_t *written, co_error *err)
{
    *written = 0;
    char *tpl = template_path ? read_all(template_path, err) : strdup(builtin_template);
    if (!tpl)
        return template_path ? err->code : co_error_set(err, CO_ENOMEM, "out of memory");
    const char *tpl_name = template_path ? template_path : "built-in template";
    /* A template with a mistake fails before any notice is written. */
    fields probe = {"x", "x", "x", "x", "x", "x", "x", "x"};
    notice_run r = {tpl, tpl_name, outbox, contact, NULL, NULL,
                    CO_BUF_INIT, CO_BUF_INIT, CO_BUF_INIT, written};
    co_code rc = fill(tpl, tpl_name, &probe, &r.text, err);
    char *changes = changes_text(s->project);
    char retention[CO_FMT_COUNT];
    Co_fmt_count(retention, s->project->retention_days);
    r.changes = changes;
    r.retention = retention;
    if (rc == CO_OK && !changes)
        rc = co_error_set(err, CO_ENOMEM, "out of memory");
    /* A notice needs the audit's estimate: no notice says "unknown". */
    if (rc == CO_OK)
        rc = refuse_unaudited(s, err);
    if (rc == CO_OK && !Co_mkdir_p(outbox))
        rc = co_error_set(err, CO_EIO, "cannot create the outbox %s: %s", outbox, strerror(errno));
    if (rc == CO_OK)
        rc = Co_state_schedules_each(s->state, write_notice, &r, err);
    Co_buf_release(&r.text);
    Co_buf_release(&r.html);
    Co_buf_release(&r.path);
    free(changes);
    free(tpl);
    return rc;
}
