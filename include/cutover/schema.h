/*
 * schema.h: the tables an entity loads into, created for the user. A
 * rehearsal creates in staging the tables it lacks from the target's own
 * declaration (`cutover rehearse` does so itself; `cutover schema create`
 * on demand), and `cutover check` names each missing one. The DDL comes
 * from the database of the same kind (store.h, "Schemas").
 */
#ifndef CUTOVER_SCHEMA_H
#define CUTOVER_SCHEMA_H

#include "cutover/migrate.h"

/* The entities' target tables (each once, in entity order) that dest lacks.
 * The caller frees *missing with co_names_free. */
CO_API co_code co_schema_missing(const co_project *p, co_store *dest, char ***missing, size_t *n,
                                 co_error *err);

/* Creates in dest the entities' target tables it lacks, and the tables their
 * foreign keys name, as the project's database on side `from` (the target,
 * or staging) declares them; one transaction. *created (co_names_free) lists
 * what was made; none when nothing was missing. */
CO_API co_code co_schema_create(const co_project *p, co_side from, co_store *dest, char ***created,
                                size_t *n, co_error *err);

#endif
