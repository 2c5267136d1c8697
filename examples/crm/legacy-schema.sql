-- legacy-schema.sql: the legacy media-relations CRM of the cutover demo (SQLite).
--
-- One database holds every customer account (tenant); each row carries its
-- account_id. A contact belongs to exactly one team, so the same journalist
-- known to two teams of one account is two rows. Tags are one ';'-delimited
-- string. Engagement events hang off campaigns (the e-mails sent).
-- Timestamps are text, 'YYYY-MM-DDTHH:MM:SSZ' in UTC.
--
-- `cutover demo` (co_demo_init) runs the statements above the @after-load
-- line, writes the rows, then runs the statements below it: indexes are
-- cheaper to build once than to maintain row by row.

CREATE TABLE accounts (               -- the tenants
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    plan       TEXT,                  -- starter, professional, enterprise
    created_at TEXT
);

CREATE TABLE teams (                  -- 1..8 per account, each working in one language
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    name       TEXT,
    language   TEXT                   -- en, nl, de, fr, es, it, pt, sv, pl, ja
);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL,
    team_id        INTEGER NOT NULL,
    kind           TEXT,              -- 'journalist' or 'investor'
    first_name     TEXT,
    last_name      TEXT,
    email          TEXT,              -- never checked by the old application
    company_name   TEXT,
    company_domain TEXT,              -- as typed: cnn.com in one team, CNN.com in another
    title          TEXT,
    tags           TEXT,              -- 'tech;media;ai'; '' or NULL when none
    custom1        TEXT,              -- free notes, about half the rows
    custom2        TEXT,              -- flags, under 1% of rows
    custom3        TEXT,              -- never used
    fax            TEXT,              -- never used
    legacy_score   INTEGER,           -- never used
    created_at     TEXT,
    updated_at     TEXT
);

CREATE TABLE campaigns (              -- e-mails sent by a team
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    team_id    INTEGER NOT NULL,
    subject    TEXT,
    sent_at    TEXT
);

CREATE TABLE events (                 -- engagement, grouped by campaign
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    contact_id  INTEGER NOT NULL,     -- no foreign key: deleted contacts leave events behind
    kind        TEXT NOT NULL,        -- sent, delivered, open, read, click, bounce, unsubscribe
    occurred_at TEXT NOT NULL
);

-- @after-load
CREATE INDEX teams_account ON teams(account_id);
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX campaigns_account ON campaigns(account_id);
CREATE INDEX events_campaign ON events(campaign_id);
CREATE INDEX events_contact ON events(contact_id);
