/*
 * session.h: the layout of co_session, private to the library. Programs see
 * the type as opaque (cutover/migrate.h) and use its accessors; the
 * library's own files read the fields directly.
 */
#ifndef CUTOVER_ENGINE_SESSION_H
#define CUTOVER_ENGINE_SESSION_H

#include "cutover/migrate.h"

struct co_session {
    const co_project *project;
    co_store *source;
    co_store *dest;   /* the target, or staging for a rehearsal */
    co_state *state;
    const char *user; /* who runs this command (approvals: the starter); NULL when unknown */
    co_tenants_left_out tenants_left_out; /* set by co_tenants_list */
};

#endif
