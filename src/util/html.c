/* html.c: escaping, the page frame and table pieces of cutover's HTML pages (html.h). */
#include "util/html.h"
#include "util/fmt.h"

void Co_html_esc(co_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': Co_buf_adds(b, "&lt;"); break;
        case '>': Co_buf_adds(b, "&gt;"); break;
        case '&': Co_buf_adds(b, "&amp;"); break;
        case '"': Co_buf_adds(b, "&quot;"); break;
        case '\'': Co_buf_adds(b, "&#39;"); break;
        default: Co_buf_addc(b, *s);
        }
    }
}

void Co_html_url(co_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            Co_buf_addc(b, (char)*p);
        } else {
            Co_buf_addc(b, '%');
            Co_buf_addc(b, hex[*p >> 4]);
            Co_buf_addc(b, hex[*p & 15]);
        }
    }
}

static const char style[] =
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
    "td.n{text-align:right}.bad{color:#a00}.ok{color:#070}";

void Co_html_begin(co_buf *b, const char *title, const char *extra_css, int refresh_seconds)
{
    Co_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    if (refresh_seconds > 0)
        Co_buf_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">", refresh_seconds);
    Co_buf_adds(b, "<title>");
    Co_html_esc(b, title);
    Co_buf_adds(b, "</title><style>");
    Co_buf_adds(b, style);
    if (extra_css)
        Co_buf_adds(b, extra_css);
    Co_buf_adds(b, "</style></head><body>\n");
}

void Co_html_end(co_buf *b) { Co_buf_adds(b, "</body></html>\n"); }

void Co_html_head(co_buf *b, const char *const *names, size_t n)
{
    Co_buf_adds(b, "<table><tr>");
    for (size_t i = 0; i < n; i++) {
        Co_buf_adds(b, "<th>");
        Co_buf_adds(b, names[i]);
        Co_buf_adds(b, "</th>");
    }
    Co_buf_adds(b, "</tr>\n");
}

void Co_html_cells(co_buf *b, const char *const *texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Co_buf_adds(b, "<td>");
        Co_html_esc(b, texts[i]);
        Co_buf_adds(b, "</td>");
    }
}

void Co_html_cell_column(co_buf *b, const char *table, const char *column)
{
    Co_buf_adds(b, "<td>");
    Co_html_esc(b, table);
    Co_buf_addc(b, '.');
    Co_html_esc(b, column);
    Co_buf_adds(b, "</td>");
}

void Co_html_cell(co_buf *b, const char *cls, const char *text)
{
    if (cls)
        Co_buf_printf(b, "<td class=%s>", cls);
    else
        Co_buf_adds(b, "<td>");
    Co_html_esc(b, text);
    Co_buf_adds(b, "</td>");
}

void Co_html_cell_count(co_buf *b, int64_t n, bool bad)
{
    Co_buf_adds(b, bad ? "<td class=\"n bad\">" : "<td class=n>");
    Co_buf_add_count(b, n);
    Co_buf_adds(b, "</td>");
}

bool Co_html_section(co_buf *b, const char *title, size_t n, const char *none)
{
    Co_buf_printf(b, "<h3>%s</h3>\n", title);
    if (!n)
        Co_buf_printf(b, "<p class=muted>%s</p>\n", none);
    return n > 0;
}
