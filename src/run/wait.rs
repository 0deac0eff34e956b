//! Durable waits: `wait 12h` ends a run's turn and keeps it, with its `let`s, the event it
//! started on and its place in the chain, until the clock has moved that far; then it goes on
//! with the step after the wait. The run is the same run (same number, same chain, same hops),
//! so what it writes after the wait is caused by the same event as what it wrote before:
//!
//! ```text
//! workflow remind {
//!   on new appointment in Clinic
//!   notify "#desk" "please confirm {patient}"   # runs at once
//!   wait 12h                                     # the run waits here …
//!   let ok = exists appointment in Clinic where patient == trigger.patient and confirmed
//!   unless ok                                    # … and reads the app again 12h later
//!   notify "#desk" "{patient} has not confirmed"
//! }
//! ```
//!
//! The trigger record a waiting run sees is the one it started on; a lookup after the wait
//! reads the app as it is then. The checker keeps waits among a workflow's own steps (E0214),
//! so a waiting run is always at one step of its workflow.

use super::action::RunCtx;
use super::apps::Apps;
use super::guard::Actor;
use super::trace::TraceItem;
use super::{Core, Event, Outcome, RunEnd};
use crate::program::{Program, StepKind, WorkflowId};
use crate::value::Value;

/// A run waiting for the clock.
#[derive(Clone, Debug)]
pub struct Waiting {
    /// When it goes on.
    pub due: i64,
    pub workflow: WorkflowId,
    pub run: u64,
    /// The index, among the workflow's steps, of the step it goes on with.
    pub next: usize,
    /// The event the run started on (its chain is the run's).
    pub event: Event,
    pub locals: Vec<Value>,
    /// The order runs began waiting in, which orders those due at the same time.
    pub seq: u64,
}

/// How far a run's steps got this turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reached {
    /// The last step.
    End,
    /// A condition stopped it.
    Stopped,
    /// A `wait`: it goes on later.
    Waiting,
}

impl Waiting {
    /// The run as a state file keeps it (`weir serve` keeps it so in its journal).
    pub fn to_json(&self, p: &Program) -> serde_json::Value {
        super::state_time::waiting_json(p, self)
    }

    /// Reads back what [`Waiting::to_json`] wrote, checked against the script.
    pub fn from_json(
        p: &Program,
        json: &serde_json::Value,
    ) -> Result<Waiting, super::state::StateError> {
        super::state_time::load_waiting(p, json, "waiting")
    }
}

impl<A: super::apps::Apps> super::Engine<A> {
    /// How many runs wait for the clock.
    pub fn waiting_runs(&self) -> usize {
        self.core.waiting.len()
    }

    /// Takes out the runs waiting for the clock: `weir serve` keeps them in its journal
    /// ([`crate::serve::waits`]) rather than in memory.
    pub fn take_waiting(&mut self) -> Vec<Waiting> {
        std::mem::take(&mut self.core.waiting)
    }

    /// Goes on with a run that waited, with the clock reading its time while it and what it
    /// sets off run: the same run, of the same chain, so the run-time guard counts its hops.
    pub fn resume_waiting(&mut self, waiting: Waiting) -> Outcome {
        let mut out = Outcome::default();
        let program = std::sync::Arc::clone(&self.program);
        self.core.options.now = waiting.due;
        // Listed again with the event that resumes it, as it ends now.
        if self.core.options.runs {
            out.runs.push(super::RunNote {
                run: waiting.run,
                by: Actor::Workflow(waiting.workflow),
                end: RunEnd::Done,
            });
        }
        self.core.waiting.push(waiting);
        let last = self.core.waiting.len() - 1;
        self.core.resume(&program, &mut self.apps, last, &mut out);
        self.core.settle(&program, &mut self.apps, &mut out);
        self.core.totals += out.counts;
        out
    }
}

impl Core {
    /// Runs a workflow's steps from the index `from` on, until the end, a condition that stops
    /// it, or a `wait`, which keeps the run for later.
    pub(super) fn steps_from<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        (workflow, from): (WorkflowId, usize),
        mut locals: Vec<Value>,
        ctx: &mut RunCtx,
        out: &mut Outcome,
    ) -> Result<Reached, super::error::RunError> {
        // A REPL may have redefined the workflow while the run waited: what is left of its
        // steps goes on, or nothing.
        let steps = p.workflow(workflow).steps.get(from..).unwrap_or_default();
        let wait = steps
            .iter()
            .position(|s| matches!(s.kind, StepKind::Wait(_)));
        let turn = &steps[..wait.unwrap_or(steps.len())];
        let done = self.walk(p, apps, turn, ctx, &mut locals, out);
        let reached = match (done, wait) {
            (Err(err), _) => {
                self.locals = locals;
                return Err(err);
            }
            (Ok(false), _) => Reached::Stopped,
            (Ok(true), None) => Reached::End,
            (Ok(true), Some(at)) => {
                let step = &steps[at];
                let StepKind::Wait(seconds) = step.kind else {
                    unreachable!("expected a `wait`, found {:?}", step.kind)
                };
                let due = self.options.now.saturating_add(seconds);
                if self.options.trace {
                    out.trace.push(TraceItem::Wait {
                        run: ctx.run,
                        by: ctx.by,
                        step: step.span,
                        due,
                    });
                }
                self.wait_seq += 1;
                self.waiting.push(Waiting {
                    due,
                    workflow,
                    run: ctx.run,
                    next: from + at + 1,
                    event: ctx.event.clone(),
                    locals,
                    seq: self.wait_seq,
                });
                return Ok(Reached::Waiting);
            }
        };
        self.locals = locals;
        Ok(reached)
    }

    /// The waiting run that is due first, no later than `to`: its index in the list.
    pub(super) fn first_waiting(&self, to: i64) -> Option<(i64, u64, usize)> {
        self.waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| w.due <= to)
            .map(|(i, w)| (w.due, w.seq, i))
            .min()
    }

    /// Goes on with a waiting run, at the clock's time, to its end or its next wait.
    pub(super) fn resume<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        index: usize,
        out: &mut Outcome,
    ) {
        let Waiting {
            workflow,
            run,
            next,
            event,
            locals,
            ..
        } = self.waiting.remove(index);
        let by = Actor::Workflow(workflow);
        if self.options.trace {
            let steps = &p.workflow(workflow).steps;
            let step = steps
                .get(next - 1)
                .map_or(event_span(p, workflow), |s| s.span);
            out.trace.push(TraceItem::Resume {
                run,
                by,
                event: event.id,
                step,
            });
        }
        self.hear(workflow, run, &event, out);
        let mut ctx = RunCtx::new(run, by, &event);
        match self.steps_from(p, apps, (workflow, next), locals, &mut ctx, out) {
            Ok(Reached::End) => self.completed[workflow.0] += 1,
            Ok(Reached::Stopped) => self.end_note(run, RunEnd::Stopped, out),
            Ok(Reached::Waiting) => self.end_note(run, RunEnd::Waiting, out),
            Err(err) => self.fail(p, by, Some(run), &event, err, out),
        }
    }

    /// Marks how a run ended in the notes a journal keeps.
    pub(super) fn end_note(&self, run: u64, end: RunEnd, out: &mut Outcome) {
        if let Some(note) = out.runs.iter_mut().rev().find(|n| n.run == run) {
            note.end = end;
        }
    }
}

/// Where a workflow's trigger is written, for a waiting run whose `wait` a REPL redefined away.
fn event_span(p: &Program, workflow: WorkflowId) -> crate::span::Span {
    p.workflow(workflow).trigger.span
}
