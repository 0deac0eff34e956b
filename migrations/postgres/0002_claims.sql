-- Several `weir serve` on one journal (src/serve/claims.rs, src/serve/shared.rs).
--
-- Each event carries the key of the record it is about (`order_key`: `App/entity/id`, NULL
-- for an event about no known record, which is then ordered after nothing), and the lease of
-- the server running it (`lease_owner` until `lease_until`, in milliseconds of the database's
-- clock, `claims` counting how often it was taken). Run numbers come in blocks of a million
-- from `run_bases`, one block per event, taken the first time the event is claimed.

ALTER TABLE events ADD COLUMN order_key TEXT;
ALTER TABLE events ADD COLUMN lease_owner TEXT;
ALTER TABLE events ADD COLUMN lease_until BIGINT;
ALTER TABLE events ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;

-- The events not finished, by record: what a claim looks through.
CREATE INDEX events_unfinished ON events (order_key, id) WHERE status = 'queued';

CREATE SEQUENCE run_bases AS BIGINT INCREMENT BY 1000000 START WITH 1;

-- The time on the database's clock, in milliseconds since 1970: every server reads leases
-- against the same clock, whatever its own says.
CREATE FUNCTION weir_now_ms() RETURNS BIGINT
  LANGUAGE SQL VOLATILE
  AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;

-- The rows every server reads as the others add them: a number in the order they were
-- written, and the transaction that wrote them (a reader reads again from the oldest
-- transaction still running when it last read, so that none committed late is missed). A row
-- written again (an id learned, a write confirmed again) takes a new number.
CREATE SEQUENCE shared_seq AS BIGINT;
CREATE FUNCTION weir_shared_written() RETURNS TRIGGER
  LANGUAGE plpgsql
  AS $$ BEGIN
    NEW.seq := nextval('shared_seq');
    NEW.tx := pg_current_xact_id();
    NEW.server := current_setting('application_name');
    RETURN NEW;
  END $$;
-- `server`: the connection's `application_name`, which a server sets to its name, so that it
-- reads back the others' rows only.
ALTER TABLE actions ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('shared_seq');
ALTER TABLE actions ADD COLUMN tx XID8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE actions ADD COLUMN server TEXT DEFAULT current_setting('application_name');
CREATE INDEX actions_tx ON actions (tx);
CREATE TRIGGER actions_written BEFORE UPDATE ON actions
  FOR EACH ROW EXECUTE FUNCTION weir_shared_written();
ALTER TABLE ids ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('shared_seq');
ALTER TABLE ids ADD COLUMN tx XID8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE ids ADD COLUMN server TEXT DEFAULT current_setting('application_name');
CREATE INDEX ids_tx ON ids (tx);
CREATE TRIGGER ids_written BEFORE UPDATE ON ids
  FOR EACH ROW EXECUTE FUNCTION weir_shared_written();
ALTER TABLE links ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('shared_seq');
ALTER TABLE links ADD COLUMN tx XID8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE links ADD COLUMN server TEXT DEFAULT current_setting('application_name');
CREATE INDEX links_tx ON links (tx);
ALTER TABLE ledger ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('shared_seq');
ALTER TABLE ledger ADD COLUMN tx XID8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE ledger ADD COLUMN server TEXT DEFAULT current_setting('application_name');
CREATE INDEX ledger_tx ON ledger (tx);

-- Runs each workflow made in a window of the run budget, for the whole cluster.
CREATE TABLE run_budget (
  workflow TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  runs BIGINT NOT NULL,
  PRIMARY KEY (workflow, window_start)
);

-- The last number the engines gave a record of each entity, for every server: a record is
-- numbered once, whichever server first meets it.
CREATE TABLE local_numbers (entity TEXT PRIMARY KEY, last BIGINT NOT NULL);
