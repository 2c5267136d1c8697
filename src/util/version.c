/* version.c: co_version(), the version this library was built as. */
#include "cutover/version.h"

const char *co_version(void) { return CUTOVER_VERSION; }
