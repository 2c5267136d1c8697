/*
 * approval.h: notes and second-person approvals, kept in the journal.
 *
 * A note is an observation about a tenant (from a sales team, a support
 * call) with its time and author. An approval gate makes a step (switching
 * a tenant, finalizing it, publishing a behavioural model) wait until a
 * person other than the one who started it approves. The project file says
 * which steps need one (`approvals:`, docs/monitor.md). Every request,
 * approval and refusal is a row of the journal's approvals table.
 */
#ifndef CUTOVER_APPROVAL_H
#define CUTOVER_APPROVAL_H

#include "cutover/error.h"
#include "cutover/project.h"
#include "cutover/state.h"

/* Journals a note on tenant by author (not empty), at the clock's time. */
CO_API co_code co_note_add(co_state *st, const char *tenant, const char *author, const char *text,
                           co_error *err);

/* The gate of a step. Answers CO_OK when the project needs no approval for
 * step (or not for this subject's size class), or when a person other than
 * the requester approved it for this project file. Otherwise journals a
 * request by starter (once; the first requester stays the one who may not
 * approve) and answers CO_ENOTREADY saying how to approve. subject is a
 * tenant key (its size class comes from its audit; a tenant never audited
 * needs approval under a size rule) or another name (a model's). starter
 * must not be empty. */
CO_API co_code co_approval_check(co_state *st, const co_project *p, const char *subject,
                                 const char *step, const char *starter, co_error *err);

/* Approves the waiting request of step for subject as approver. Refused with
 * CO_EUSAGE when approver is the person who requested it (the refusal is
 * journaled too), CO_ENOTFOUND when nothing waits for approval. */
CO_API co_code co_approval_grant(co_state *st, const co_project *p, const char *subject,
                                 const char *step, const char *approver, co_error *err);

#endif
