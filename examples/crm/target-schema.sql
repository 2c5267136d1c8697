-- target-schema.sql: the new CRM of the cutover demo (SQLite, STRICT tables).
--
-- What changed from the legacy CRM: contacts are shared by all teams of an
-- account (team membership is a table of its own), companies are rows keyed
-- by their normalized domain, tags are rows, names and tags have length
-- limits, e-mail addresses must look like addresses, and engagement carries
-- its account. Every table but contact_teams has the tenant column
-- account_id. `cutover demo` creates this schema, empty, in crm.db.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    name       TEXT NOT NULL,
    language   TEXT NOT NULL
) STRICT;

CREATE TABLE companies (              -- one per normalized domain: cnn.com and CNN.com are one
    account_id INTEGER NOT NULL,
    domain     TEXT NOT NULL,
    name       TEXT,
    PRIMARY KEY (account_id, domain)
) STRICT;

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL,
    kind           TEXT NOT NULL CONSTRAINT contact_kind_known CHECK (kind IN ('journalist', 'investor')),
    first_name     TEXT NOT NULL CONSTRAINT first_name_at_most_100 CHECK (length(first_name) <= 100),
    last_name      TEXT NOT NULL CONSTRAINT last_name_at_most_100 CHECK (length(last_name) <= 100),
    email          TEXT CONSTRAINT email_looks_like_an_address CHECK (email IS NULL OR (email LIKE '%_@_%._%'
                                                 AND email NOT LIKE '% %'
                                                 AND email NOT LIKE '%@%@%')),
    company_domain TEXT,
    title          TEXT,
    custom         TEXT CONSTRAINT custom_is_json CHECK (custom IS NULL OR json_valid(custom)),  -- free fields, as a JSON object
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE contact_teams (          -- which teams work with a contact
    contact_id INTEGER NOT NULL,
    team_id    INTEGER NOT NULL,
    PRIMARY KEY (contact_id, team_id)
) STRICT;

CREATE TABLE contact_tags (
    account_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    tag        TEXT NOT NULL CONSTRAINT tag_1_to_64 CHECK (length(tag) BETWEEN 1 AND 64),
    PRIMARY KEY (contact_id, tag)
) STRICT;

CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    team_id    INTEGER NOT NULL,
    subject    TEXT NOT NULL,
    sent_at    TEXT NOT NULL
) STRICT;

CREATE TABLE engagements (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    contact_id  INTEGER NOT NULL,
    campaign_id INTEGER NOT NULL,
    kind        TEXT NOT NULL CONSTRAINT engagement_kind_known CHECK (kind IN ('sent', 'delivered', 'open', 'read', 'click',
                                              'bounce', 'unsubscribe')),
    occurred_at TEXT NOT NULL
) STRICT;

-- What the application reads by: the account first (every screen is one
-- account's), then the lookups of its screens.
CREATE INDEX teams_account ON teams(account_id);
CREATE INDEX contacts_account ON contacts(account_id);
CREATE INDEX contacts_account_email ON contacts(account_id, email);
CREATE INDEX contact_teams_team ON contact_teams(team_id);
CREATE INDEX contact_tags_account ON contact_tags(account_id, tag);
CREATE INDEX campaigns_account ON campaigns(account_id);
CREATE INDEX campaigns_team ON campaigns(team_id);
CREATE INDEX engagements_account ON engagements(account_id);
CREATE INDEX engagements_contact ON engagements(contact_id);
CREATE INDEX engagements_campaign ON engagements(campaign_id);
