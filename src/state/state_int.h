/* state_int.h: what the files of src/state share. */
#ifndef CUTOVER_STATE_INT_H
#define CUTOVER_STATE_INT_H

#include "cutover/state.h"

/* How many times this process holds the tenant's lease: a counter kept in
 * the co_state, created when create is true; NULL when absent (or out of
 * memory while creating). */
int *co_state_held(co_state *st, const char *tenant, bool create);

#endif
