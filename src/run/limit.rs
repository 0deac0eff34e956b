//! Rate limits at run time: `at most once per 60s per device` on a trigger or a step.
//!
//! A run of a limited workflow notes when it started, under the value of its `per` field (one
//! note for the whole workflow without `per`). A later event that passes the trigger's `where`
//! within the window of that note is skipped, as a `where` that is false is: nothing is held,
//! nothing fails.
//!
//! ```text
//! on new reading in Sensors where value > 90 at most once per 60s per device do notify "hot"
//!     # readings of A at 08:00:00, 08:00:30 and 08:01:10, of B at 08:00:40: three alerts,
//!     # the second reading of A is skipped
//! ```
//!
//! Windows are measured on [`clock`], the engine's one time source for limits; `weir serve`
//! keeps the notes in its journal so that a restart does not open every window again.

use std::collections::HashMap;
use std::sync::Arc;

use super::apps::{Apps, Record};
use super::trace::Skip;
use super::{Core, Engine, Event, Options, Outcome, guard::Actor};
use crate::program::{Limit, Program, Step, StepKind, StepLimit, WorkflowId};

/// The time windows are measured on, in seconds since 1970: what `now()` returns.
pub fn clock(options: &Options) -> i64 {
    options.now
}

/// The value a limit's window is kept for: the `per` field's value as text, or empty.
pub fn key(limit: &Limit, record: &Record) -> Arc<str> {
    match limit.per {
        Some(field) => Arc::from(record.get(field).to_string()),
        None => Arc::from(""),
    }
}

/// The value a step's window is kept for: the step's identity ([`StepLimit::slot`]) and the
/// `per` field's value, in a form no trigger's key takes (it starts with a control character),
/// so that the journal keeps both in one table.
pub fn step_key(limit: &StepLimit, record: &Record) -> Arc<str> {
    Arc::from(format!(
        "\u{1f}{}\u{1f}{}",
        limit.slot,
        key(&limit.limit, record)
    ))
}

/// A step's key as journals before steps had identities wrote it (the line of its limit in
/// the slot), as it reads now; `None` for any other key, or a line where `steps` have no limit.
pub fn step_key_by_line(steps: &[Step], key: &str) -> Option<Arc<str>> {
    fn find(steps: &[Step], line: u32) -> Option<&StepLimit> {
        steps.iter().find_map(|step| {
            let inner = match &step.kind {
                StepKind::Branch { arms, otherwise } => arms
                    .iter()
                    .find_map(|arm| find(&arm.steps, line))
                    .or_else(|| find(otherwise, line)),
                StepKind::For { steps, .. } => find(steps, line),
                _ => None,
            };
            inner.or(step.limit.as_ref().filter(|l| l.line == line))
        })
    }
    let (slot, per) = key.strip_prefix('\u{1f}')?.split_once('\u{1f}')?;
    let limit = find(steps, slot.parse().ok()?)?;
    Some(Arc::from(format!("\u{1f}{}\u{1f}{per}", limit.slot)))
}

/// When each limited workflow last ran, for each value of its `per` field.
#[derive(Default)]
pub struct Limits {
    last: HashMap<(WorkflowId, Arc<str>), i64>,
    /// Where windows are opened once for every engine that shares them.
    shared: Option<Box<dyn Windows>>,
}

/// Where engines that share their limits' windows (several `weir serve` on one journal) open
/// them: a window is opened once, by whichever engine asks first.
pub trait Windows: Send {
    /// Opens the window of `workflow` for `key` at `now`, unless one opened less than `window`
    /// before is open: `None` if this call opened it, else when the open one was opened.
    fn open(&mut self, workflow: WorkflowId, key: &str, now: i64, window: i64) -> Option<i64>;
}

/// A run that started within a limit's window, with the time the window opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Within {
    pub since: i64,
}

impl Limits {
    /// Whether a run of `workflow` for `key` at `now` falls within the window of the last one.
    pub fn within(
        &self,
        workflow: WorkflowId,
        key: &Arc<str>,
        now: i64,
        window: i64,
    ) -> Option<Within> {
        let since = *self.last.get(&(workflow, key.clone()))?;
        (now >= since && now - since < window).then_some(Within { since })
    }

    /// Notes a run of `workflow` for `key` at `now`: the start of a new window.
    pub fn note(&mut self, workflow: WorkflowId, key: Arc<str>, now: i64) {
        self.last.insert((workflow, key), now);
    }

    /// Opens the window of a run that may start, where windows are shared: `Some(since)` if
    /// another engine opened it first (the run is skipped, and its window noted here).
    fn open_shared(
        &mut self,
        workflow: WorkflowId,
        key: &Arc<str>,
        now: i64,
        window: i64,
    ) -> Option<Within> {
        let since = self.shared.as_mut()?.open(workflow, key, now, window)?;
        self.note(workflow, key.clone(), since);
        Some(Within { since })
    }

    /// Every note, for a journal to keep.
    pub fn notes(&self) -> impl Iterator<Item = (WorkflowId, &Arc<str>, i64)> {
        self.last.iter().map(|((w, k), at)| (*w, k, *at))
    }
}

/// What a workflow's rate limit says about a run on an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Gate {
    /// The workflow has no limit.
    Free,
    /// The run may start; once it does, it opens a window for this value.
    Open(Arc<str>),
    /// The run falls within a window: skipped.
    Shut,
}

impl Core {
    /// Skips (and traces) a run its workflow's rate limit stops.
    pub(super) fn limit_gate(
        &mut self,
        p: &Program,
        workflow: WorkflowId,
        event: &Event,
        out: &mut Outcome,
    ) -> Gate {
        let Some(limit) = &p.workflow(workflow).trigger.limit else {
            return Gate::Free;
        };
        let key = key(limit, &event.record);
        let now = clock(&self.options);
        match self.limits.within(workflow, &key, now, limit.window) {
            None => Gate::Open(key),
            Some(within) => {
                let why = Skip::Limited {
                    span: limit.span,
                    ago: now - within.since,
                };
                self.skip(Actor::Workflow(workflow), event, why, out);
                Gate::Shut
            }
        }
    }

    /// Notes a run that starts through an open gate; whether it starts (where windows are
    /// shared, another engine may have opened the window since, and the run is skipped).
    pub(super) fn pass_gate(
        &mut self,
        p: &Program,
        workflow: WorkflowId,
        gate: Gate,
        event: &Event,
        out: &mut Outcome,
    ) -> bool {
        // Most runs pass no gate: nothing looked up for them.
        let Gate::Open(key) = gate else {
            return true;
        };
        let Some(limit) = &p.workflow(workflow).trigger.limit else {
            return true;
        };
        let now = clock(&self.options);
        if let Some(within) = self.limits.open_shared(workflow, &key, now, limit.window) {
            let why = Skip::Limited {
                span: limit.span,
                ago: now - within.since,
            };
            self.skip(Actor::Workflow(workflow), event, why, out);
            return false;
        }
        self.limits.note(workflow, key.clone(), now);
        out.limited.push((workflow, key, now));
        true
    }
}

impl Core {
    /// Whether a limited step runs: skipped (and traced) within its window, noted when it runs.
    /// A step of a sync's run is never limited (only workflows have steps).
    pub(super) fn step_gate(
        &mut self,
        limit: &StepLimit,
        by: Actor,
        event: &Event,
        out: &mut Outcome,
    ) -> bool {
        let Actor::Workflow(workflow) = by else {
            return true;
        };
        let key = step_key(limit, &event.record);
        let now = clock(&self.options);
        let window = limit.limit.window;
        let within = self.limits.within(workflow, &key, now, window);
        if let Some(within) =
            within.or_else(|| self.limits.open_shared(workflow, &key, now, window))
        {
            let why = Skip::LimitedStep {
                span: limit.limit.span,
                ago: now - within.since,
            };
            self.skip(by, event, why, out);
            return false;
        }
        self.limits.note(workflow, key.clone(), now);
        out.limited.push((workflow, key, now));
        true
    }
}

impl<A: Apps> Engine<A> {
    /// When rate-limited workflows last ran, for each value of their `per` field.
    pub fn limit_notes(&self) -> impl Iterator<Item = (WorkflowId, &Arc<str>, i64)> {
        self.core.limits.notes()
    }

    /// Shares the limits' windows with other engines (several servers on one journal): each
    /// window is opened by `windows`, once for all of them.
    pub fn share_limits(&mut self, windows: Box<dyn Windows>) {
        self.core.limits.shared = Some(windows);
    }

    /// Restores a note a journal kept: `workflow` last ran for `key` at `at`.
    pub fn restore_limit(&mut self, workflow: WorkflowId, key: Arc<str>, at: i64) {
        self.core.limits.note(workflow, key, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_skips_runs_inside_it_and_lets_the_first_after_it_through() {
        let mut limits = Limits::default();
        let (w, a, b) = (WorkflowId(0), Arc::from("A"), Arc::from("B"));
        assert_eq!(limits.within(w, &a, 100, 60), None);
        limits.note(w, a.clone(), 100);
        assert_eq!(limits.within(w, &a, 159, 60), Some(Within { since: 100 }));
        assert_eq!(
            limits.within(w, &b, 130, 60),
            None,
            "another device has its own window"
        );
        assert_eq!(
            limits.within(WorkflowId(1), &a, 130, 60),
            None,
            "so has another workflow"
        );
        assert_eq!(limits.within(w, &a, 160, 60), None, "the window has closed");
    }
}
