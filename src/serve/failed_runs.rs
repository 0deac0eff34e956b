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
//! The new event's key is `failed-run/EVENT/RUN`, so it is raised once however often the
//! outcome is recorded; being in the journal before the sender's transaction ends, it is not
//! lost when weir stops or is killed, and runs at the next start if not before. It carries the
//! record of the event that started the chain: a workflow `on failed run of WORKFLOW` runs on
//! it when `WORKFLOW` ran on that event's entity; a run further down a chain (on a record
//! another run wrote) sets off only the workflows `on failed run`, which read no record.

use super::db::{Db, DbResult};
use crate::args;

use super::journal::{Journal, StoredEvent, now_ms};
use super::webhook::{self, Parsed};
use crate::program::{Program, WorkflowId};
use crate::remote::Connected;
use crate::run::{Engine, LateFailure, Outcome};

/// The kind of the events this raises, which no webhook can have (it has a space).
pub const KIND: &str = "failed run";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS failed_runs (
    event INTEGER PRIMARY KEY,
    of_event INTEGER NOT NULL,
    run INTEGER NOT NULL,
    workflow TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
)";

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
    tx.sqlite_schema(SCHEMA)?;
    let key = format!("failed-run/{event}/{run}");
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
        "INSERT INTO failed_runs (event, of_event, run, workflow, kind, message)
         SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), CAST(?3 AS BIGINT), CAST(?4 AS TEXT),
                kind, CAST(?5 AS TEXT)
         FROM events WHERE id = ?2",
        args![id, event, run, by, message],
    )?;
    Ok(1)
}

/// Runs a `failed run` event: the workflows on that failure, as a new chain.
pub fn run(
    engine: &mut Engine<Connected>,
    journal: &Journal,
    p: &Program,
    event: &StoredEvent,
) -> Outcome {
    let read = || -> DbResult<Option<(i64, String, String, String)>> {
        let conn = journal.conn();
        conn.sqlite_schema(SCHEMA)?;
        conn.query_opt(
            "SELECT of_event, workflow, kind, message FROM failed_runs WHERE event = ?1",
            args![event.id],
        )?
        .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .transpose()
    };
    let Ok(Some((of_event, workflow, kind, message))) = read() else {
        return Outcome::default();
    };
    let Some(failing) = heard(p, &workflow) else {
        // The script served now runs nothing on this workflow's failures.
        return Outcome::default();
    };
    let parsed = webhook::route(p, &event.app, &event.entity, &kind).and_then(|(entity, kind)| {
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
            "the {kind} {} in {} (event #{of_event})",
            event.entity, event.app
        ),
    };
    engine.failed_later(LateFailure {
        workflow: failing,
        message: message.into(),
        event: about.into(),
        record,
    })
}
