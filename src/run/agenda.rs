//! What the clock sets off when it moves: schedules (`on every …`, [`super::schedule`]),
//! record-relative timers (`on 24h before start of …`, [`super::timer`]) and waiting runs
//! (`wait 12h`, [`super::wait`]), one at a time, in order of time, each with the clock reading
//! its time while it and its chain run. At the same time, waiting runs go on first (in the
//! order they began waiting), then timers and schedules in script order (a timer's records by
//! id). What one sets off can make another due (a run that writes `start`, or waits again), so
//! the next is looked for after each.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use super::apps::{Apps, Record, RecordRef};
use super::schedule::next_after;
use super::{Engine, Event, Outcome};
use crate::ast::EventKind;
use crate::program::WorkflowId;

/// The next thing due, by its order key `(time, class, a, b)`.
enum Due {
    Wait(usize),
    Timer(WorkflowId, RecordRef, Record),
    Schedule(WorkflowId),
}

impl<A: Apps> Engine<A> {
    /// Fires everything due after the clock's time up to `to`, in order. A scheduled workflow
    /// whose budget of runs is spent is held once and fires no more in this move.
    pub(super) fn fire_due(&mut self, to: i64) -> Outcome {
        let mut out = Outcome::default();
        let program = Arc::clone(&self.program);
        let from = self.now();
        let mut schedules = BinaryHeap::new();
        for (i, w) in program.workflows.iter().enumerate() {
            if let Some(next) = w
                .trigger
                .schedule
                .as_ref()
                .and_then(|s| next_after(s, from))
            {
                schedules.push(Reverse((next, i)));
            }
        }
        let timers: Vec<WorkflowId> = (0..program.workflows.len())
            .map(WorkflowId)
            .filter(|w| program.workflow(*w).trigger.timer.is_some())
            .collect();
        loop {
            let mut next: Option<((i64, u8, u64, u64), Due)> = None;
            let mut consider = |key: (i64, u8, u64, u64), due: Due| {
                if next.as_ref().is_none_or(|(k, _)| key < *k) {
                    next = Some((key, due));
                }
            };
            if let Some((at, seq, i)) = self.core.first_waiting(to) {
                consider((at, 0, seq, 0), Due::Wait(i));
            }
            for &w in &timers {
                if let Some((at, place, record)) = self.first_timer(w, from, to) {
                    consider((at, 1, w.0 as u64, place.id), Due::Timer(w, place, record));
                }
            }
            if let Some(Reverse((at, i))) = schedules.peek().copied()
                && at <= to
            {
                consider((at, 1, i as u64, 0), Due::Schedule(WorkflowId(i)));
            }
            let Some(((at, ..), due)) = next else {
                break;
            };
            self.core.options.now = self.now().max(at);
            match due {
                Due::Wait(i) => self.core.resume(&program, &mut self.apps, i, &mut out),
                Due::Timer(w, place, record) => {
                    self.core.fired.insert((w, place, at));
                    let event =
                        self.clock_event(program.workflow(w).trigger.entity, record, &mut out);
                    let core = &mut self.core;
                    core.consider(&program, &mut self.apps, w, &event, &mut out);
                }
                Due::Schedule(w) => {
                    schedules.pop();
                    let event = self.tick_event(w, at, &mut out);
                    let held = out.held.len();
                    let core = &mut self.core;
                    core.consider(&program, &mut self.apps, w, &event, &mut out);
                    // Held itself (its budget spent), not something further down its chain.
                    let stopped = out.held.len() > held;
                    let schedule = program.workflow(w).trigger.schedule.as_ref();
                    if !stopped && let Some(next) = schedule.and_then(|s| next_after(s, at)) {
                        schedules.push(Reverse((next, w.0)));
                    }
                }
            }
            self.core.settle(&program, &mut self.apps, &mut out);
        }
        self.core.totals += out.counts;
        out
    }

    /// Runs the scheduled workflow `w` once for its time `at`, as a new chain, with the clock
    /// reading `at` while it and its chain run: `weir serve` fires its schedules so, one
    /// journaled event each ([`crate::serve::schedules`]). Not a scheduled workflow: nothing.
    pub fn fire_schedule(&mut self, w: WorkflowId, at: i64) -> Outcome {
        let mut out = Outcome::default();
        let program = Arc::clone(&self.program);
        if program.workflow(w).trigger.schedule.is_none() {
            return out;
        }
        self.core.options.now = at;
        let event = self.tick_event(w, at, &mut out);
        self.core
            .consider(&program, &mut self.apps, w, &event, &mut out);
        self.core.settle(&program, &mut self.apps, &mut out);
        self.core.totals += out.counts;
        out
    }

    /// Runs the timer workflow `w` on `record` for its time `at`, as a new chain, with the
    /// clock reading `at` while it and its chain run: `weir serve` fires its timers so, one
    /// journaled event each ([`crate::serve::timers`]). The trigger's `where` is asked as the
    /// simulator asks it. Not a timer workflow: nothing.
    pub fn fire_timer(&mut self, w: WorkflowId, record: Record, at: i64) -> Outcome {
        let mut out = Outcome::default();
        let program = Arc::clone(&self.program);
        if program.workflow(w).trigger.timer.is_none() {
            return out;
        }
        self.core.options.now = at;
        let event = self.clock_event(program.workflow(w).trigger.entity, record, &mut out);
        self.core
            .consider(&program, &mut self.apps, w, &event, &mut out);
        self.core.settle(&program, &mut self.apps, &mut out);
        self.core.totals += out.counts;
        out
    }

    /// The tick of `w`'s schedule due at `at`; its id is that time, so that a trace can tell it.
    fn tick_event(&mut self, w: WorkflowId, at: i64, out: &mut Outcome) -> Event {
        let mut record = Record::empty(0);
        record.id = at.cast_unsigned();
        let entity = self.program.workflow(w).trigger.entity;
        self.clock_event(entity, record, out)
    }

    /// An event of the clock's on `record`, counted and traced: the tick of a schedule, or
    /// the record a timer fires on (then `updated`, as the trigger says).
    fn clock_event(
        &mut self,
        entity: crate::program::EntityId,
        record: Record,
        out: &mut Outcome,
    ) -> Event {
        let kind = match self.program.app(self.program.entity(entity).app).is_clock() {
            true => EventKind::New,
            false => EventKind::Updated,
        };
        let event = Event {
            id: self.core.next_event,
            kind,
            entity,
            record,
            origin: Arc::from("clock"),
            changed: None,
            cause: None,
            conflict: None,
            failure: None,
        };
        self.core.next_event += 1;
        out.counts.events += 1;
        if self.core.options.trace {
            out.trace
                .push(super::trace::TraceItem::Event(event.clone()));
        }
        event
    }
}
