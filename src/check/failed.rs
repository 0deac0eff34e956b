//! `on failed run of NAME`: a workflow that runs when a run of workflow `NAME` fails, on the
//! record that run was on, reading `error.message`, `error.workflow` and `error.event`.
//! `on failed run`: one that runs when a run of any workflow not itself on failed runs fails,
//! on no record (the clock's tick, as a schedule), since those runs are on records of any
//! entity: only `error.` and its own `let`s are in view.
//!
//! ```text
//! workflow ticket_on_failure {
//!   on failed run of to_crm                  # fine: `to_crm` starts on records, not failures
//!   create ticket in Desk { title: "{error.workflow} failed: {error.message}" }
//! }
//! on failed run of ticket_on_failure do …    # E0211: failures of failures would chain
//! ```
//!
//! A workflow on failed runs is checked after every other workflow, so the one it names is
//! known, whatever the order in the text. A run of a workflow on failed runs that fails raises
//! nothing more (the interpreter stops there), so naming one is always a mistake: E0211.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Named, Parts, ScopeHint};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{help, primary, secondary};
use crate::program::{Expr, ExprKind, FailedOf, FailurePart, Trigger};
use crate::span::Span;

/// What can be wrong with `on failed run of NAME`.
#[derive(Clone, Debug)]
pub enum FailedProblem {
    /// E0211: `NAME` itself runs on failed runs.
    OfFailedRun {
        name: Named,
        /// Where `NAME` says `on failed run of …`.
        its_trigger: Span,
    },
    /// E0105: `error.message` in a workflow that does not run on failed runs.
    ErrorOutside { span: Span },
    /// E0105: `error` alone, in a workflow on failed runs.
    ErrorWhole { span: Span },
}

impl FailedProblem {
    pub(super) fn code(&self) -> Code {
        match self {
            FailedProblem::OfFailedRun { .. } => Code::E0211,
            FailedProblem::ErrorOutside { .. } | FailedProblem::ErrorWhole { .. } => Code::E0105,
        }
    }

    pub(super) fn parts(&self) -> Parts {
        match self {
            FailedProblem::OfFailedRun { name, its_trigger } => (
                format!(
                    "`{}` runs on failed runs itself, so its failures raise no failed run",
                    name.text
                ),
                vec![
                    primary(name.span, "a workflow on failed runs"),
                    secondary(*its_trigger, "it runs on failed runs here"),
                ],
                vec![help(format!(
                    "name the workflow whose failures you mean, not `{}`: failures of failures would chain forever",
                    name.text
                ))],
            ),
            FailedProblem::ErrorOutside { span } => (
                "`error` is there only in a workflow on failed runs".to_string(),
                vec![primary(*span, "no run failed here")],
                vec![help(
                    "read `error.message`, `error.workflow` and `error.event` in a workflow that starts `on failed run of WORKFLOW`",
                )],
            ),
            FailedProblem::ErrorWhole { span } => (
                "`error` is read by its parts, not as a value of its own".to_string(),
                vec![primary(*span, "which part of the failure?")],
                vec![help(
                    "write `error.message` (what went wrong), `error.workflow` or `error.event`",
                )],
            ),
        }
    }
}

impl Checker<'_> {
    /// `on failed run of NAME` or `on failed run`.
    pub(super) fn failed_trigger(
        &mut self,
        t: &ast::Trigger,
        failed: &ast::FailedRuns,
    ) -> Option<Trigger> {
        match failed {
            ast::FailedRuns::Of(name) => self.failed_of_trigger(t, name),
            ast::FailedRuns::Any => Some(self.any_failed_trigger(t)),
        }
    }

    /// `on failed run`: like a schedule, on no record (the clock's tick), since the records of
    /// the runs that fail are of any entity; `error.message` and the like.
    fn any_failed_trigger(&mut self, t: &ast::Trigger) -> Trigger {
        self.failure_of = Some(FailedOf::Any);
        Trigger {
            failed: Some(FailedOf::Any),
            ..self.clock_trigger(t, t.kind.span)
        }
    }

    /// `on failed run of NAME`: the run sees the record the failed run was on, and
    /// `error.message` and the like.
    fn failed_of_trigger(&mut self, t: &ast::Trigger, name: &ast::Name) -> Option<Trigger> {
        if let Some(its_trigger) = self.failed_run_triggers.get(&name.node).copied() {
            self.report(CheckError::Failed(FailedProblem::OfFailedRun {
                name: Named::of(name),
                its_trigger,
            }));
            return None;
        }
        let Some(failed) = self.program.workflow_named(&name.node) else {
            if !self.workflows_by_name.contains_key(&name.node) {
                let known = self.program.workflows.iter().map(|w| &*w.name);
                let suggestion = crate::suggest::closest(&name.node, known).map(Arc::from);
                self.report(CheckError::UnknownWorkflow {
                    name: Named::of(name),
                    suggestion,
                });
            }
            // Otherwise the workflow exists but could not be checked: its error says why.
            return None;
        };
        self.failure_of = Some(FailedOf::Workflow(failed));
        let of = self.program.workflow(failed).trigger.clone();
        let condition = self.trigger_condition(t, of.entity);
        let limit = self.rate_limit(t, of.entity);
        Some(Trigger {
            kind: of.kind,
            kind_span: t.kind.span,
            app: of.app,
            entity: of.entity,
            changing: Vec::new(),
            changing_span: None,
            condition,
            span: t.span,
            conflict: None,
            limit,
            failed: Some(FailedOf::Workflow(failed)),
            timer: None,
            schedule: None,
        })
    }

    /// `error.message`, `error.workflow`, `error.event`: each a text (E0105 for another part).
    pub(super) fn failure_part(&mut self, field: &ast::Name, span: Span) -> Expr {
        self.text_part(
            field,
            span,
            &FailurePart::ALL,
            ExprKind::Failure,
            ScopeHint::Failure,
        )
    }
}

/// Whether a trigger is `on failed run of …`, for checking it after every other workflow.
pub(super) fn is_failed_run(w: &ast::Workflow) -> bool {
    w.trigger.failed.is_some()
}
