//! The `runs` table of the journal: one row for each thing an event set off.
//!
//! ```text
//! event 41 → (41, 0) run 90 order_to_contact done
//!            (41, 1) run 91 contact_to_mail failed  "POST …/mail answered 422 …"
//! ```
//!
//! A row is `(event, seq)`: its place among the event's runs, in the order they were listed. A
//! run again replaces an event's rows; a release of held runs adds rows after the last. Journals
//! written before the table kept an event's runs as text in `events.runs`, one JSON value a
//! line (an object by name, or an older array by position): [`migrate`] moves them into the
//! table once, in one transaction, and empties the column.

use rusqlite::{Connection, OptionalExtension, params};

use super::db::{Db, DbResult};
use crate::args;

use super::journal::{Listed, RunRow};
use super::status::{EventStatus, RunStatus};

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS runs (
  event INTEGER NOT NULL, seq INTEGER NOT NULL,
  run INTEGER, by TEXT NOT NULL, status TEXT NOT NULL, message TEXT,
  PRIMARY KEY (event, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_run ON runs (run);
"#;

/// Moves runs kept as text in `events.runs` into the table, once (noted in `meta` as
/// `runs = table`). A line that does not read as a run is left out, as listing it did.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let done: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'runs'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if done.is_some() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let moved = (|| {
        let texts: Vec<(i64, String)> = {
            let mut stmt = conn.prepare(
                "SELECT id, runs FROM events WHERE runs IS NOT NULL AND runs != '' ORDER BY id",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut insert = conn.prepare(
            "INSERT OR REPLACE INTO runs (event, seq, run, by, status, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (event, text) in texts {
            let rows = text
                .lines()
                .filter_map(|line| serde_json::from_str::<RunRow>(line).ok());
            for (seq, r) in rows.enumerate() {
                insert.execute(params![
                    event,
                    seq as i64,
                    r.run.map(|n| n as i64),
                    r.by,
                    r.status.as_str(),
                    r.message
                ])?;
            }
        }
        conn.execute("UPDATE events SET runs = NULL WHERE runs IS NOT NULL", [])?;
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('runs', 'table')",
            [],
        )?;
        Ok(())
    })();
    match moved {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}

/// Writes an event's runs: in place of those it had, or after them (`add`: a release).
pub fn write(tx: &Db, event: i64, runs: &[RunRow], add: bool) -> DbResult<()> {
    let first: i64 = if add {
        tx.query_one(
            "SELECT COALESCE(MAX(seq) + 1, 0) FROM runs WHERE event = ?1",
            args![event],
        )?
        .get(0)?
    } else {
        tx.execute("DELETE FROM runs WHERE event = ?1", args![event])?;
        0
    };
    for (i, r) in runs.iter().enumerate() {
        tx.execute(
            "INSERT INTO runs (event, seq, run, by, status, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![event, first + i as i64, r.run, r.by, r.status, r.message],
        )?;
    }
    Ok(())
}

/// Marks a run failed, with why (a write of it that a real app did not take).
pub fn fail(tx: &Db, event: i64, run: u64, message: &str) -> DbResult<()> {
    tx.execute(
        "UPDATE runs SET status = 'failed', message = ?3 WHERE event = ?1 AND run = ?2",
        args![event, run, message],
    )?;
    Ok(())
}

/// Recent runs, newest first: all of them, or those of one status (`failed`, `held`) of events
/// still in that state. A failed event that no run failed in (a record the app refused before
/// any workflow ran) is listed as one failed row of its own, with no run.
pub fn list(conn: &Db, status: Option<EventStatus>, limit: u32) -> DbResult<Vec<Listed>> {
    // The status is given either way (null for all); PostgreSQL must tell its type.
    let condition = match status {
        Some(_) => "status = ?1",
        None => "finished IS NOT NULL AND CAST(?1 AS TEXT) IS NULL",
    };
    let sql = format!(
        "SELECT id, app, entity, kind, status, finished, message FROM events
         WHERE {condition} ORDER BY id DESC LIMIT {limit}"
    );
    let events = conn.query_map(&sql, args![status], |r| {
        Ok((
            r.get::<i64>(0)?,
            [r.get::<String>(1)?, r.get(2)?, r.get(3)?],
            r.get::<EventStatus>(4)?,
            r.get::<Option<i64>>(5)?.unwrap_or(0),
            r.get::<Option<String>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for (event, [app, entity, kind], event_status, at, message) in events {
        let row = |run, by: String, status: RunStatus, message| Listed {
            event,
            app: app.clone(),
            entity: entity.clone(),
            kind: kind.clone(),
            event_status,
            run,
            by,
            status,
            message,
            at,
        };
        let runs = conn.query_map(
            "SELECT run, by, status, message FROM runs WHERE event = ?1 ORDER BY seq DESC",
            args![event],
            |r| {
                Ok((
                    r.get::<Option<u64>>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                    r.get::<Option<String>>(3)?,
                ))
            },
        )?;
        let mut failed_runs = 0;
        for (run, by, run_status, run_message) in runs {
            let Ok(run_status) = run_status.parse::<RunStatus>() else {
                continue;
            };
            if run_status == RunStatus::Failed {
                failed_runs += 1;
            }
            if status.is_some_and(|s| !run_status.is(s)) {
                continue;
            }
            out.push(row(run, by, run_status, run_message));
        }
        if event_status == EventStatus::Failed && failed_runs == 0 {
            out.push(row(None, "the event".into(), RunStatus::Failed, message));
        }
        if out.len() >= limit as usize {
            break;
        }
    }
    out.truncate(limit as usize);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::journal::Journal;
    use super::*;

    #[test]
    fn runs_kept_as_text_move_into_the_table_once_and_list_as_before() {
        let dir = std::env::temp_dir().join(format!("weir-runs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        // A journal of an earlier weir: runs as text, an object line and an older array line.
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('keys', 'route');
                 CREATE TABLE events (
                   id INTEGER PRIMARY KEY, key TEXT UNIQUE,
                   app TEXT NOT NULL, entity TEXT NOT NULL, kind TEXT NOT NULL,
                   record TEXT NOT NULL, actor TEXT, changed TEXT, received INTEGER NOT NULL,
                   status TEXT NOT NULL DEFAULT 'queued',
                   run_base INTEGER, message TEXT, finished INTEGER, runs TEXT);",
            )
            .unwrap();
            let runs = concat!(
                r#"{"run":7,"by":"to_crm","status":"done","message":null}"#,
                "\n",
                r#"[8,"to_mail","failed","POST /mail answered 422"]"#,
                "\n"
            );
            conn.execute(
                "INSERT INTO events (app, entity, kind, record, received, status, run_base,
                   message, finished, runs)
                 VALUES ('Shop', 'order', 'new', '{}', 1, 'failed', 7, 'x', 5, ?1)",
                [runs],
            )
            .unwrap();
        }
        let journal = Journal::open(&path, false).unwrap();
        let listed = journal.list(None, 10).unwrap();
        let shown: Vec<_> = listed
            .iter()
            .map(|l| (l.run, l.by.as_str(), l.status, l.message.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    Some(8),
                    "to_mail",
                    RunStatus::Failed,
                    Some("POST /mail answered 422")
                ),
                (Some(7), "to_crm", RunStatus::Done, None),
            ]
        );
        let failed = journal.list(Some(EventStatus::Failed), 10).unwrap();
        assert_eq!(failed.len(), 1);
        drop(journal);
        // Moved once: the text is gone, and opening again changes nothing.
        let conn = Connection::open(&path).unwrap();
        let left: Option<String> = conn
            .query_row("SELECT runs FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, None);
        drop(conn);
        let again = Journal::open(&path, false).unwrap();
        assert_eq!(again.list(None, 10).unwrap().len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
