/*
 * cutover.h: the whole public API of libcutover in one include.
 *
 * A program needs only `#include <cutover/cutover.h>` and
 * `pkg-config --cflags --libs cutover`. Each header below covers one
 * subsystem and can be included alone; cutover/version.h has the version
 * macros and co_version(). Every function declared in these headers is
 * exported (CO_API, cutover/export.h), and nothing else is.
 */
#ifndef CUTOVER_CUTOVER_H
#define CUTOVER_CUTOVER_H

#include "cutover/approval.h"
#include "cutover/audit.h"
#include "cutover/buf.h"
#include "cutover/capture.h"
#include "cutover/cutover_seq.h"
#include "cutover/demo.h"
#include "cutover/error.h"
#include "cutover/export.h"
#include "cutover/migrate.h"
#include "cutover/monitor.h"
#include "cutover/parity.h"
#include "cutover/plan.h"
#include "cutover/project.h"
#include "cutover/rehearse.h"
#include "cutover/report.h"
#include "cutover/review.h"
#include "cutover/schema.h"
#include "cutover/scoring.h"
#include "cutover/serve.h"
#include "cutover/state.h"
#include "cutover/status.h"
#include "cutover/store.h"
#include "cutover/sync.h"
#include "cutover/trace.h"
#include "cutover/traces.h"
#include "cutover/value.h"
#include "cutover/verify.h"
#include "cutover/version.h"

#endif
