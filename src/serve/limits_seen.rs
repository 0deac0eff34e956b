//! The windows of rate limits, kept in the journal's `limits_seen` table.
//!
//! A step's windows are rows of the same table, their key prefixed by the step's identity
//! ([`crate::run::limit::step_key`]), which no trigger's key can be: a digest of what the step
//! does, so that `weir fmt` or an edit of another step keeps its windows. Journals of an
//! earlier weir keyed them by the line of the limit; such a row is read as the step whose limit
//! now stands on that line.
//!
//! A run of a workflow with `at most once per 60s per device` opens a window for its device;
//! the row `(workflow, key, at)` says when. The rows are written with each batch of finished
//! events and read back at start, so that a restart of `weir serve` does not open every
//! window again and let a storm through:
//!
//! ```text
//! limits_seen: page_on_call | boiler-1 | 1893456000    # a reading of boiler-1 at +30s after a
//!                                                      # restart is skipped, as without one
//! ```
//!
//! Rows name workflows, not their indexes, so a script that gains a workflow keeps them; a row
//! of a workflow the script no longer has is ignored. The rows are written after the batch's
//! own transaction: a crash between the two forgets the windows of that batch, which lets at
//! most one more run through per window, never one less. Where several servers share a
//! PostgreSQL journal, each window is also opened in this table as its run starts, once for
//! all of them ([`super::granted::open_window`]).

use std::sync::Arc;

use super::db::DbResult;
use super::journal::{Finished, Journal, JournalError};
use crate::args;
use crate::program::{Program, WorkflowId};
use crate::run::Engine;
use crate::run::apps::Apps;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS limits_seen (
    workflow TEXT NOT NULL,
    key TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (workflow, key)
)";

/// An outcome's notes as rows: the workflow by name.
pub fn rows(p: &Program, limited: &[(WorkflowId, Arc<str>, i64)]) -> Vec<(String, String, i64)> {
    limited
        .iter()
        .map(|(w, key, at)| (p.workflow(*w).name.to_string(), key.to_string(), *at))
        .collect()
}

/// Writes the windows a batch opened.
pub fn keep(journal: &Journal, batch: &[Finished]) -> Result<(), JournalError> {
    if batch.iter().all(|f| f.limited.is_empty()) {
        return Ok(());
    }
    let conn = journal.conn();
    let run = || -> DbResult<()> {
        conn.sqlite_schema(SCHEMA)?;
        for (workflow, key, at) in batch.iter().flat_map(|f| &f.limited) {
            conn.execute(
                "INSERT INTO limits_seen (workflow, key, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (workflow, key) DO UPDATE SET at = CASE
                   WHEN excluded.at > limits_seen.at THEN excluded.at ELSE limits_seen.at END",
                args![workflow, key, at],
            )?;
        }
        Ok(())
    };
    run().map_err(|e| journal.fail(e))
}

/// Gives the engine back the windows the journal kept.
pub fn restore<A: Apps>(journal: &Journal, engine: &mut Engine<A>) -> Result<(), JournalError> {
    let conn = journal.conn();
    let read = || -> DbResult<Vec<(String, String, i64)>> {
        conn.sqlite_schema(SCHEMA)?;
        conn.query_map("SELECT workflow, key, at FROM limits_seen", &[], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    };
    let rows = read().map_err(|e| journal.fail(e))?;
    let p = Arc::clone(engine.program());
    for (workflow, key, at) in rows {
        if let Some(w) = p.workflows.iter().position(|w| *w.name == *workflow) {
            // A step's window from before steps had identities: by the line of its limit.
            let key = crate::run::limit::step_key_by_line(&p.workflows[w].steps, &key)
                .unwrap_or_else(|| Arc::from(key));
            engine.restore_limit(WorkflowId(w), key, at);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::Policy;
    use crate::run::Options;
    use crate::serve::journal::NewEvent;
    use crate::serve::worker::Worker;

    const SENSORS: &str = "app Sensors { reading { device: text } }
on new reading in Sensors at most once per 1h per device do notify \"{device} is hot\"\n";

    /// A step limited to once an hour per device, after a step that always runs.
    const STEP: &str = "app Sensors { reading { device: text } }
workflow hot {
  on new reading in Sensors
  notify \"{device} is read\"
  notify \"{device} is hot\" at most once per 1h per device
}\n";

    fn worker(path: &std::path::Path) -> Worker {
        worker_of(path, SENSORS)
    }

    fn program_of(script: &str) -> Arc<Program> {
        let loaded = crate::load::parse_all(vec![("s.weir".into(), script.into())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors());
        Arc::new(checked.program)
    }

    fn worker_of(path: &std::path::Path, script: &str) -> Worker {
        let program = program_of(script);
        match Worker::open(path, program, Options::default(), Policy::default()) {
            Ok(worker) => worker,
            Err(err) => panic!("the worker starts: {err:?}"),
        }
    }

    /// Accepts a reading of `device` and runs it; the number of notifications it sent.
    fn reading(path: &std::path::Path, w: &mut Worker, device: &str) -> usize {
        let mut journal = Journal::open(path, false).unwrap();
        journal
            .accept(&[NewEvent {
                key: None,
                app: "Sensors".into(),
                entity: "reading".into(),
                kind: "new".into(),
                record: format!("{{\"device\": \"{device}\"}}"),
                actor: None,
                changed: None,
            }])
            .unwrap();
        let event = journal
            .queued()
            .unwrap()
            .pop()
            .expect("the reading is queued");
        let finished = w.run(&event, false);
        let notes = finished.notes.len();
        w.commit(&[finished]).unwrap();
        notes
    }

    #[test]
    fn a_window_opened_before_a_restart_still_skips_runs_after_it() {
        let dir = std::env::temp_dir().join(format!("weir-limits-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        let mut w = worker(&path);
        assert_eq!(reading(&path, &mut w, "a"), 1, "the first reading alerts");
        assert_eq!(
            reading(&path, &mut w, "a"),
            0,
            "the second falls within the hour"
        );
        drop(w);
        let mut w = worker(&path);
        assert_eq!(reading(&path, &mut w, "a"), 0, "a restart keeps the window");
        assert_eq!(reading(&path, &mut w, "b"), 1, "another device has its own");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// [`STEP`] laid out again, with a comment and a step more above the limited one.
    const STEP_EDITED: &str = "app Sensors { reading { device: text } }

# Alerts once an hour per device.
workflow hot {
  on new reading in Sensors
  notify \"{device} is read\"
  notify \"#log\" \"{device} read\"
  notify   \"{device} is hot\"   at most once per 1h per device
}\n";

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("weir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_steps_window_outlives_a_new_layout_and_an_edit_above_it() {
        let dir = scratch("step-limits-edited");
        let path = dir.join("weir.db");
        let mut w = worker_of(&path, STEP);
        assert_eq!(reading(&path, &mut w, "a"), 2, "both steps run");
        drop(w);
        let mut w = worker_of(&path, STEP_EDITED);
        assert_eq!(
            reading(&path, &mut w, "a"),
            2,
            "the steps before it run, the limited step is still within its hour"
        );
        assert_eq!(reading(&path, &mut w, "b"), 3, "another device has its own");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_steps_window_kept_by_its_line_in_an_earlier_journal_is_still_read() {
        let dir = scratch("step-limits-by-line");
        let path = dir.join("weir.db");
        let w = worker_of(&path, STEP);
        let line = match &program_of(STEP).workflows[0].steps[1].limit {
            Some(limit) => limit.line,
            None => panic!("the second step is limited"),
        };
        // As the earlier weir wrote it: the line, and the device as a quoted text.
        let key = format!("\u{1f}{line}\u{1f}\"a\"");
        let now = crate::serve::journal::now_ms() / 1000;
        let journal = Journal::open(&path, false).unwrap();
        journal.conn().sqlite_schema(SCHEMA).unwrap();
        journal
            .conn()
            .execute(
                "INSERT INTO limits_seen (workflow, key, at) VALUES ('hot', ?1, ?2)",
                crate::args![key, now],
            )
            .unwrap();
        drop(w);
        let mut w = worker_of(&path, STEP);
        assert_eq!(
            reading(&path, &mut w, "a"),
            1,
            "the window the earlier journal kept skips the limited step"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_steps_window_is_kept_apart_from_the_triggers_and_across_a_restart() {
        let dir = std::env::temp_dir().join(format!("weir-step-limits-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        let mut w = worker_of(&path, STEP);
        assert_eq!(reading(&path, &mut w, "a"), 2, "both steps run");
        assert_eq!(
            reading(&path, &mut w, "a"),
            1,
            "the limited step is skipped"
        );
        drop(w);
        let mut w = worker_of(&path, STEP);
        assert_eq!(
            reading(&path, &mut w, "a"),
            1,
            "a restart keeps the step's window"
        );
        assert_eq!(reading(&path, &mut w, "b"), 2, "another device has its own");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
