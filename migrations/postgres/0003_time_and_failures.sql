-- Record timers and waiting runs (src/serve/timers.rs, src/serve/waits.rs), and the events
-- failed runs go on from (src/serve/failed_runs.rs).

CREATE TABLE timers (
  workflow TEXT NOT NULL, record TEXT NOT NULL, due BIGINT NOT NULL,
  fired BIGINT NOT NULL DEFAULT 0, json TEXT NOT NULL,
  PRIMARY KEY (workflow, record)
);
CREATE INDEX timers_due ON timers (fired, due);

CREATE TABLE waits (
  run BIGINT NOT NULL, next BIGINT NOT NULL, workflow TEXT NOT NULL, due BIGINT NOT NULL,
  app TEXT NOT NULL, entity TEXT NOT NULL, json TEXT NOT NULL, fired BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (run, next)
);
CREATE INDEX waits_due ON waits (fired, due);

ALTER TABLE failed_runs ADD COLUMN run_event TEXT;

CREATE TABLE failed_run_events (
  event BIGINT NOT NULL,
  run BIGINT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (event, run)
);
