/**
 * The shared registry's schema, as numbered migrations. A migration is never edited once
 * released: a change is a new entry. `mlci registry migrate` applies the missing ones in one
 * transaction under an advisory lock, so two runners migrating at once cannot both apply one.
 */
export interface Migration {
  version: number
  description: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'models, versions, aliases and their ledger',
    sql: `
      CREATE TABLE mlci_models (
        name text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE mlci_versions (
        model text NOT NULL REFERENCES mlci_models (name),
        key text NOT NULL,
        doc jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- Create-if-absent: the second writer of a version number gets a conflict, never a silent overwrite.
        PRIMARY KEY (model, key)
      );
      CREATE TABLE mlci_aliases (
        model text NOT NULL REFERENCES mlci_models (name),
        alias text NOT NULL,
        version text NOT NULL,
        PRIMARY KEY (model, alias)
      );
      CREATE TABLE mlci_alias_ledger (
        model text NOT NULL REFERENCES mlci_models (name),
        seq integer NOT NULL,
        entry jsonb NOT NULL,
        -- Two writers appending the same position cannot both succeed: the ledger never interleaves.
        PRIMARY KEY (model, seq)
      );`,
  },
  {
    version: 2,
    description: 'alias revision per model, version status column, release lock holders',
    sql: `
      ALTER TABLE mlci_models ADD COLUMN revision bigint NOT NULL DEFAULT 0;
      UPDATE mlci_models m SET revision = (SELECT count(*) FROM mlci_alias_ledger l WHERE l.model = m.name);
      ALTER TABLE mlci_versions ADD COLUMN status text;
      UPDATE mlci_versions SET status = doc->>'status';
      ALTER TABLE mlci_versions ALTER COLUMN status SET NOT NULL;
      ALTER TABLE mlci_versions ADD CONSTRAINT mlci_versions_status CHECK (status IN ('pending', 'ready', 'failed'));
      CREATE INDEX mlci_versions_model_status ON mlci_versions (model, status);
      -- Who holds a model's release lock (the lock itself is a PostgreSQL advisory lock, released
      -- with its connection; this row only names the holder for the runner that has to wait).
      CREATE TABLE mlci_release_holders (
        model text PRIMARY KEY REFERENCES mlci_models (name),
        host text NOT NULL,
        pid integer NOT NULL,
        run_id text,
        command text,
        since timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    version: 3,
    description: 'release journal',
    sql: `
      -- The release journal of a model (intents, notes, commits of releases and rollbacks), so a
      -- run on any runner finds and finishes what a runner that died left half done.
      CREATE TABLE mlci_release_journal (
        model text NOT NULL REFERENCES mlci_models (name),
        seq bigserial,
        entry jsonb NOT NULL,
        PRIMARY KEY (model, seq)
      );`,
  },
]

export const LATEST_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1].version
