//! Record-relative timers: `on 24h before start of appointment in Clinic where status ==
//! "booked"` runs once for each record when the clock reaches the record's `start` minus 24h.
//!
//! Nothing is planned ahead: when the clock moves, the records are read as they are, so a
//! record whose `start` changed is timed from its new `start`, and one deleted has no timer.
//! The trigger's `where` is asked when the timer fires: a record that stopped matching is
//! passed over. Each record fires once for each time it was due (the engine keeps the times
//! that fired), so moving `start` plans the timer again:
//!
//! ```text
//! at 2030-05-01T08:00
//! user creates appointment in Clinic { start: time("2030-05-03T10:00:00Z"), status: "booked" }
//! advance 1d        # nothing yet: due at 2030-05-02T10:00
//! advance 2h        # fires once, on the clock's reading of 2030-05-02T10:00
//! ```
//!
//! A time already past when the record is written does not fire (as a schedule's time the
//! clock starts on is past). The run's event is an `updated` event of the record, from the
//! clock, which starts a chain of its own.

use super::Engine;
use super::apps::{Apps, Record, RecordRef};
use super::eval::{Scope, Subject};
use crate::program::{Program, WorkflowId};
use crate::value::{Label, Value};

/// The time a record's timer is due: its field, moved by the timer's offset.
pub fn due(program: &Program, workflow: WorkflowId, record: &Record) -> Option<i64> {
    let timer = program.workflow(workflow).trigger.timer.as_ref()?;
    match record.get(timer.field) {
        Value::Time(t) => t.checked_add(timer.offset),
        _ => None,
    }
}

/// Whether `record` passes the trigger's `where` of the timer `workflow`, with the clock at
/// `now`, as it is asked when the timer fires. A `where` that fails to evaluate passes: the
/// timer is kept, and its run says what failed when it fires.
pub fn matches(program: &Program, workflow: WorkflowId, record: &Record, now: i64) -> bool {
    let trigger = &program.workflow(workflow).trigger;
    let Some(condition) = &trigger.condition else {
        return true;
    };
    let origin = Label::from("clock");
    let scope = Scope {
        program,
        now,
        trigger: Some(Subject {
            entity: trigger.entity,
            record: record.view(),
        }),
        target: None,
        origin: Some(&origin),
        locals: &[],
        conflict: None,
        failure: None,
    };
    super::eval::truth(condition, &scope).unwrap_or(true)
}

impl<A: Apps> Engine<A> {
    /// The timer of `workflow` due first after `after` (and not before the clock's time), no
    /// later than `to`, that has not fired: its time and record.
    pub(super) fn first_timer(
        &self,
        workflow: WorkflowId,
        after: i64,
        to: i64,
    ) -> Option<(i64, RecordRef, Record)> {
        let program = &*self.program;
        let entity = program.workflow(workflow).trigger.entity;
        let now = self.now();
        let fired = &self.core.fired;
        let mut first: Option<(i64, RecordRef, Record)> = None;
        // An app that cannot list its records has no timers the engine can see.
        let records = self.apps.select(entity, &mut |_| true).unwrap_or_default();
        for record in records {
            let Some(at) = due(program, workflow, &record) else {
                continue;
            };
            let place = RecordRef::new(entity, record.id);
            if at <= after || at < now || at > to || fired.contains(&(workflow, place, at)) {
                continue;
            }
            if first
                .as_ref()
                .is_none_or(|(t, r, _)| (at, place.id) < (*t, r.id))
            {
                first = Some((at, place, record));
            }
        }
        first
    }
}
