/*
 * commands.c: the command table and every command's options, as data. Help,
 * the man page and docs are checked against this table by a test.
 */
#include "cli.h"

#include <stddef.h>
#include <string.h>

const cli_option cli_global_options[] = {
    {"project", 'p', "FILE", "the project file (default: $CUTOVER_PROJECT, else ./cutover.yaml)"},
    {"source", 0, "URI", "override the project's source connection"},
    {"target", 0, "URI", "override the project's target connection"},
    {"staging", 0, "URI", "override the project's staging connection"},
    {"state", 0, "URI", "override the project's state store"},
    {"json", 0, NULL, "print machine-readable JSON on standard output"},
    {"quiet", 'q', NULL, "print no progress (summaries and errors still print)"},
    {"silent", 0, NULL, "print neither progress nor summaries: only errors (and --json)"},
    {"verbose", 'v', NULL, "also print the SQL-level detail on standard error (passwords masked; "
                           "a statement cut at 1,200 characters, -vv: whole)"},
    {"log", 0, "FILE", "append timestamped progress and errors to FILE, for cron and CI "
                       "(default $CUTOVER_LOG)"},
    {"log-format", 0, "FMT", "the log's lines: text (default) or json, one object a line"},
    {"help", 'h', NULL, "show help for the command"},
    {"by", 0, "NAME", "who runs the command, for approvals and notes (default $CUTOVER_USER, "
                      "else $USER)"},
    {0},
};

static const cli_option no_options[] = {{0}};

static const cli_option trace_options[] = {
    {"target-row", 0, NULL, "KEY is a target row's key: list the source rows behind it"},
    {"tenant", 't', "KEY", "only this tenant's rows"},
    {0},
};

static const cli_option review_options[] = {
    {"tenant", 't', "KEY", "export: this tenant's pairs (or a comma-separated list)"},
    {"all", 'a', NULL, "export: every tenant's pairs"},
    {"entity", 'e', "NAME", "export: the entity (default: the only one with a similar rule)"},
    {"output", 'o', "FILE", "export: the CSV file to write (default, or -: standard output)"},
    {0},
};

static const cli_option pause_options[] = {
    {"cohort", 0, "C", "the cohort of the latest plan: canary, or a wave's number"},
    {"reason", 0, "TEXT", "pause: why, kept in the journal (default \"command line\")"},
    {0},
};

static const cli_option init_options[] = {
    {"force", 'f', NULL, "overwrite an existing file"},
    {0},
};

static const cli_option schema_options[] = {
    {"into", 0, "staging|target",
     "where to create the entities' missing tables: staging, from the target's schema "
     "(default), or the target, from staging's"},
    {0},
};

static const cli_option demo_options[] = {
    {"scale", 0, "S", "size: 1.0 is ~150 tenants, 1M contacts, 27M events (default 0.01)"},
    {"seed", 0, "N", "random seed; the same seed and scale give the same data (default 42)"},
    {"now", 0, "DATE", "events span the 12 months before DATE, YYYY-MM-DD (default 2026-11-01)"},
    {"tenant", 't', "KEY", "demo traffic: the tenant whose rows are written"},
    {"rate", 0, "N", "demo traffic: writes a second (default 200)"},
    {"seconds", 0, "S", "demo traffic: for how long (default 10)"},
    {0},
};

static const cli_option migrate_options[] = {
    {"tenant", 't', "KEY", "migrate this tenant; repeat it for more, or give a list: 3,7,9"},
    {"all", 'a', NULL, "migrate every tenant, one after another"},
    {"again", 0, NULL, "reload tenants that are already migrated"},
    {"keep-going", 'k', NULL, "go on with the next tenant after a failure"},
    {"start-over", 0, NULL, "accept a changed project file and journal anew"},
    {"no-verify", 0, NULL, "do not verify each tenant after loading it"},
    {"skip-rehearsal", 0, NULL, "load tenants without a passing rehearsal (the journal records it)"},
    {"sample", 0, "N", "differences shown per entity and check (default 10)"},
    {"jobs", 'j', "N", "tenants at once, each job with its own connections (default: 1 into a "
                      "SQLite target, else the number of cores)"},
    {"coexist", 0, NULL, "capture, copy, catch up and verify, then leave each tenant syncing "
                         "(nothing frozen; cutover sync keeps it in sync)"},
    {0},
};

static const cli_option route_options[] = {
    {"reads", 0, "PCT", "a syncing tenant: send PCT% of its reads to the new system (0 to 100; "
                        "above 0 only while its sync lag is under options.reads_max_lag_seconds)"},
    {0},
};

static const cli_option sync_options[] = {
    {"tenant", 't', "KEY", "sync this syncing tenant (or a comma-separated list)"},
    {"all", 'a', NULL, "sync every syncing tenant (the default)"},
    {"once", 0, NULL, "one round per tenant, then stop (the default)"},
    {"follow", 'f', NULL, "round after round until a signal, as a long-lived process"},
    {"interval", 0, "SECONDS", "--follow: the pause between passes (default 1)"},
    {"purge-seconds", 0, "SECONDS",
     "the time a pass gives the purge of a tenant rolled back by reverse sync, at least one "
     "chunk; the rest goes on in the next passes (default 1)"},
    {0},
};

static const cli_option verify_options[] = {
    {"tenant", 't', "KEY", "verify this tenant (or a comma-separated list)"},
    {"all", 'a', NULL, "verify every tenant"},
    {"sample", 0, "N|all", "findings listed per entity and check (default 10); totals are complete"},
    {"keep-going", 'k', NULL, "go on with the next tenant after an error"},
    {"jobs", 'j', "N", "tenants verified at once (default: 1 on a SQLite target, else the number "
                      "of cores)"},
    {0},
};

static const cli_option rehearse_options[] = {
    {"tenant", 't', "KEY", "rehearse this tenant (or a comma-separated list)"},
    {"all", 'a', NULL, "rehearse every tenant"},
    {"sample", 0, "N", "differences shown per entity and check (default 10)"},
    {"keep-going", 'k', NULL, "go on with the next tenant after a failed rehearsal"},
    {"jobs", 'j', "N", "tenants rehearsed at once (default: 1 into a SQLite staging, else the "
                      "number of cores)"},
    {0},
};

static const cli_option rollback_options[] = {
    {"tenant", 't', "KEY", "this tenant (or a comma-separated list)"},
    {"all", 'a', NULL, "every tenant"},
    {0},
};

static const cli_option undo_options[] = {
    {"tenant", 't', "KEY", "this tenant (or a comma-separated list)"},
    {"all", 'a', NULL, "every tenant"},
    {"purge", 0, NULL, "after a rollback by reverse sync, also purge the target's rows in this "
                      "command (else cutover sync or cutover purge does, later)"},
    {0},
};

static const cli_option run_options[] = {
    {"cohort", 0, "C", "the cohort of the latest plan: canary, or a wave's number"},
    {"keep-going", 'k', NULL, "go on with the next tenant after a failure"},
    {"skip-rehearsal", 0, NULL, "move tenants without a passing rehearsal (recorded)"},
    {"parallel", 0, "N", "tenants at once, in N processes (default 1)"},
    {"jobs", 'j', "N", "tenants at once, as jobs of this process (default: 1 into a SQLite "
                      "target, else the number of cores)"},
    {"sample", 0, "N", "differences shown per entity and check (default 10)"},
    {"coexist", 0, NULL, "leave each tenant of the cohort syncing, as migrate --coexist does "
                         "(cutover sync keeps it in sync)"},
    {0},
};

static const cli_option worker_options[] = {
    {"lease", 0, "SECONDS", "a claim expires unless renewed within this (default 300)"},
    {"name", 0, "NAME", "the worker's name in the journal (default host:pid)"},
    {"skip-rehearsal", 0, NULL, "move tenants without a passing rehearsal (recorded)"},
    {"sample", 0, "N", "differences shown per entity and check (default 10)"},
    {"coexist", 0, NULL, "leave the tenants it moves syncing, and sync the syncing tenants "
                         "between claims"},
    {0},
};

static const cli_option audit_options[] = {
    {"tenant", 't', "KEY", "audit only this tenant (or a comma-separated list)"},
    {"html", 0, "FILE", "also write the audit as a self-contained HTML page (- for standard "
                        "output)"},
    {"zombie-below", 0, "PCT", "a column filled in fewer than PCT% of rows is a zombie (default 1)"},
    {"many-rows", 0, "N", "flag parent keys with N or more rows of an entity, and 10 times the "
                          "median (default 50)"},
    {"jobs", 'j', "N", "tenants audited at once (default: 1 with a SQLite target, else the number "
                      "of cores)"},
    {0},
};

static const cli_option plan_options[] = {
    {"canary-percent", 0, "P", "share of tenants in the canary cohort (default 1)"},
    {"growth", 0, "G", "each wave is G times the one before (default 2)"},
    {0},
};

static const cli_option schedule_options[] = {
    {"at", 0, "\"YYYY-MM-DD HH:MM\"", "the date and time agreed with the customer (UTC)"},
    {"window", 0, "LENGTH", "the window, like 2h or 90m (default 2h)"},
    {0},
};

static const cli_option notices_options[] = {
    {"template", 0, "FILE", "a template with {{customer}}, {{date}}, {{window}}, {{duration}}, "
                            "{{contact}}, {{tenant}}, {{changes}}, {{retention_days}}"},
    {"outbox", 0, "DIR", "where notices go (default .cutover/outbox)"},
    {"contact", 0, "TEXT", "whom customers contact with questions"},
    {0},
};

static const cli_option report_options[] = {
    {"output", 'o', "FILE", "the HTML page to write (- for standard output)"},
    {"tenant", 't', "KEY", "only this tenant (default: the plan and every tenant)"},
    {0},
};

static const cli_option serve_options[] = {
    {"listen", 0, "ADDR:PORT", "where to listen (default 127.0.0.1:8080; port 0 picks a free one)"},
    {"allow-remote", 0, NULL, "allow an address other than loopback for --listen"},
    {"refresh", 0, "SECONDS", "how often the pages update their data (default 5)"},
    {0},
};

static const cli_option monitor_options[] = {
    {"tenant", 't', "KEY", "only this tenant (or a comma-separated list; default: every "
                           "switched tenant)"},
    {"no-budgets", 0, NULL, "do not time the budget queries on the target"},
    {0},
};

static const cli_option budgets_options[] = {
    {"tenant", 't', "KEY", "time the queries for this tenant (or a comma-separated list)"},
    {"on-staging", 0, NULL, "time them on staging instead of the target"},
    {0},
};

static const cli_option parity_options[] = {
    {"tenant", 't', "KEY", "ask the parity questions for this tenant (or a comma-separated list)"},
    {0},
};

static const cli_option switch_options[] = {
    {"tenant", 't', "KEY", "switch this syncing tenant's writes (or a comma-separated list)"},
    {0},
};

static const cli_option approve_options[] = {
    {"step", 0, "STEP", "the step approved: switch, finalize, publish_model, ..."},
    {0},
};

static const cli_option events_options[] = {
    {"event-source", 0, "SRC", "mapping import: the event source the mapping reads"},
    {"status", 0, "S", "mapping import: on (default), off or draft"},
    {"to-source", 0, "SRC", "mapping duplicate: the source the copy is for"},
    {"rename", 0, "FILE", "mapping duplicate: CSV of old_raw_event,new_raw_event"},
    {"old", 0, "SRC", "compare: the event source in use"},
    {"new", 0, "SRC", "compare: the event source to switch to"},
    {"months", 0, "N", "compare: calendar months back, this one included (default 9)"},
    {"tolerance", 0, "P", "compare: allowed difference per event and month (default 5%)"},
    {"html", 0, "FILE", "compare: also write the volumes as an HTML page with charts"},
    {"model", 0, "NAME", "switch: the published model in use"},
    {"draft", 0, "NAME", "switch: its draft on the new source"},
    {"as-of", 0, "DATE", "switch: the date scores are compared at (default now)"},
    {"labels", 0, "TABLE", "switch: conversions (person, converted_at) on the old source"},
    {0},
};

static const cli_option model_options[] = {
    {"event-source", 0, "SRC", "import, duplicate: the event source the model reads"},
    {"level", 0, "L", "import: lead (default) or account"},
    {"status", 0, "S", "import: published (default) or draft"},
    {"half", 0, "POINTS", "import: the points that score 50 (default 50)"},
    {"cuts", 0, "A,B,C", "import: lower bounds of very high, high, medium (default 75,50,25)"},
    {"percentiles", 0, NULL, "import: cut segments by percentile (default 90,70,40)"},
    {"as", 0, "NAME", "duplicate: the draft's name (default NAME-SRC)"},
    {"as-of", 0, "DATE", "score, compare, sample: the date scored (default now)"},
    {"csv", 0, "FILE", "score: write every score to a CSV file"},
    {"labels", 0, "TABLE", "compare: conversions (person, converted_at) on the old source"},
    {"html", 0, "FILE", "sample: the page to write"},
    {"seed", 0, "N", "sample: random seed (default 42)"},
    {"per-segment", 0, "N", "sample: people per segment (default 10)"},
    {0},
};

static const cli_subcommand events_subcommands[] = {
    {"mapping", "import FILE --event-source SRC [--status on|off|draft] | list | show ID|SRC | "
                "duplicate ID|SRC --to-source NEW [--rename FILE] | set ID STATUS",
     "event mappings: record, list, show, copy for a new source, change a status"},
    {"compare", "--old SRC --new SRC [--months 9] [--tolerance 5%] [--html FILE]",
     "monthly volumes of each event on two sources, side by side"},
    {"switch", "--model OLD --draft DRAFT --labels TABLE [--as-of DATE]",
     "switch the event source: compare, approve, publish the draft"},
    {"revert", "", "restore the previous mapping and model of the last publish"},
    {"recover", "", "finish a switch whose process was killed"},
    {"batch", "[status|stop|start]", "show or set the scoring batch's flag by hand"},
    {0},
};

static const cli_subcommand model_subcommands[] = {
    {"import", "NAME FILE --event-source SRC [--level lead|account] [--status S]",
     "record a model from a CSV of canonical_event,weight,lifespan_days"},
    {"list", "", "list the models"},
    {"show", "NAME", "show a model"},
    {"duplicate", "NAME --event-source NEW [--as NAME2]", "make a draft of a model for a new "
                                                          "event source"},
    {"score", "NAME [--as-of DATE] [--csv FILE]", "score every person: the scoring batch"},
    {"compare", "OLD DRAFT --as-of DATE --labels TABLE", "score the same people with both models"},
    {"sample", "OLD DRAFT --html FILE [--as-of DATE]", "write a page of people to review in pairs"},
    {0},
};

const cli_command cli_commands[] = {
    {"init", cmd_init, "[FILE] [--source URI --target URI]",
     "write a commented starter project file (default cutover.yaml); with an existing source "
     "and target, one made from their schemas",
     init_options},
    {"check", cmd_check, "", "validate the project file and its connections; copies nothing",
     no_options},
    {"schema", cmd_schema, "create [--into staging|target]",
     "create the entities' tables a database lacks, as the other declares them", schema_options},
    {"demo", cmd_demo, "init DIR | traffic DIR --tenant KEY",
     "generate the demo legacy CRM (init), or write to it as its application would (traffic)",
     demo_options},
    {"audit", cmd_audit, "[--tenant KEY]",
     "profile the source and audit tenants: what would be refused, duplicates, sizes",
     audit_options},
    {"plan", cmd_plan, "[show]", "group audited tenants into cohorts, a low-risk canary first",
     plan_options},
    {"schedule", cmd_schedule, "TENANT --at \"YYYY-MM-DD HH:MM\"",
     "record the migration date agreed with a tenant's customer", schedule_options},
    {"notices", cmd_notices, "", "write a notice for each scheduled tenant's customer",
     notices_options},
    {"rehearse", cmd_rehearse, "--tenant KEY | --all",
     "load tenants into staging and verify them there, before the real run", rehearse_options},
    {"migrate", cmd_migrate, "--tenant KEY | --all", "migrate tenants into the target",
     migrate_options},
    {"sync", cmd_sync, "[--tenant KEY | --all] [--once | --follow]",
     "apply syncing tenants' captured changes to the target (switched ones': the new "
     "system's, back to the source), once or continuously",
     sync_options},
    {"verify", cmd_verify, "--tenant KEY | --all",
     "prove that tenants arrived whole, or show what did not", verify_options},
    {"rollback", cmd_rollback, "--tenant KEY [--purge]",
     "undo a tenant's move: route it back (after reverse sync, no carry-back, and the "
     "target's purge left for later), purge the target, unfreeze the source",
     undo_options},
    {"purge", cmd_purge, "--tenant KEY | --all",
     "purge the target's rows of tenants rolled back by reverse sync (purge_pending)",
     rollback_options},
    {"run", cmd_run, "--cohort C", "migrate a cohort of the plan, one tenant after another",
     run_options},
    {"pause", cmd_pause, "--cohort C",
     "stop runs and workers before the next tenant of a cohort (the one in flight finishes)",
     pause_options},
    {"resume", cmd_resume, "--cohort C", "let runs and workers take a paused cohort's tenants again",
     pause_options},
    {"worker", cmd_worker, "",
     "take tenants one by one from a journal shared with other workers, and move them",
     worker_options},
    {"archive", cmd_archive, "--tenant KEY",
     "write a switched tenant's source rows to a zstd-compressed file", rollback_options},
    {"finalize", cmd_finalize, "--tenant KEY",
     "end a switched tenant's undo window (refused within the retention days)",
     rollback_options},
    {"trace", cmd_trace, "ENTITY KEY",
     "show where a source row went (loaded, merged, rejected), or with --target its sources",
     trace_options},
    {"review", cmd_review, "export --tenant KEY | --all [-o FILE] | apply FILE",
     "send doubtful pairs of similar rows to a person (export), and record the decisions (apply)",
     review_options},
    {"route", cmd_route, "TENANT [--reads PCT]",
     "print where a tenant lives (old or new, and a syncing tenant's read share), or set it",
     route_options},
    {"routes", cmd_routes, "", "list every tenant's route", no_options},
    {"recover-journal", cmd_recover_journal, "",
     "rebuild a lost journal from cutover's traces on the source and target: routes, tenants in "
     "flight", no_options},
    {"status", cmd_status, "", "show every tenant's state, last run and counts", no_options},
    {"report", cmd_report, "[--tenant KEY] -o FILE.html",
     "write the migration report: one self-contained HTML page with charts", report_options},
    {"serve", cmd_serve, "[--listen 127.0.0.1:8080]",
     "show the report live in a browser, with a JSON API; rollback and pause need the token",
     serve_options},
    {"monitor", cmd_monitor, "[--tenant KEY]",
     "watch switched tenants: daily volumes against their baseline, query budgets; exit 14 "
     "on a flag", monitor_options},
    {"budgets", cmd_budgets, "--tenant KEY",
     "time the project's budget queries for tenants on the target (or staging)", budgets_options},
    {"switch", cmd_switch, "--tenant KEY",
     "switch a syncing tenant's writes and all its reads to the new system: freeze, last "
     "changes, verify what changed, route new, reverse sync on; on failure it stays syncing, "
     "unfrozen",
     switch_options},
    {"parity", cmd_parity, "--tenant KEY",
     "shadow reads: ask the project's parity questions of the source and the target, compare "
     "the answers and journal each mismatch with sample rows; exit 12 on a mismatch",
     parity_options},
    {"note", cmd_note, "TENANT \"TEXT\"", "journal an observation about a tenant, with its "
                                          "author (--by)", no_options},
    {"approve", cmd_approve, "TENANT --step STEP",
     "approve a step waiting for a second person (not the one who started it)",
     approve_options},
    {"events", cmd_events, "mapping|compare|switch|revert|recover|batch ...",
     "behavioural-event sources: mappings, volumes side by side, the source switch and its revert",
     events_options},
    {"model", cmd_model, "import|list|show|duplicate|score|compare|sample ...",
     "behavioural scoring models: scores, drafts, comparison and the sample page",
     model_options},
    {"completion", cmd_completion, "bash|zsh",
     "print a shell completion script, written from this command table", no_options},
    {"help", cmd_help, "[COMMAND]", "show help", no_options},
    {"version", cmd_version, "", "print the version", no_options},
    {0},
};

/* Commands with sub-verbs: a row per command. */
static const struct {
    const char *command;
    const cli_subcommand *subcommands;
} subcommand_table[] = {
    {"events", events_subcommands},
    {"model", model_subcommands},
};

const cli_subcommand *cli_subcommands(const char *name)
{
    for (size_t i = 0; i < sizeof subcommand_table / sizeof subcommand_table[0]; i++)
        if (strcmp(subcommand_table[i].command, name) == 0)
            return subcommand_table[i].subcommands;
    return NULL;
}
