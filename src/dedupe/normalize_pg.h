/*
 * normalize_pg.h: the normalizers of normalize.h as PostgreSQL functions, in
 * schema cutover_norm: casefold, email_norm, domain_norm, name_norm (and their
 * helpers domain_folded and punycode_decode). Their Unicode tables are made
 * here, at run time, from the utf8proc that normalize.c uses, so that both
 * follow one definition; PostgreSQL's own normalize() (13 and later) does the
 * NFKD and NFC steps. store/pg_norm.c installs them on PostgreSQL sources.
 */
#ifndef CUTOVER_DEDUPE_NORMALIZE_PG_H
#define CUTOVER_DEDUPE_NORMALIZE_PG_H

#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>

/* The schema the functions live in. */
#define CO_NORM_PG_SCHEMA "cutover_norm"

/* What the PostgreSQL functions do to one code point of text already in
 * NFKD: keep it, drop it, make it a space (name_norm only), or replace it
 * with its case folding (appended to fold). Code points that NFKD changes
 * never reach this step and are kept. The C implementation is this step
 * too, applied between utf8proc's NFKD and NFC; tests compare both ways on
 * every code point. */
typedef enum co_norm_pg_step {
    CO_NORM_PG_KEEP,
    CO_NORM_PG_DROP,
    CO_NORM_PG_SPACE,
    CO_NORM_PG_FOLD,
} co_norm_pg_step;

co_norm_pg_step Co_norm_pg_step_of(int32_t cp, bool name, co_buf *fold);

/* Appends the text that identifies this definition ("cutover normalizers 1;
 * Unicode 15.0.0"): stored as the comment of cutover_norm.name_norm, so that a
 * source whose functions are current is left alone. */
void Co_norm_pg_stamp(co_buf *out);

/* Appends the SQL that creates (or replaces) schema cutover_norm's functions and
 * stamps them: several statements, to run in one transaction. */
void Co_norm_pg_sql(co_buf *out);

#endif
