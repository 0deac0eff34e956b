//! Failed runs under `weir serve`: a run whose write to a real app is given up after the run
//! finished raises its failed-run event as an event of the journal.
//!
//! A run's writes to real apps are sent by the outbox ([`super::sender`]) once the run is over,
//! so a `422` or an app still down after the retries fails the run too late for the engine to
//! raise its failed run there and then. The sender, in the transaction that marks the event
//! failed, adds an event of kind `failed run` (and a row of `failed_runs` saying which run of
//! which workflow failed, and why); the worker runs it like any queued event, through
//! [`crate::run::Engine::failed_later`]:
//!
//! ```text
//! #41 new Shop/order → run 90 order_to_contact → POST /contact → 422 → #41 failed
//!                                              → #42 failed run Shop/order (run 90, "…422…")
//! #42 → run 91 ticket_on_failure → create ticket in Desk → done
//! ```
//!
//! The new event's key is `failed-run/EVENT/RUN` (then `…/2`, `…/3` for the failures of the
//! same run replayed with `weir replay`), so each failure is raised once however often the
//! outcome is recorded; being in the journal before the sender's transaction ends, it is not
//! lost when weir stops or is killed, and runs at the next start if not before.
//!
//! The failed run goes on in the chain of the run that failed, as in the simulator: when an
//! event is recorded with writes to send, each run of a workflow whose failures are heard is
//! kept with the event it started on, its record and its chain (`failed_run_events`). A
//! workflow `on failed run of WORKFLOW` runs on that record, also for a run further down a
//! chain (on a record another run wrote), and the run-time guard counts its hops: a loop
//! through failures, let through by `--no-check`, is held at `--max-hops` like any other.
//! A failed run of a journal of an earlier weir, with no such row, starts a chain on the
//! record of the event the chain started from.

use rusqlite::Connection;

use super::db::{Db, DbResult};
use crate::args;

use super::journal::{Finished, Journal, StoredEvent, now_ms};
use super::status::EventStatus;
use super::webhook::{self, Parsed};
use crate::program::{Program, WorkflowId};
use crate::remote::Connected;
use crate::remote::deferred::Planned;
use crate::run::{Engine, LateFailure, Outcome, event_text, state};

/// The kind of the events this raises, which no webhook can have (it has a space).
pub const KIND: &str = "failed run";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS failed_runs (
    event INTEGER PRIMARY KEY,
    of_event INTEGER NOT NULL,
    run INTEGER NOT NULL,
    workflow TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    run_event TEXT
);
CREATE TABLE IF NOT EXISTS failed_run_events (
    event INTEGER NOT NULL,
    run INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (event, run)
) WITHOUT ROWID;";

/// Makes the tables of a SQLite journal, and adds `failed_runs.run_event` to one of an
/// earlier weir (a PostgreSQL journal has them from its migrations).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let has = || -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('failed_runs') WHERE name = 'run_event'",
            [],
            |r| r.get(0),
        )
    };
    if !has()? {
        // Another connection opening the journal at the same time may have added it first.
        if let Err(err) = conn.execute_batch("ALTER TABLE failed_runs ADD COLUMN run_event TEXT")
            && !has()?
        {
            return Err(err);
        }
    }
    Ok(())
}

/// An outcome's heard runs as rows, the event each started on as JSON: only when the event
/// has writes to send, the only way a run can fail once the engine is done with it.
pub fn heard_rows(p: &Program, outcome: &Outcome, writes: &[Planned]) -> Vec<(u64, String)> {
    if writes.is_empty() {
        return Vec::new();
    }
    outcome
        .heard
        .iter()
        .map(|(run, event)| (*run, state::event_json(p, event).to_string()))
        .collect()
}

/// In the transaction that records a finished event: keeps the events its heard runs started
/// on while it has writes to send (only those can fail the run later). A replay of a failed
/// event replaces those of the first time; a release of held runs adds its own.
pub fn keep(tx: &Db, f: &Finished) -> DbResult<()> {
    if f.was == EventStatus::Failed && !f.released {
        forget(tx, f.event)?;
    }
    if f.writes.is_empty() {
        return Ok(());
    }
    for (run, json) in &f.heard {
        tx.execute(
            "INSERT INTO failed_run_events (event, run, json) VALUES (?1, ?2, ?3)
             ON CONFLICT (event, run) DO UPDATE SET json = excluded.json",
            args![f.event, *run, json],
        )?;
    }
    Ok(())
}

/// In the sender's transaction that settles `event`: its runs can fail no more.
pub fn forget(tx: &Db, event: i64) -> DbResult<()> {
    tx.execute(
        "DELETE FROM failed_run_events WHERE event = ?1",
        args![event],
    )?;
    Ok(())
}

/// The workflow named `name`, if workflows run on its failed runs.
fn heard(p: &Program, name: &str) -> Option<WorkflowId> {
    let failing = WorkflowId(p.workflows.iter().position(|w| *w.name == *name)?);
    if p.workflow(failing).trigger.failed.is_some() {
        return None;
    }
    p.workflows
        .iter()
        .any(|w| w.trigger.failed.is_some_and(|of| of.covers(failing)))
        .then_some(failing)
}

/// In the sender's transaction that fails `event`: raises the failed run of its run `run`,
/// if a workflow runs on it. How many events it added (0 or 1).
pub fn raise(tx: &Db, p: &Program, event: i64, run: u64, message: &str) -> DbResult<usize> {
    let by: Option<String> = tx
        .query_opt(
            "SELECT by FROM runs WHERE event = ?1 AND run = ?2",
            args![event, run],
        )?
        .map(|r| r.get(0))
        .transpose()?;
    let Some(by) = by.filter(|by| heard(p, by).is_some()) else {
        return Ok(0);
    };
    // A replay that fails again is a failure of its own: the earlier ones number it.
    let earlier: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM failed_runs WHERE of_event = ?1 AND run = ?2",
            args![event, run],
        )?
        .get(0)?;
    let key = match earlier {
        0 => format!("failed-run/{event}/{run}"),
        n => format!("failed-run/{event}/{run}/{}", n + 1),
    };
    // The parameters are cast: PostgreSQL cannot tell their types in a SELECT's columns.
    let added = tx.query_opt(
        "INSERT INTO events (key, app, entity, kind, record, actor, changed, received)
         SELECT CAST(?2 AS TEXT), app, entity, CAST(?3 AS TEXT), record, actor, changed,
                CAST(?4 AS BIGINT)
         FROM events WHERE id = ?1
         ON CONFLICT (key) DO NOTHING RETURNING id",
        args![event, key, KIND, now_ms()],
    )?;
    let Some(id) = added.map(|r| r.get::<i64>(0)).transpose()? else {
        return Ok(0);
    };
    tx.execute(
        "INSERT INTO failed_runs (event, of_event, run, workflow, kind, message, run_event)
         SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?3 AS BIGINT), CAST(?4 AS TEXT),
                kind, CAST(?5 AS TEXT),
                (SELECT json FROM failed_run_events WHERE event = ?2 AND run = ?3)
         FROM events WHERE id = ?2",
        args![id, event, run, by, message],
    )?;
    Ok(1)
}

/// A failed run as the journal keeps it.
struct Kept {
    of_event: i64,
    workflow: String,
    kind: String,
    message: String,
    /// The event the run started on, with its chain ([`keep`]); `None` in a journal of an
    /// earlier weir.
    run_event: Option<String>,
}

/// Runs a `failed run` event: the workflows on that failure, in the chain of the run that
/// failed.
pub fn run(
    engine: &mut Engine<Connected>,
    journal: &Journal,
    p: &Program,
    event: &StoredEvent,
) -> Outcome {
    let read = || -> DbResult<Option<Kept>> {
        journal
            .conn()
            .query_opt(
                "SELECT of_event, workflow, kind, message, run_event FROM failed_runs
                 WHERE event = ?1",
                args![event.id],
            )?
            .map(|r| {
                Ok(Kept {
                    of_event: r.get(0)?,
                    workflow: r.get(1)?,
                    kind: r.get(2)?,
                    message: r.get(3)?,
                    run_event: r.get(4)?,
                })
            })
            .transpose()
    };
    let Ok(Some(kept)) = read() else {
        return Outcome::default();
    };
    let Some(failing) = heard(p, &kept.workflow) else {
        // The script served now runs nothing on this workflow's failures.
        return Outcome::default();
    };
    let on = kept
        .run_event
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .and_then(|json| state::load_event(p, &json, "run_event").ok());
    let late = match on {
        Some(on) => LateFailure {
            workflow: failing,
            message: kept.message.into(),
            event: event_text(p, &on).into(),
            record: Some((on.kind, on.entity, on.record)),
            cause: on.cause,
        },
        None => earlier(engine, p, event, failing, kept),
    };
    engine.failed_later(late)
}

/// A failed run kept by an earlier weir, without the event its run started on: on the record
/// of the journal's event, when the failing workflow ran on its entity, as a new chain.
fn earlier(
    engine: &Engine<Connected>,
    p: &Program,
    event: &StoredEvent,
    failing: WorkflowId,
    kept: Kept,
) -> LateFailure {
    let parsed =
        webhook::route(p, &event.app, &event.entity, &kept.kind).and_then(|(entity, kind)| {
            webhook::parse(
                p,
                entity,
                kind,
                &event.record,
                event.actor.as_deref(),
                event.changed.as_deref(),
            )
        });
    let record = match parsed {
        Ok(Parsed::Report {
            kind,
            entity,
            app_id,
            mut record,
            ..
        }) => {
            record.id = match engine.apps().http() {
                Some(http) => http.local_id(entity, app_id.as_deref().unwrap_or("")),
                None => 0,
            };
            Some((kind, entity, record))
        }
        Ok(Parsed::Change(input)) => {
            let mut record = input.record;
            record.id = input.id.unwrap_or(0);
            Some((input.kind, input.entity, record))
        }
        Err(_) => None,
    };
    // Only a run on the event's own entity was on this record.
    let record = record.filter(|(_, entity, _)| p.workflow(failing).trigger.entity == *entity);
    let about = match &record {
        Some((kind, entity, record)) if record.id != 0 => format!(
            "the {kind} {} {}",
            p.entity(*entity).name,
            crate::run::apps::RecordRef::new(*entity, record.id).show(p)
        ),
        // A new record of a simulated app: its number was given when it was made.
        _ => format!(
            "the {} {} in {} (event #{})",
            kept.kind, event.entity, event.app, kept.of_event
        ),
    };
    LateFailure {
        workflow: failing,
        message: kept.message.into(),
        event: about.into(),
        record,
        cause: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_of_an_earlier_weir_gains_the_run_event_and_keeps_its_failed_runs() {
        let dir = std::env::temp_dir().join(format!("weir-failed-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE failed_runs (event INTEGER PRIMARY KEY, of_event INTEGER NOT NULL,
                   run INTEGER NOT NULL, workflow TEXT NOT NULL, kind TEXT NOT NULL,
                   message TEXT NOT NULL);
                 INSERT INTO failed_runs VALUES (2, 1, 1, 'to_crm', 'new', 'refused');",
            )
            .unwrap();
        }
        let journal = Journal::open(&path, false).unwrap();
        // Opened again (as the other connections of `weir serve` are), nothing is added twice.
        let again = Journal::open(&path, false).unwrap();
        let row = again
            .conn()
            .query_one(
                "SELECT workflow, run_event FROM failed_runs WHERE event = 2",
                args![],
            )
            .unwrap();
        let row: (String, Option<String>) = (row.get(0).unwrap(), row.get(1).unwrap());
        assert_eq!(row, ("to_crm".to_string(), None));
        drop((journal, again));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
