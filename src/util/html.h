/*
 * html.h: writing HTML into a co_buf: text escaped for elements and
 * attributes, the page frame (inline CSS, nothing fetched from the
 * network) that the audit page, the scoring pages and the migration report
 * share, and the pieces of their tables.
 */
#ifndef CUTOVER_UTIL_HTML_H
#define CUTOVER_UTIL_HTML_H

#include "util/buf.h"

/* Appends s with <, >, &, " and ' escaped; nothing for NULL. */
void Co_html_esc(co_buf *b, const char *s);

/* Appends s percent-encoded for a URL path segment (unreserved bytes kept). */
void Co_html_url(co_buf *b, const char *s);

/* Opens the document: doctype, title (escaped), the shared style sheet and
 * extra_css (trusted, may be NULL), then <body>. refresh_seconds > 0 makes
 * the page reload itself. */
void Co_html_begin(co_buf *b, const char *title, const char *extra_css, int refresh_seconds);
/* Closes what Co_html_begin opened. */
void Co_html_end(co_buf *b);

/* Opens a table with its header row, "<table><tr><th>NAME</th>...</tr>\n":
 * the n names are trusted markup, written as they are. */
void Co_html_head(co_buf *b, const char *const *names, size_t n);
/* Co_html_head over the names listed: CO_HTML_HEAD(b, "tenant", "rows"). */
#define CO_HTML_HEAD(b, ...)                                                                  \
    Co_html_head((b), (const char *const[]){__VA_ARGS__},                                     \
                 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Appends n cells of text, "<td>TEXT</td>" each, escaped; a NULL text is an
 * empty cell. */
void Co_html_cells(co_buf *b, const char *const *texts, size_t n);
/* Co_html_cells over the texts listed: CO_HTML_CELLS(b, t->key, t->label). */
#define CO_HTML_CELLS(b, ...)                                                                 \
    Co_html_cells((b), (const char *const[]){__VA_ARGS__},                                    \
                  sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Appends one cell of text, escaped: "<td class=CLS>TEXT</td>" (cls is
 * trusted markup: "n" a number, "t" a timestamp), "<td>TEXT</td>" when cls
 * is NULL. */
void Co_html_cell(co_buf *b, const char *cls, const char *text);
/* Appends one cell of a count with separators (1,234), class n; bad marks
 * it in red (class "n bad"). */
void Co_html_cell_count(co_buf *b, int64_t n, bool bad);

/* Opens a section of a page: "<h3>TITLE</h3>\n", and when it has no rows
 * (n is 0) "<p class=muted>NONE</p>\n" (title and none are trusted markup).
 * Returns whether there are rows to show. */
bool Co_html_section(co_buf *b, const char *title, size_t n, const char *none);

/* Appends one cell naming a column, "<td>TABLE.COLUMN</td>", both escaped. */
void Co_html_cell_column(co_buf *b, const char *table, const char *column);

#endif
