-- What the servers on one journal share besides what 0002 shares.
--
-- The sync ledger's pairs, read by every server as the others write them (src/serve/shared.rs):
-- each write of a pair stamps its row with a number, its transaction and its server, as the
-- rows of the other shared tables are stamped when added; a pair removed stays as a row with
-- an empty pair, so that the other servers see it go.

ALTER TABLE sync_pairs ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('shared_seq');
ALTER TABLE sync_pairs ADD COLUMN tx XID8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE sync_pairs ADD COLUMN server TEXT DEFAULT current_setting('application_name');
CREATE INDEX sync_pairs_tx ON sync_pairs (tx);

CREATE FUNCTION weir_stamp_pair() RETURNS trigger AS $$
BEGIN
  NEW.seq := nextval('shared_seq');
  NEW.tx := pg_current_xact_id();
  NEW.server := current_setting('application_name');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER sync_pairs_stamped BEFORE UPDATE ON sync_pairs
  FOR EACH ROW EXECUTE FUNCTION weir_stamp_pair();

CREATE FUNCTION weir_keep_removed_pair() RETURNS trigger AS $$
BEGIN
  UPDATE sync_pairs SET pair = '' WHERE sync = OLD.sync AND left_record = OLD.left_record;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER sync_pairs_removed BEFORE DELETE ON sync_pairs
  FOR EACH ROW WHEN (OLD.pair <> '') EXECUTE FUNCTION weir_keep_removed_pair();

-- The journal event whose run opened a rate limit's window (src/serve/granted.rs): the same
-- event, run again after its batch was not recorded, opens it again.
ALTER TABLE limits_seen ADD COLUMN event BIGINT;
