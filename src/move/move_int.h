/* move_int.h: what the files of src/move share with the rest of the library. */
#ifndef CUTOVER_MOVE_INT_H
#define CUTOVER_MOVE_INT_H

#include "cutover/migrate.h"

/* The gates a read share above 0 must pass beyond the lag (reads.c,
 * co_reads_set): CO_OK to let share through, else CO_ENOTREADY in err
 * saying why. A share above 0 needs a passing parity run newer than the
 * project's parity.max_age (co_parity_gate, cutover/parity.h). */
co_code Co_reads_gate(co_session *s, const char *tenant, int share, co_error *err);

#endif
