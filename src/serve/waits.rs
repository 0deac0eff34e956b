//! Waits under `weir serve`: a run that reaches `wait 12h` is kept in the journal's table
//! `waits` until the clock reaches its time; then it goes on, as the same run of the same chain.
//!
//! ```text
//! #41 new Clinic/appointment → run 90 remind: notify …, wait 12h
//!       → waits: run 90 | step 2 | 05-01T20:00 | {…the run as a state file keeps it…}
//! 05-01T20:00 due → #57 resume Clinic/appointment (key wait/90/2), the row marked fired
//! #57 → run 90 remind goes on at step 2, its hops counted as before the wait; its row goes
//! ```
//!
//! A row is written in the transaction of the group of the event whose run began to wait, and
//! removed in the transaction of the group that records the run going on, so after a
//! `kill -9` a wait is neither lost nor resumed twice: the clock adds the resume event and
//! marks the row fired in one transaction, and a resume that was not recorded runs again at the
//! next start from the row, which is still there. The row keeps what a state file keeps of a
//! waiting run (`weir run --state`, [`crate::run::wait::Waiting::to_json`]): its workflow, run
//! number, the step it goes on with, its `let`s and the event it started on with its chain.

use serde_json::{Value as Json, json};

use super::db::{Db, DbResult};
use super::journal::{Journal, StoredEvent};
use crate::args;
use crate::program::Program;
use crate::remote::Connected;
use crate::run::wait::Waiting;
use crate::run::{Engine, Outcome};

/// The kind of the events the clock adds for waits, which no webhook can have.
pub const KIND: &str = "resume";

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS waits (
  run INTEGER NOT NULL, next INTEGER NOT NULL, workflow TEXT NOT NULL, due INTEGER NOT NULL,
  app TEXT NOT NULL, entity TEXT NOT NULL, json TEXT NOT NULL, fired INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run, next)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waits_due ON waits (fired, due);";

/// A run that began to wait, or one that went on.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Began {
        run: u64,
        next: u64,
        workflow: String,
        due: i64,
        /// The app and entity of the event it started on.
        app: String,
        entity: String,
        json: String,
    },
    Resumed {
        run: u64,
        next: u64,
    },
}

/// The runs an engine keeps waiting, as rows to write.
pub fn began(p: &Program, waiting: &[Waiting]) -> Vec<Change> {
    waiting
        .iter()
        .map(|w| {
            let e = p.entity(w.event.entity);
            Change::Began {
                run: w.run,
                next: w.next as u64,
                workflow: p.workflow(w.workflow).name.to_string(),
                due: w.due,
                app: p.app(e.app).name.to_string(),
                entity: e.name.to_string(),
                json: w.to_json(p).to_string(),
            }
        })
        .collect()
}

/// Writes a group's changes, in order, in its transaction.
pub fn write(tx: &Db, changes: &[Change]) -> DbResult<()> {
    for change in changes {
        match change {
            // A run again after a crash writes the same row (its time may differ: the first
            // was never recorded).
            Change::Began {
                run,
                next,
                workflow,
                due,
                app,
                entity,
                json,
            } => tx.execute(
                "INSERT INTO waits (run, next, workflow, due, app, entity, json, fired)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)
                 ON CONFLICT (run, next) DO UPDATE SET workflow = excluded.workflow,
                   due = excluded.due, app = excluded.app, entity = excluded.entity,
                   json = excluded.json, fired = 0",
                args![*run, *next, workflow, *due, app, entity, json],
            )?,
            Change::Resumed { run, next } => tx.execute(
                "DELETE FROM waits WHERE run = ?1 AND next = ?2",
                args![*run, *next],
            )?,
        };
    }
    Ok(())
}

/// In one transaction: a resume event for each wait due by `now` not yet fired, and each
/// marked fired. How many events are new.
pub fn fire_due(journal: &Journal, now: i64) -> DbResult<u64> {
    if !super::schedules::any_due(journal, "waits", now)? {
        return Ok(0);
    }
    let tx = journal.conn().transaction_immediate()?;
    let due: Vec<(i64, i64, String, String, String)> = tx.query_map(
        "SELECT run, next, workflow, app, entity FROM waits
         WHERE fired = 0 AND due <= ?1 ORDER BY due, run",
        args![now],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut added = 0;
    for (run, next, workflow, app, entity) in due {
        let body = json!({ "workflow": workflow, "run": run, "next": next });
        let key = format!("wait/{run}/{next}");
        added += super::schedules::add_event(&tx, &key, (&app, &entity, KIND), &body)?;
        tx.execute(
            "UPDATE waits SET fired = 1 WHERE run = ?1 AND next = ?2",
            args![run, next],
        )?;
    }
    tx.commit()?;
    Ok(added)
}

/// The runs waiting that have not gone on: `(workflow, run, due)`, the first due first.
pub fn pending(journal: &Journal) -> DbResult<Vec<(String, u64, i64)>> {
    journal.conn().query_map(
        "SELECT workflow, run, due FROM waits WHERE fired = 0 ORDER BY due, run",
        args![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Runs a resume event: the run its row keeps goes on. A row gone (recorded as gone on before)
/// or that no longer fits the script runs nothing, and is said.
pub fn run(
    engine: &mut Engine<Connected>,
    journal: &Journal,
    event: &StoredEvent,
) -> (Outcome, Option<Change>) {
    let body: Json = serde_json::from_str(&event.record).unwrap_or_default();
    let (Some(run), Some(next)) = (body["run"].as_i64(), body["next"].as_i64()) else {
        return (Outcome::default(), None);
    };
    let text: Option<String> = journal
        .conn()
        .query_opt(
            "SELECT json FROM waits WHERE run = ?1 AND next = ?2",
            args![run, next],
        )
        .ok()
        .flatten()
        .and_then(|r| r.get(0).ok());
    let gone = Change::Resumed {
        run: run as u64,
        next: next as u64,
    };
    let Some(text) = text else {
        return (Outcome::default(), None);
    };
    let p = std::sync::Arc::clone(engine.program());
    let waiting = serde_json::from_str::<Json>(&text)
        .map_err(|e| e.to_string())
        .and_then(|json| Waiting::from_json(&p, &json).map_err(|e| e.to_string()));
    match waiting {
        Ok(waiting) => (engine.resume_waiting(waiting), Some(gone)),
        Err(reason) => {
            eprintln!("warning: run {run} waited and cannot go on with this script: {reason}");
            (Outcome::default(), Some(gone))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_resumed_once_and_its_row_goes_when_it_went_on() {
        let dir = std::env::temp_dir().join(format!("weir-waits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let journal = Journal::open(&dir.join("weir.db"), false).unwrap();
        let write_now = |changes: &[Change]| {
            let tx = journal.conn().transaction().unwrap();
            write(&tx, changes).unwrap();
            tx.commit().unwrap();
        };
        write_now(&[Change::Began {
            run: 7,
            next: 2,
            workflow: "confirm".into(),
            due: 100,
            app: "Clinic".into(),
            entity: "appointment".into(),
            json: "{}".into(),
        }]);
        assert_eq!(pending(&journal).unwrap(), [("confirm".into(), 7, 100)]);
        assert_eq!(fire_due(&journal, 99).unwrap(), 0);
        assert_eq!(fire_due(&journal, 100).unwrap(), 1);
        assert_eq!(fire_due(&journal, 200).unwrap(), 0);
        assert!(pending(&journal).unwrap().is_empty());
        let rows = |j: &Journal| -> i64 {
            j.conn()
                .query_one("SELECT COUNT(*) FROM waits", args![])
                .and_then(|r| r.get(0))
                .unwrap()
        };
        // Fired, kept until the run going on is recorded.
        assert_eq!(rows(&journal), 1);
        write_now(&[Change::Resumed { run: 7, next: 2 }]);
        assert_eq!(rows(&journal), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
