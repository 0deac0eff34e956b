//! Failed runs as events: when a run of a workflow fails, the workflows `on failed run of` it
//! run on the record it was on, and those `on failed run` (of any workflow) run on no record;
//! all read `error.message`, `error.workflow` and `error.event`.
//!
//! A run of a workflow on failed runs that fails raises nothing more, so failures cannot chain
//! (the checker refuses to name such a workflow, E0211, and `on failed run` leaves them out). The failed-run event keeps the chain of
//! the run that failed, so a workflow on failed runs that writes back into a loop is held like
//! any other hop.

use std::sync::Arc;

use smol_str::SmolStr;

use super::apps::{Apps, Record};
use super::error::Failure;
use super::guard::{Actor, Chain};
use super::{Core, Engine, Event, Outcome};
use crate::ast::EventKind;
use crate::program::EntityId;
use crate::program::{FailedOf, FailurePart, Program, WorkflowId};

/// A failed run, as a workflow on it reads it: each part a text.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureNote {
    /// The workflow whose run failed.
    pub workflow: WorkflowId,
    pub message: SmolStr,
    pub name: SmolStr,
    /// `the new order Shop/order/3`.
    pub event: SmolStr,
}

impl FailureNote {
    pub fn part(&self, part: FailurePart) -> &SmolStr {
        match part {
            FailurePart::Message => &self.message,
            FailurePart::Workflow => &self.name,
            FailurePart::Event => &self.event,
        }
    }
}

/// An event as `error.event` tells it: `the new order Shop/order/3`, or the schedule's tick.
pub fn event_text(p: &Program, event: &Event) -> String {
    let entity = p.entity(event.entity);
    if p.app(entity.app).is_clock() {
        super::schedule::tick_text(event)
    } else {
        format!("the {} {} {}", event.kind, entity.name, event.at().show(p))
    }
}

/// Files `workflow`, on the failed runs `of` names, under each workflow whose failures it
/// hears (never under a workflow on failed runs: their failures raise nothing).
pub(super) fn listen(
    p: &Program,
    of: FailedOf,
    workflow: WorkflowId,
    on_failure: &mut [Vec<WorkflowId>],
) {
    for (i, heard) in on_failure.iter_mut().enumerate() {
        let failing = WorkflowId(i);
        if of.covers(failing) && p.workflow(failing).trigger.failed.is_none() {
            heard.push(workflow);
        }
    }
}

impl Core {
    /// Keeps the event a run of `workflow` goes on from (as it starts, or after a wait), where
    /// workflows hear its failures: a write it makes may fail after the run, and they then run
    /// on that event.
    pub(super) fn hear(&self, workflow: WorkflowId, run: u64, event: &Event, out: &mut Outcome) {
        if self.options.runs && !self.on_failure[workflow.0].is_empty() {
            out.heard.push((run, event.clone()));
        }
    }

    /// Queues the failed-run event of a run of `by` that failed on `event`, if any workflow is
    /// on its failed runs and `by` is not itself on failed runs.
    pub(super) fn raise_failure(
        &mut self,
        p: &Program,
        by: Actor,
        event: &Event,
        failure: &Failure,
    ) {
        let Actor::Workflow(workflow) = by else {
            return;
        };
        if p.workflow(workflow).trigger.failed.is_some() || self.on_failure[workflow.0].is_empty() {
            return;
        }
        let note = FailureNote {
            workflow,
            message: SmolStr::new(failure.error.kind.to_string()),
            name: SmolStr::new(&*failure.by),
            event: SmolStr::new(&failure.trigger),
        };
        self.queue.push_back(Event {
            failure: Some(Arc::new(note)),
            conflict: None,
            ..event.clone()
        });
    }

    /// Runs every workflow on the failed run an event carries.
    pub(super) fn failed_event<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        event: &Event,
        out: &mut Outcome,
    ) {
        let Some(note) = &event.failure else { return };
        let of = note.workflow;
        for i in 0..self.on_failure[of.0].len() {
            let workflow = self.on_failure[of.0][i];
            self.consider(p, apps, workflow, event, out);
        }
    }
}

/// A run that failed after the engine let go of it: under `weir serve`, a write to a real app
/// that the outbox gave up on once the run had finished.
#[derive(Clone, Debug)]
pub struct LateFailure {
    pub workflow: WorkflowId,
    pub message: SmolStr,
    /// `the new order Shop/order/3`.
    pub event: SmolStr,
    /// The record the run was on, as it came in, when known: without it only the workflows
    /// `on failed run` (which read no record) run, not those `on failed run of` it.
    pub record: Option<(EventKind, EntityId, Record)>,
    /// The chain of the event the run started on: the failed run goes on in it, as it does
    /// when the engine sees the run fail, so the guard holds a loop through failures.
    pub cause: Chain,
}

impl<A: Apps> Engine<A> {
    /// Runs the workflows on a failure the engine did not see happen, in the chain of the run
    /// that failed.
    pub fn failed_later(&mut self, late: LateFailure) -> Outcome {
        let p = Arc::clone(&self.program);
        let mut out = Outcome::default();
        let failing = late.workflow;
        if p.workflow(failing).trigger.failed.is_some() {
            return out;
        }
        let whole = late.record.is_some();
        let (kind, entity, record) = late.record.unwrap_or_else(|| {
            let t = &p.workflow(failing).trigger;
            let fields = p.entity(t.entity).fields.len();
            (t.kind, t.entity, Record::empty(fields))
        });
        let note = FailureNote {
            workflow: failing,
            message: late.message,
            name: SmolStr::new(&*p.workflow(failing).name),
            event: late.event,
        };
        let core = &mut self.core;
        let event = Event {
            id: core.next_event,
            kind,
            entity,
            record,
            origin: core.user.clone(),
            changed: None,
            cause: late.cause,
            conflict: None,
            failure: Some(Arc::new(note)),
        };
        core.next_event += 1;
        for i in 0..core.on_failure[failing.0].len() {
            let workflow = core.on_failure[failing.0][i];
            if whole || p.workflow(workflow).trigger.failed == Some(FailedOf::Any) {
                core.consider(&p, &mut self.apps, workflow, &event, &mut out);
            }
        }
        core.settle(&p, &mut self.apps, &mut out);
        core.totals += out.counts;
        out
    }
}
