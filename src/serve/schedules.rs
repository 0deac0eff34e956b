//! Schedules under `weir serve`: a thread that watches the wall clock and, when a scheduled
//! workflow (`on every 15m`, `on every day at 08:00 in "Europe/Berlin"`) is due, adds an event
//! of the clock's tick to the journal; the worker runs it like any queued event, with the
//! engine's clock reading the time it was due ([`crate::run::Engine::fire_schedule`]):
//!
//! ```text
//! 08:00:00 due → #57 the clock/clock tick tick {"workflow":"digest","due":…} (key schedule/digest/…)
//! #57 → run 12 digest → …
//! ```
//!
//! The event's key is `schedule/WORKFLOW/DUE`, and the table `schedules` keeps the last time
//! each schedule was handled, written in the same transaction as the event: a stop or a
//! `kill -9` either comes before both (the time fires at the next start) or after both (the
//! event is queued and runs at the next start); it never fires twice. A time missed while
//! weir was down fires once at the next start, at the latest time missed, not once per time
//! missed. A schedule served for the first time starts from the time weir starts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use super::db::DbResult;
use super::journal::{Journal, JournalError, StoredEvent, now_ms};
use crate::args;
use crate::ast::{Every, Schedule};
use crate::program::{CLOCK_APP, CLOCK_TICK, Program, WorkflowId};
use crate::remote::Connected;
use crate::run::schedule::next_after;
use crate::run::{Engine, Outcome};

/// The kind of the events this adds, which no webhook can have.
pub const KIND: &str = "tick";

/// How often the thread looks at the clock (and whether it must stop).
const LOOK: Duration = Duration::from_millis(100);

const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS schedules (workflow TEXT PRIMARY KEY, last_due INTEGER NOT NULL)";

/// The latest time of `schedule` after `last` and not after `now`, if one is.
pub fn due(schedule: &Schedule, last: i64, now: i64) -> Option<i64> {
    let mut at = next_after(schedule, last).filter(|t| *t <= now)?;
    if let Every::Interval(length) = schedule.every.node
        && let Some(n) = length.checked_seconds().filter(|n| *n > 0)
    {
        return Some(now.div_euclid(n) * n);
    }
    // Days and weekdays: as many steps as times were missed.
    while let Some(next) = next_after(schedule, at).filter(|t| *t <= now) {
        at = next;
    }
    Some(at)
}

/// The scheduled workflows of a program.
fn scheduled(program: &Program) -> Vec<(WorkflowId, &Schedule)> {
    program
        .workflows
        .iter()
        .enumerate()
        .filter_map(|(i, w)| Some((WorkflowId(i), &**w.trigger.schedule.as_ref()?)))
        .collect()
}

/// The last time handled of `workflow`'s schedule, if it was ever served.
fn last_due(journal: &Journal, workflow: &str) -> DbResult<Option<i64>> {
    let conn = journal.conn();
    conn.sqlite_schema(SCHEMA)?;
    conn.query_opt(
        "SELECT last_due FROM schedules WHERE workflow = ?1",
        args![workflow],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// In one transaction: the tick of `workflow` due at `at`, and `at` as its last time handled.
/// Whether the event is new (false: it was added before).
pub fn add_tick(journal: &Journal, workflow: &str, at: i64) -> DbResult<bool> {
    journal.conn().sqlite_schema(SCHEMA)?;
    // Immediate: the write lock is waited for at the start, never refused half-way through.
    let tx = journal.conn().transaction_immediate()?;
    let record = json!({ "workflow": workflow, "due": at }).to_string();
    let added = tx.execute(
        "INSERT INTO events (key, app, entity, kind, record, received)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (key) DO NOTHING",
        args![
            format!("schedule/{workflow}/{at}"),
            CLOCK_APP,
            CLOCK_TICK,
            KIND,
            record,
            now_ms()
        ],
    )?;
    tx.execute(
        "INSERT INTO schedules (workflow, last_due) VALUES (?1, ?2)
         ON CONFLICT (workflow) DO UPDATE SET last_due = excluded.last_due",
        args![workflow, at],
    )?;
    tx.commit()?;
    Ok(added == 1)
}

/// Starts the thread of `weir serve` that fires the schedules, if the program has any.
pub fn spawn(
    program: Arc<Program>,
    journal: std::path::PathBuf,
    counters: Arc<super::Counters>,
    stop: Arc<AtomicBool>,
) -> Option<std::thread::JoinHandle<()>> {
    if scheduled(&program).is_empty() {
        return None;
    }
    std::thread::Builder::new()
        .name("weir-schedules".into())
        .spawn(move || {
            let fired =
                Journal::open(&journal, true).and_then(|j| watch(&program, &j, &counters, &stop));
            if let Err(err) = fired {
                eprintln!("error: the schedules are off: {err}");
            }
        })
        .ok()
}

/// Fires each schedule when it is due, until told to stop.
fn watch(
    program: &Program,
    journal: &Journal,
    counters: &super::Counters,
    stop: &AtomicBool,
) -> Result<(), JournalError> {
    let fail = |err| journal.fail(err);
    let start = now_ms() / 1000;
    let mut last = Vec::new();
    for (w, _) in scheduled(program) {
        let name = &program.workflow(w).name;
        last.push(last_due(journal, name).map_err(fail)?.unwrap_or(start));
    }
    while !stop.load(Ordering::SeqCst) {
        let now = now_ms() / 1000;
        for ((w, schedule), last) in scheduled(program).into_iter().zip(last.iter_mut()) {
            let Some(at) = due(schedule, *last, now) else {
                continue;
            };
            if add_tick(journal, &program.workflow(w).name, at).map_err(fail)? {
                counters.accepted();
            }
            *last = at;
        }
        std::thread::sleep(LOOK);
    }
    Ok(())
}

/// Runs a tick: the workflow it names, for the time it was due, as a new chain. A workflow
/// the script served now does not have (or no longer schedules) runs nothing.
pub fn run(engine: &mut Engine<Connected>, p: &Program, event: &StoredEvent) -> Outcome {
    let Ok(record) = serde_json::from_str::<serde_json::Value>(&event.record) else {
        return Outcome::default();
    };
    let (Some(name), Some(at)) = (record["workflow"].as_str(), record["due"].as_i64()) else {
        return Outcome::default();
    };
    match p.workflows.iter().position(|w| *w.name == *name) {
        Some(i) => engine.fire_schedule(WorkflowId(i), at),
        None => Outcome::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{DurationLit, DurationUnit};
    use crate::span::{Span, Spanned};

    fn every(amount: u64, unit: DurationUnit, at: Option<(u32, u32)>) -> Schedule {
        let every = match at {
            Some(_) => Every::Day,
            None => Every::Interval(DurationLit { amount, unit }),
        };
        Schedule {
            every: Spanned::new(every, Span::default()),
            at: at.map(|a| Spanned::new(a, Span::default())),
            zone: None,
            span: Span::default(),
        }
    }

    #[test]
    fn times_missed_fire_once_at_the_latest() {
        let s = every(15, DurationUnit::Minutes, None);
        // Handled 08:00, now 09:07: 08:15 … 09:00 were missed; 09:00 fires.
        assert_eq!(due(&s, 8 * 3600, 9 * 3600 + 420), Some(9 * 3600));
        assert_eq!(due(&s, 9 * 3600, 9 * 3600 + 420), None);
        let day = every(0, DurationUnit::Minutes, Some((8, 0)));
        let days = 86_400;
        assert_eq!(
            due(&day, 8 * 3600, 3 * days + 9 * 3600),
            Some(3 * days + 8 * 3600)
        );
        assert_eq!(due(&day, 8 * 3600, days + 7 * 3600), None);
    }

    #[test]
    fn a_tick_is_added_once_with_its_time() {
        let dir = std::env::temp_dir().join(format!("weir-ticks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        let journal = Journal::open(&path, false).unwrap();
        assert_eq!(last_due(&journal, "digest").unwrap(), None);
        assert!(add_tick(&journal, "digest", 60).unwrap());
        assert!(!add_tick(&journal, "digest", 60).unwrap());
        assert_eq!(last_due(&journal, "digest").unwrap(), Some(60));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
