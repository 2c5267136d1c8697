/* move_int.h: what the files of src/move share with the rest of the library. */
#ifndef CUTOVER_MOVE_INT_H
#define CUTOVER_MOVE_INT_H

#include "cutover/migrate.h"

/* The gates a read share above 0 must pass beyond the lag (reads.c,
 * co_reads_set): CO_OK to let share through, else CO_ENOTREADY in err
 * saying why. Today it lets everything through; the parity run of issue 19
 * item 3 (`cutover parity`) is checked here: a passing run newer than the
 * project's bound. */
co_code Co_reads_gate(co_session *s, const char *tenant, int share, co_error *err);

#endif
