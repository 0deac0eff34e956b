//! Record timers under `weir serve`: `on 24h before start of appointment in Clinic where status
//! == "booked"` is planned when an event changes a record it watches, and fired by the clock.
//!
//! ```text
//! #41 new Clinic/appointment {start: 05-03T10:00, status: booked}
//!       → timers: remind | Clinic/appointment/3 | 05-02T10:00 | planned   (with #41's group)
//! #52 updated Clinic/appointment/3 {start: 05-03T15:00}
//!       → timers: remind | Clinic/appointment/3 | 05-02T15:00 | planned   (re-planned)
//! 05-02T15:00 due → #60 timer Clinic/appointment (key timer/remind/Clinic/appointment/3/…)
//!       → timers: … | fired                                              (same transaction)
//! #60 → run 95 remind on Clinic/appointment/3, the clock reading 05-02T15:00
//! ```
//!
//! The table `timers` has one row for each workflow and record: the time it is due and whether
//! it fired. An event's plans travel with its other changes and are written in the transaction
//! of its group ([`super::recording`]), so after a `kill -9` the rows are exactly where the
//! events marked done left them. A record deleted, or one that stops matching the trigger's
//! `where`, loses its row; a time already past when the record is written is not planned (as
//! in the simulator, [`crate::run::timer`]). The clock ([`super::schedules`]) adds a timer's
//! event and marks its row fired in one transaction: a time never fires twice, and is never
//! lost. A row that fired fires again only once its record moves it to another time.
//! At start, the simulated apps' records with no row are planned ([`sweep`]).
//!
//! The timer's event names the workflow, the record and the time; when it runs, the record is
//! read as it is then (a simulated app's from the simulator, a real app's as its last event
//! reported it), and a timer planned again or cancelled since it fired runs nothing.

use serde_json::{Value as Json, json};

use super::db::{Db, DbResult};
use super::journal::{Journal, StoredEvent};
use crate::args;
use crate::program::{EntityId, Program, WorkflowId};
use crate::remote::Connected;
use crate::run::apps::{Apps, Record, RecordRef};
use crate::run::{Engine, Outcome, state, timer};

/// The kind of the events the clock adds for timers, which no webhook can have.
pub const KIND: &str = "timer";

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS timers (
  workflow TEXT NOT NULL, record TEXT NOT NULL, due INTEGER NOT NULL,
  fired INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL,
  PRIMARY KEY (workflow, record)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_due ON timers (fired, due);";

/// A timer an event planned (`due`: its time and the record as JSON) or cancelled (`None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub workflow: String,
    /// `Clinic/appointment/3`.
    pub record: String,
    pub due: Option<(i64, String)>,
}

/// Whether a timer of `p` watches the records of `entity`.
pub fn watched(p: &Program, entity: EntityId) -> bool {
    p.workflows
        .iter()
        .any(|w| w.trigger.timer.is_some() && w.trigger.entity == entity)
}

/// The timers of `p` watching the record at `at`, now that it is `record` (`None`: deleted):
/// planned if its time is after `since` (when the change was received) and it matches the
/// trigger's `where`, cancelled otherwise.
pub fn plans(p: &Program, at: RecordRef, record: Option<&Record>, since: i64) -> Vec<Plan> {
    let mut out = Vec::new();
    for (i, w) in p.workflows.iter().enumerate() {
        if w.trigger.timer.is_none() || w.trigger.entity != at.entity {
            continue;
        }
        let workflow = WorkflowId(i);
        let due = record.and_then(|r| {
            let due = timer::due(p, workflow, r).filter(|d| *d > since)?;
            timer::matches(p, workflow, r, since).then_some(due)
        });
        out.push(Plan {
            workflow: w.name.to_string(),
            record: at.show(p).to_string(),
            due: due
                .zip(record)
                .map(|(due, r)| (due, state::record_entry(p, at.entity, r.view()).to_string())),
        });
    }
    out
}

/// Writes a group's plans, in order, in its transaction. A time planned again as it was keeps
/// whether it fired.
pub fn write(tx: &Db, plans: &[Plan]) -> DbResult<()> {
    for plan in plans {
        match &plan.due {
            Some((due, json)) => tx.execute(
                "INSERT INTO timers (workflow, record, due, fired, json) VALUES (?1, ?2, ?3, 0, ?4)
                 ON CONFLICT (workflow, record) DO UPDATE SET
                   fired = CASE WHEN timers.due = excluded.due THEN timers.fired ELSE 0 END,
                   due = excluded.due, json = excluded.json",
                args![plan.workflow, plan.record, *due, json],
            )?,
            None => tx.execute(
                "DELETE FROM timers WHERE workflow = ?1 AND record = ?2",
                args![plan.workflow, plan.record],
            )?,
        };
    }
    Ok(())
}

/// At start: plans the timers of the simulated apps' records that have no row, as if each
/// record had just been written at `now` (a script that gains a timer, or a journal of an
/// earlier weir). A row is never changed here: one that fired stays fired. Real apps' records
/// are planned at their next event. How many were planned.
pub fn sweep(journal: &Journal, engine: &Engine<Connected>, now: i64) -> DbResult<u64> {
    let p = engine.program();
    let mut entities: Vec<_> = p
        .workflows
        .iter()
        .filter(|w| w.trigger.timer.is_some())
        .map(|w| w.trigger.entity)
        .filter(|e| !engine.apps().remote(*e))
        .collect();
    entities.sort_by_key(|e| e.0);
    entities.dedup();
    let mut planned = Vec::new();
    for entity in entities {
        let records = engine.apps().sim().select(entity, &mut |_| true);
        for record in records.unwrap_or_default() {
            let at = RecordRef::new(entity, record.id);
            planned.extend(plans(p, at, Some(&record), now));
        }
    }
    let tx = journal.conn().transaction_immediate()?;
    let mut added = 0;
    for plan in &planned {
        if let Some((due, json)) = &plan.due {
            added += tx.execute(
                "INSERT INTO timers (workflow, record, due, fired, json) VALUES (?1, ?2, ?3, 0, ?4)
                 ON CONFLICT (workflow, record) DO NOTHING",
                args![plan.workflow, plan.record, *due, json],
            )?;
        }
    }
    tx.commit()?;
    Ok(added)
}

/// In one transaction: an event for each timer due by `now` that has not fired, and each
/// marked fired. How many events are new.
pub fn fire_due(journal: &Journal, now: i64) -> DbResult<u64> {
    if !super::schedules::any_due(journal, "timers", now)? {
        return Ok(0);
    }
    // Immediate: the write lock is waited for at the start, never refused half-way through.
    let tx = journal.conn().transaction_immediate()?;
    let due: Vec<(String, String, i64, String)> = tx.query_map(
        "SELECT workflow, record, due, json FROM timers
         WHERE fired = 0 AND due <= ?1 ORDER BY due, workflow, record",
        args![now],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut added = 0;
    for (workflow, record, at, json) in due {
        let mut parts = record.splitn(3, '/');
        let (app, entity) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let body = json!({ "workflow": workflow, "record": record, "due": at, "fields": json });
        let key = format!("timer/{workflow}/{record}/{at}");
        added += super::schedules::add_event(&tx, &key, (app, entity, KIND), &body)?;
        tx.execute(
            "UPDATE timers SET fired = 1 WHERE workflow = ?1 AND record = ?2 AND due = ?3",
            args![workflow, record, at],
        )?;
    }
    tx.commit()?;
    Ok(added)
}

/// A timer not fired yet: `(workflow, record, due)`, the first due first.
pub fn planned(journal: &Journal) -> DbResult<Vec<(String, String, i64)>> {
    journal.conn().query_map(
        "SELECT workflow, record, due FROM timers WHERE fired = 0 ORDER BY due, workflow, record",
        args![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// The time a timer is planned for in the journal, fired or not.
fn recorded_due(journal: &Journal, workflow: &str, record: &str) -> DbResult<Option<i64>> {
    journal
        .conn()
        .query_opt(
            "SELECT due FROM timers WHERE workflow = ?1 AND record = ?2",
            args![workflow, record],
        )?
        .map(|r| r.get(0))
        .transpose()
}

/// The latest word on a timer among `plans`, oldest first: its time, `Some(None)` if they
/// cancelled it, `None` if they do not name it.
pub fn last_word<'a>(
    plans: impl DoubleEndedIterator<Item = &'a Plan>,
    workflow: &str,
    record: &str,
) -> Option<Option<i64>> {
    plans
        .rev()
        .find(|p| p.workflow == workflow && p.record == record)
        .map(|p| p.due.as_ref().map(|(due, _)| *due))
}

/// Runs a timer's event: its workflow on its record, as a new chain, with the clock reading
/// the time it was due; nothing if the timer was planned again or cancelled since, or the
/// script no longer has it. `unrecorded` gives the latest word on a timer among the events
/// run and not recorded yet, which is newer than the journal's; the journal's row is read
/// otherwise, as the other servers of a shared journal may have moved it since.
pub fn run(
    engine: &mut Engine<Connected>,
    journal: &Journal,
    unrecorded: impl Fn(&str, &str) -> Option<Option<i64>>,
    event: &StoredEvent,
) -> Outcome {
    let p = std::sync::Arc::clone(engine.program());
    let Some((w, at, due, saved)) = read(&p, event) else {
        return Outcome::default();
    };
    let name = &*p.workflow(w).name;
    let record = event_record(event);
    let planned = match unrecorded(name, &record) {
        Some(planned) => planned,
        None => recorded_due(journal, name, &record).ok().flatten(),
    };
    if planned != Some(due) {
        return Outcome::default();
    }
    let record = if engine.apps().remote(at.entity) {
        Some(saved)
    } else {
        engine.apps().sim().get(at).ok().flatten()
    };
    match record {
        Some(record) if timer::due(&p, w, &record) == Some(due) => {
            engine.fire_timer(w, record, due)
        }
        _ => Outcome::default(),
    }
}

fn event_record(event: &StoredEvent) -> String {
    serde_json::from_str::<Json>(&event.record)
        .ok()
        .and_then(|j| j["record"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A timer's event read against the script: workflow, record, time, and the record as the
/// timer's row kept it.
fn read(p: &Program, event: &StoredEvent) -> Option<(WorkflowId, RecordRef, i64, Record)> {
    let body: Json = serde_json::from_str(&event.record).ok()?;
    let name = body["workflow"].as_str()?;
    let w = WorkflowId(p.workflows.iter().position(|w| *w.name == *name)?);
    p.workflow(w).trigger.timer.as_ref()?;
    let at = state::record_ref(p, body["record"].as_str()?).ok()?;
    let due = body["due"].as_i64()?;
    let fields: Json = serde_json::from_str(body["fields"].as_str()?).ok()?;
    let record = state::decode_entry(p, at.entity, &fields, "timer").ok()?;
    Some((w, at, due, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::Policy;
    use crate::run::Options;
    use crate::serve::journal::NewEvent;
    use crate::serve::worker::Worker;

    const CLINIC: &str = "app Clinic { appointment { patient: text, start: time } }
workflow remind {
  on 1s before start of appointment in Clinic
  notify \"remind {patient}\"
}
";

    fn clinic(path: &std::path::Path) -> Worker {
        let loaded = crate::load::parse_all(vec![("c.weir".into(), CLINIC.into())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors());
        let program = std::sync::Arc::new(checked.program);
        match Worker::open(path, program, Options::default(), Policy::default()) {
            Ok(worker) => worker,
            Err(err) => panic!("the worker starts: {err:?}"),
        }
    }

    fn accept(journal: &mut Journal, kind: &str, record: &Json) {
        journal
            .accept(&[NewEvent {
                key: None,
                app: "Clinic".into(),
                entity: "appointment".into(),
                kind: kind.into(),
                record: record.to_string(),
                actor: None,
                changed: None,
            }])
            .unwrap();
    }

    /// Runs the events queued, each held for the next group: how many reminders they sent.
    fn run_queued(journal: &Journal, w: &mut Worker) -> usize {
        let mut sent = 0;
        for event in journal.queued().unwrap() {
            let finished = w.run(&event, false);
            sent += finished.notes.len();
            w.hold(finished);
        }
        sent
    }

    fn at(seconds: i64) -> String {
        jiff::Timestamp::from_second(seconds).unwrap().to_string()
    }

    /// A journal with a worker on it, and a time an hour from now.
    fn scratch(name: &str) -> (std::path::PathBuf, Journal, Worker, i64) {
        let dir = std::env::temp_dir().join(format!("weir-timers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("weir.db");
        let journal = Journal::open(&path, false).unwrap();
        let w = clinic(&path);
        let start = super::super::journal::now_ms() / 1000 + 3600;
        (dir, journal, w, start)
    }

    #[test]
    fn a_timer_another_server_moved_since_this_one_planned_it_does_not_fire_at_its_old_time() {
        let (dir, mut journal, mut w, start) = scratch("moved");
        accept(
            &mut journal,
            "new",
            &json!({"patient": "ada", "start": at(start)}),
        );
        assert_eq!(run_queued(&journal, &mut w), 0);
        w.commit(&[]).unwrap();
        let a = "Clinic/appointment/1";
        assert_eq!(
            planned(&journal).unwrap(),
            [("remind".into(), a.into(), start - 1)]
        );
        // Its time comes, and another server moves it before this one runs its event.
        assert_eq!(fire_due(&journal, start - 1).unwrap(), 1);
        written(&mut journal, &[plan(a, Some(start + 60))]);
        assert_eq!(run_queued(&journal, &mut w), 0, "not run at its old time");
        w.commit(&[]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_timer_moved_by_an_event_not_recorded_yet_fires_at_its_new_time_only() {
        let (dir, mut journal, mut w, start) = scratch("held");
        accept(
            &mut journal,
            "new",
            &json!({"patient": "ada", "start": at(start)}),
        );
        run_queued(&journal, &mut w);
        w.commit(&[]).unwrap();
        // Moved by an event that runs before the timer's, in the same group: the journal
        // still has the old time when the timer's event runs.
        let moved = json!({"id": "Clinic/appointment/1", "start": at(start + 60)});
        accept(&mut journal, "updated", &moved);
        assert_eq!(fire_due(&journal, start - 1).unwrap(), 1);
        assert_eq!(run_queued(&journal, &mut w), 0, "not run at its old time");
        w.commit(&[]).unwrap();
        assert_eq!(fire_due(&journal, start + 59).unwrap(), 1);
        assert_eq!(run_queued(&journal, &mut w), 1, "run at its new time");
        w.commit(&[]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn plan(record: &str, due: Option<i64>) -> Plan {
        Plan {
            workflow: "remind".into(),
            record: record.into(),
            due: due.map(|d| (d, "{}".to_string())),
        }
    }

    fn written(journal: &mut Journal, plans: &[Plan]) {
        let tx = journal.conn().transaction().unwrap();
        write(&tx, plans).unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn a_timer_fires_once_and_again_only_at_another_time() {
        let dir = std::env::temp_dir().join(format!("weir-timers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut journal = Journal::open(&dir.join("weir.db"), false).unwrap();
        let a = "Clinic/appointment/1";
        let b = "Clinic/appointment/2";
        written(&mut journal, &[plan(a, Some(100)), plan(b, Some(100))]);
        // The second is cancelled in the same group, after it was planned.
        written(&mut journal, &[plan(b, None)]);
        assert_eq!(fire_due(&journal, 99).unwrap(), 0);
        assert_eq!(fire_due(&journal, 100).unwrap(), 1);
        assert_eq!(fire_due(&journal, 200).unwrap(), 0);
        assert!(planned(&journal).unwrap().is_empty());
        // Planned again at the same time (another field changed): it does not fire again.
        written(&mut journal, &[plan(a, Some(100))]);
        assert_eq!(fire_due(&journal, 200).unwrap(), 0);
        // At another time, it does.
        written(&mut journal, &[plan(a, Some(150))]);
        assert_eq!(
            planned(&journal).unwrap(),
            [("remind".into(), a.into(), 150)]
        );
        assert_eq!(fire_due(&journal, 200).unwrap(), 1);
        let keys: Vec<String> = journal
            .conn()
            .query_map("SELECT key FROM events ORDER BY id", args![], |r| r.get(0))
            .unwrap();
        assert_eq!(
            keys,
            [
                "timer/remind/Clinic/appointment/1/100",
                "timer/remind/Clinic/appointment/1/150"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
