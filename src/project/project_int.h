/*
 * project_int.h: what the files of src/project share and nothing else sees.
 *
 * project.c   load, parse, free (the public entry points)
 * parse.c     the YAML document and the top-level keys, over the sections'
 *             tables of typed fields (fields.h: fields.c, values.c, parse_*.c)
 * validate.c  value rules (names, URIs) and checks across sections (refs,
 *             monitor volumes, unique names)
 * lookup.c    finding an entity, capture, event source or approval by name
 * message.c   the error helper
 * bytes.c     the byte check before any YAML is read
 * starter.c   the commented starter file of `cutover init`
 *
 * They depend one way: project.c -> parse.c -> parse_*.c -> fields.c ->
 * values.c -> validate.c -> lookup.c, message.c.
 */
#ifndef CUTOVER_PROJECT_INT_H
#define CUTOVER_PROJECT_INT_H

#include "cutover/project.h"

/* Rows per target transaction: the default and the accepted range. */
#define CO_PROJECT_BATCH_DEFAULT 50000
#define CO_PROJECT_BATCH_MAX 1000000
#define CO_PROJECT_CHUNK_MAX 10000000
#define CO_PROJECT_PURGE_CHUNK_DEFAULT 50000

#define CO_PROJECT_STATE_DEFAULT "sqlite:.cutover/state.db"
#define CO_PROJECT_REJECTS_DEFAULT ".cutover/rejects"

/* A project file larger than this is refused before it is parsed. */
#define CO_PROJECT_MAX_BYTES ((size_t)16 << 20)

/* Sets err to code with a printf-style message and, when at.line > 0, adds
 * "NAME:LINE:COLUMN" to err->where (just "NAME" when the line is unknown).
 * Returns code. */
co_code Co_project_fail(co_error *err, co_code code, const char *name, co_mark at,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* s[0..len) made fit for a one-line message, in buf (cap bytes, at least 8):
 * control characters become '?', and more than 60 bytes are cut at a UTF-8
 * character boundary and end in "...". Returns buf. */
const char *Co_project_shown(const char *s, size_t len, char *buf, size_t cap);

/* Parses and validates YAML text into p, which the caller allocated zeroed and
 * frees (with co_project_free) whatever happens. Fills every field but path,
 * dir and hash; applies the defaults; runs Co_project_check. */
co_code Co_project_walk(co_project *p, const char *text, size_t len, const char *name,
                        co_error *err);

/* CO_OK when text (len bytes) may go to the YAML parser: valid UTF-8 with no
 * control character but tab, CR and LF (bytes.c). Otherwise CO_EPROJECT naming
 * the first offending byte at name:line:column. */
co_code Co_project_check_bytes(const char *text, size_t len, const char *name, co_error *err);

/* Frees everything the walk stored in p (parse.c), not p, its path or its dir. */
void Co_project_release_fields(co_project *p);

/* True when s is an entity name: [A-Za-z_][A-Za-z0-9_]*. */
bool Co_project_valid_name(const char *s);

/* True when uri is a connection the project file accepts ("sqlite:PATH",
 * "postgresql://...", "postgres://..."); otherwise false, with why (cap bytes)
 * saying what is wrong as a predicate ("has no scheme") that repeats at most
 * the URI's scheme, never the rest (it may hold a password). */
bool Co_project_uri_check(const char *uri, char *why, size_t cap);

/* The checks that need every entity: names are unique, each ref names an
 * earlier entity that has a single-column key. Errors point at the entity or
 * the ref; name is the file name used in positions. */
co_code Co_project_check(const co_project *p, const char *name, co_error *err);

/* Checks monitor volumes against the entities (each names an entity with a
 * tenant_column) and budget names (unique); errors point into the file. */
co_code Co_project_aftercare_check(const co_project *p, const char *name, co_error *err);

#endif
