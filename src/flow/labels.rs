//! Origin labels no change can carry.
//!
//! A guard compares `origin` with labels: the engine's own, `user`, or another tool's
//! (`zapier`), which apps that report actors or keep stamps may carry. A label a letter away
//! from the engine's or from `user` is almost surely a slip, and a guard on it never matches:
//!
//! ```text
//! unless origin == weir      # the engine's label: fine
//! unless origin == zapier    # another tool's: fine where an app can tell who wrote
//! unless origin == wier      # W0308: did you mean `weir`?
//! ```

use std::collections::BTreeSet;

use super::{Analysis, FlowError, eval};
use crate::diagnostic::{help, primary};
use crate::program::StepKind;
use crate::span::Span;
use crate::value::Label;

/// The label every change made by a person carries where nothing else is known.
const USER: &str = "user";

impl Analysis<'_> {
    /// W0308 for each origin label that is not the engine's, not `user`, and either close to
    /// one of them or carried by nothing (no app here tells who made a change). Guards already
    /// reported as on a loop (`skip`) are left to that report.
    pub(super) fn unknown_labels(&self, skip: &BTreeSet<Span>, problems: &mut Vec<FlowError>) {
        let engine = &self.program.engine;
        let anyone_tells = self.program.apps.iter().any(|a| a.reports_actor)
            || self.program.entities.iter().any(|e| e.stores_stamps());
        let mut seen = BTreeSet::new();
        for workflow in &self.program.workflows {
            let mut labels = Vec::new();
            if let Some(condition) = &workflow.trigger.condition {
                eval::origin_labels(condition, &mut labels);
            }
            for step in &workflow.steps {
                if let StepKind::Guard { condition, .. } = &step.kind {
                    eval::origin_labels(condition, &mut labels);
                }
            }
            for (label, span) in labels {
                if label == *engine || &*label == USER || skip.contains(&span) {
                    continue;
                }
                let suggestion = crate::suggest::closest(&label, [&**engine, USER]);
                if (suggestion.is_some() || !anyone_tells) && seen.insert((span, label.clone())) {
                    problems.push(FlowError::UnknownLabel {
                        guard: span,
                        workflow: workflow.name.clone(),
                        label,
                        suggestion: suggestion.map(Label::from),
                        engine: engine.clone(),
                    });
                }
            }
        }
    }
}

type Labels = Vec<codespan_reporting::diagnostic::Label<usize>>;

/// W0308's sentence.
pub(super) fn message(label: &Label, suggestion: Option<&Label>) -> String {
    match suggestion {
        Some(close) => format!("no change carries the origin `{label}`: did you mean `{close}`?"),
        None => format!("no change here can carry the origin `{label}`"),
    }
}

/// W0308's labels and notes.
pub(super) fn details(
    guard: Span,
    label: &Label,
    suggestion: Option<&Label>,
    engine: &Label,
) -> (Labels, Vec<String>) {
    match suggestion {
        Some(close) => {
            let whose = if **close == *USER {
                "a change weir did not make"
            } else {
                "the engine's own writes"
            };
            (
                vec![primary(
                    guard,
                    format!("`{label}` is not a label weir knows"),
                )],
                vec![
                    format!(
                        "`{close}` is the label of {whose}; a guard on a misspelt label never matches, so it skips nothing"
                    ),
                    help(format!("write `{close}` instead of `{label}`")),
                ],
            )
        }
        None => (
            vec![primary(
                guard,
                format!(
                    "never true: no app here tells who made a change, so `origin` is always `{USER}`"
                ),
            )],
            vec![
                format!(
                    "another tool's label (and the engine's, `{engine}`) reaches weir only through an app that `reports actor` or an entity with a `stamp` field, and no app here has either"
                ),
                help(format!(
                    "remove this guard, which skips nothing; if `{label}` writes into an app that can say so, declare `reports actor` in it"
                )),
            ],
        ),
    }
}
