/*
 * buf.h: a growable byte buffer, always NUL-terminated, used for SQL text,
 * JSON lines and messages. A co_buf owns its memory; Co_buf_release frees it.
 * The public half (cutover/buf.h) keeps the layout opaque; inside the library
 * buffers live on the stack (CO_BUF_INIT) and the fields are read directly.
 */
#ifndef CUTOVER_UTIL_BUF_H
#define CUTOVER_UTIL_BUF_H

#include "cutover/buf.h"
#include "cutover/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct co_buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: the contents are incomplete */
} co_buf;

#define CO_BUF_INIT {0}

void Co_buf_init(co_buf *b);
void Co_buf_release(co_buf *b);
/* Empties the buffer, keeping its memory. */
void Co_buf_reset(co_buf *b);
/* Appends; on allocation failure sets b->failed and keeps what fitted. */
void Co_buf_add(co_buf *b, const void *data, size_t len);
void Co_buf_adds(co_buf *b, const char *s);
void Co_buf_addc(co_buf *b, char c);
void Co_buf_printf(co_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, as "%lld" would, without going through printf: loaders
 * and hashing format millions of integers. */
void Co_buf_add_int(co_buf *b, int64_t v);
/* Appends s (len bytes) between two q's, doubling each q inside: a quoted
 * SQL identifier ("a""b"), a quoted CSV cell. */
void Co_buf_quote(co_buf *b, const char *s, size_t len, char q);
/* Hands the contents over (the caller frees them), or, when an append
 * failed, releases the buffer and returns NULL. */
char *Co_buf_take(co_buf *b);
/* Ends a document built in b: when rc is CO_OK and no append failed, *out
 * takes the contents (the caller frees them) and CO_OK is returned;
 * otherwise b is released and rc returned (CO_ENOMEM, set in err, when an
 * append failed). */
co_code Co_buf_finish(co_buf *b, co_code rc, char **out, co_error *err);
/* co_buf_str, co_buf_detach, co_buf_new, co_buf_free: see cutover/buf.h. */

#endif
