/*
 * error.h: the one error type of libcutover.
 *
 * Every library function that can fail returns a co_code and, when it is not
 * CO_OK, fills the caller's co_error with a message and the context where it
 * happened (file:line:column, side, tenant, entity, SQLSTATE). The library
 * never prints and never exits; the command-line front end renders errors and
 * maps codes to exit statuses (see docs/cutover.1).
 */
#ifndef CUTOVER_ERROR_H
#define CUTOVER_ERROR_H

#include "cutover/export.h"

#include <stddef.h>

typedef enum co_code {
    CO_OK = 0,
    CO_EUSAGE,       /* a call's arguments are wrong (bad flag, missing value) */
    CO_EPROJECT,     /* the project file is invalid */
    CO_ESOURCE,      /* the source database failed or refused */
    CO_ETARGET,      /* the target (or staging) database failed or refused */
    CO_ESTATE,       /* the state store failed */
    CO_EIO,          /* a file could not be read or written */
    CO_ENOMEM,       /* out of memory */
    CO_ENOTFOUND,    /* a named thing (tenant, entity, table) does not exist */
    CO_EUNSUPPORTED, /* valid, but not supported by this version */
    CO_ECHANGED,     /* the project file changed since the journal began */
    CO_EVERIFY,      /* verification found differences */
    CO_EBUSY,        /* held by another process */
    CO_EINTERNAL,    /* a bug: an invariant did not hold */
    CO_ENOTREADY,    /* a step that must come first has not passed (a rehearsal) */
    CO_EFOREIGN,     /* the source or target carries another journal's traces */
    CO_EINTERRUPTED, /* the caller asked to stop (a signal): stopped at a safe point */
    CO_CODE_COUNT
} co_code;

typedef struct co_error {
    co_code code;
    char message[1024]; /* what failed and why, one line */
    char where[512];    /* context: "cutover.yaml:3:5", "tenant 7, entity contacts" */
    char sqlstate[6];   /* the database's SQLSTATE when it gave one, else "" */
} co_error;

/* Clears err to CO_OK with empty texts. err may be NULL. */
CO_API void co_error_clear(co_error *err);

/* Sets err's code and message (printf-style) and returns code, so that a
 * failing path can say `return co_error_set(err, CO_EIO, "...")`. Keeps any
 * context already present. err may be NULL. */
CO_API co_code co_error_set(co_error *err, co_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds context to err->where, separated by ", " from what is there. The
 * innermost caller adds first, so the text reads from detail to whole. */
CO_API void co_error_where(co_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The stable lower-case name of a code, for JSON ("project", "source", ...). */
CO_API const char *co_code_name(co_code code);

#endif
