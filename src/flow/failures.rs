//! Loops through failures (E0220): a workflow on failed runs whose writes set off, through any
//! chain, a workflow whose failures it runs on.
//!
//! ```text
//! workflow to_crm { on new ticket in Desk  create contact in Crm { … } }
//! workflow on_failure { on failed run of to_crm  create ticket in Desk { … } }
//!     # E0220: to_crm fails → on_failure creates a ticket in Desk → to_crm runs on it,
//!     # and fails again while Crm is down → …
//! workflow on_failure { on failed run of to_crm  notify "#ops" "{error.message}" }   # fine
//! ```
//!
//! No write sets off a workflow on failed runs, so the flow graph has no edge into one and the
//! cycle search cannot see these loops. They are looked for here: from each such workflow,
//! along the edges no breaker cuts, to a workflow whose failure sets it off. Whether a write
//! fails is not known before it is made, and a real app that is down fails every one, so a way
//! back is a loop. Chains made only of deletes end (each destroys a live record), as for E0301.

use std::collections::VecDeque;
use std::sync::Arc;

use codespan_reporting::diagnostic::Label;

use super::error::FlowError;
use super::graph::{self, FlowGraph, Telling, UnitSource};
use super::story;
use crate::ast::EventKind;
use crate::diagnostic::{help, primary, secondary};
use crate::program::{Program, WorkflowId};
use crate::span::Span;

/// A workflow on failed runs that can set off, again, a workflow whose failures it runs on.
#[derive(Clone, Debug)]
pub struct FailureLoop {
    /// The workflow on failed runs, and its trigger.
    pub handler: (Arc<str>, Span),
    /// The workflow whose failure starts the loop.
    pub failing: Arc<str>,
    /// The writes from the handler back to `failing`, in order.
    pub steps: Vec<story::Step>,
    pub spans: Vec<Span>,
    /// The engine's label, when a guard `unless origin == LABEL` on `failing` would tell its
    /// record from a person's.
    pub guard: Option<Arc<str>>,
}

/// The hops a failure makes, as pairs of units: from a workflow whose run fails to each
/// workflow on its failed runs (for `weir graph`, which marks the writes on such loops).
pub fn hops(program: &Program, graph: &FlowGraph) -> Vec<(usize, usize)> {
    let mut hops = Vec::new();
    for (handler, unit) in graph.units.iter().enumerate() {
        let UnitSource::Workflow(w) = unit.source else {
            continue;
        };
        let Some(of) = program.workflow(w).trigger.failed else {
            continue;
        };
        for (failing, unit) in graph.units.iter().enumerate() {
            if let UnitSource::Workflow(x) = unit.source
                && of.covers(x)
                && program.workflow(x).trigger.failed.is_none()
            {
                hops.push((failing, handler));
            }
        }
    }
    hops
}

/// Every loop through failures, one per workflow on failed runs.
pub fn check(program: &Program, graph: &FlowGraph, problems: &mut Vec<FlowError>) {
    let workflow_of = |unit: usize| match graph.units[unit].source {
        UnitSource::Workflow(w) => Some(w),
        UnitSource::Sync { .. } => None,
    };
    for (handler_unit, unit) in graph.units.iter().enumerate() {
        let UnitSource::Workflow(handler) = unit.source else {
            continue;
        };
        let Some(of) = program.workflow(handler).trigger.failed else {
            continue;
        };
        let fails_into = |u: usize| {
            workflow_of(u).is_some_and(|w: WorkflowId| {
                of.covers(w) && program.workflow(w).trigger.failed.is_none()
            })
        };
        if let Some(path) = shortest_path(graph, handler_unit, fails_into) {
            problems.push(FlowError::FailureLoop(report(
                program, graph, handler, &path,
            )));
        }
    }
}

/// The edges of the shortest chain of uncut edges from `from` to a unit `to` accepts, unless
/// every write on it is a delete.
fn shortest_path(graph: &FlowGraph, from: usize, to: impl Fn(usize) -> bool) -> Option<Vec<usize>> {
    let mut came_by: Vec<Option<usize>> = vec![None; graph.units.len()];
    let mut seen = vec![false; graph.units.len()];
    seen[from] = true;
    let mut queue = VecDeque::from([from]);
    while let Some(unit) = queue.pop_front() {
        for &e in &graph.out[unit] {
            let edge = &graph.edges[e];
            if edge.cut.is_some() || seen[edge.to] {
                continue;
            }
            seen[edge.to] = true;
            came_by[edge.to] = Some(e);
            if to(edge.to) {
                let mut path = vec![e];
                let mut at = edge.from;
                while let Some(back) = came_by[at] {
                    path.push(back);
                    at = graph.edges[back].from;
                }
                path.reverse();
                let all_deletes = path
                    .iter()
                    .all(|&e| graph.write_of(&graph.edges[e]).kind == EventKind::Deleted);
                return (!all_deletes).then_some(path);
            }
            queue.push_back(edge.to);
        }
    }
    None
}

fn report(
    program: &Program,
    graph: &FlowGraph,
    handler: WorkflowId,
    path: &[usize],
) -> FailureLoop {
    let name = |unit: usize| -> Arc<str> {
        match graph.units[unit].source {
            UnitSource::Workflow(w) => program.workflow(w).name.clone(),
            UnitSource::Sync { sync, .. } => {
                Arc::from(format!("sync {}", program.syncs[sync.0].entity_name))
            }
        }
    };
    let mut steps = Vec::new();
    let mut spans = Vec::new();
    for &e in path {
        let edge = &graph.edges[e];
        let write = graph.write_of(edge);
        let entity = program.entity(write.entity);
        steps.push(story::Step {
            unit: name(edge.from).to_string(),
            kind: write.kind,
            entity: entity.name.to_string(),
            app: program.app(entity.app).name.to_string(),
        });
        spans.push(write.span);
    }
    let last = &graph.edges[*path.last().expect("a path has an edge")];
    let write = graph.write_of(last);
    let telling = graph::telling(program, write.entity, write.kind);
    let guard = (telling == Telling::Actor
        || (telling == Telling::Stamp && write.kind == EventKind::New))
        .then(|| program.engine.clone());
    let w = program.workflow(handler);
    FailureLoop {
        handler: (w.name.clone(), w.trigger.span),
        failing: name(last.to),
        steps,
        spans,
        guard,
    }
}

impl FailureLoop {
    /// `to_crm fails → on_failure creates a ticket in Desk → to_crm runs on it and can fail
    /// again → …`
    fn story(&self) -> String {
        let mut parts = vec![format!("`{}` fails", self.failing)];
        let mut previous = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            let text = story::step_text(step, &previous);
            parts.push(if i == 0 {
                format!(
                    "`{}` runs on the failure and {}",
                    step.unit,
                    &text[step.unit.len() + 1..]
                )
            } else {
                text
            });
            previous = step.entity.clone();
        }
        parts.push(format!("`{}` runs on it and can fail again", self.failing));
        format!("{} → …", parts.join(" → "))
    }

    /// The message, the labels and the notes (the last is the help).
    pub(super) fn parts(&self) -> (String, Vec<Label<usize>>, Vec<String>) {
        let (handler, trigger) = &self.handler;
        let failing = &self.failing;
        let message =
            format!("`{handler}` can set off `{failing}` again, so one failure can repeat forever");
        let mut labels = vec![primary(
            *trigger,
            format!("`{handler}` runs when `{failing}` fails"),
        )];
        let n = self.steps.len();
        for (i, (step, span)) in self.steps.iter().zip(&self.spans).enumerate() {
            let object = format!("{} {}", story::article(&step.entity), step.entity);
            let then = if i + 1 == n {
                format!(", which sets off `{failing}`")
            } else {
                " …".to_string()
            };
            let text = format!(
                "`{}` {} {object} in {}{then}",
                step.unit,
                step.kind.does(),
                step.app
            );
            labels.push(secondary(*span, text));
        }
        let fix = match &self.guard {
            Some(engine) => help(format!(
                "begin `{failing}` with `unless origin == {engine}`, so it skips what weir writes, or have `{handler}` write where `{failing}` does not listen (a `notify` always works)"
            )),
            None => help(format!(
                "have `{handler}` write where `{failing}` does not listen (a `notify` always works), or name in `on failed run of` a workflow its writes do not set off"
            )),
        };
        (
            message,
            labels,
            vec![format!("trace: {}", self.story()), fix],
        )
    }
}
