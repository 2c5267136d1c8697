/*
 * buf.h: co_buf, the growable text buffer some functions append to
 * (co_status_json_row, co_store_quote_ident, the scoring JSON writers...).
 *
 * Its layout is private. A caller makes one with co_buf_new, passes it to
 * the functions that append, reads the text with co_buf_str (or takes it
 * with co_buf_detach) and frees it with co_buf_free.
 */
#ifndef CUTOVER_BUF_H
#define CUTOVER_BUF_H

#include "cutover/export.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct co_buf co_buf;

/* An empty buffer, or NULL when out of memory. Free it with co_buf_free. */
CO_API co_buf *co_buf_new(void);
/* Frees b and its text; b may be NULL. */
CO_API void co_buf_free(co_buf *b);
/* The text, "" when empty; never NULL. Valid until b next changes. */
CO_API const char *co_buf_str(const co_buf *b);
/* The text's length in bytes. */
CO_API size_t co_buf_len(const co_buf *b);
/* True when an allocation failed while appending: the text is incomplete. */
CO_API bool co_buf_failed(const co_buf *b);
/* Hands the text to the caller (free() it; "" when empty) and leaves b
 * empty; NULL only when out of memory. */
CO_API char *co_buf_detach(co_buf *b);

#endif
