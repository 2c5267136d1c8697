/*
 * html.h: writing HTML into a co_buf: text escaped for elements and
 * attributes, and the page frame (inline CSS, nothing fetched from the
 * network) that the audit page and the migration report share.
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

#endif
