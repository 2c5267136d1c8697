/* capture_int.h: what the files of src/capture share. */
#ifndef CUTOVER_CAPTURE_INT_H
#define CUTOVER_CAPTURE_INT_H

#include "cutover/capture.h"
#include "cutover/store.h"
#include "engine/session.h"
#include "util/buf.h"

#include <stdbool.h>

/* Appends {"entity": ..., "row": {column: value, ...}} and a newline for the
 * cursor's current row: the line format of rollback exports and archives. */
void Co_entity_row_line(co_buf *line, const char *entity, co_cursor *c);

#endif
