//! The words of time inside a workflow: the step `wait 12h` and the trigger `on 24h before
//! start of appointment in EHR`.
//!
//! A wait must have a length (E0213) and stand among the workflow's own steps, not inside an
//! `if` or a `for` (E0214), so that a run that waits is always at one known step. A timer's
//! field must be a `time` of the record (E0215). To the flow proofs a timer is an `updated`
//! trigger `changing` its field (and a `new` one): a chain that moves the field plans the
//! timer again, so a workflow that moves `start` of the appointment it fires on is a loop.
//!
//! ```text
//! workflow remind {
//!   on 24h before start of appointment in EHR where status == "booked"   # fine
//!   notify "#desk" "tomorrow: {patient}"
//!   wait 12h                                                              # fine
//!   if late { wait 1h }                                                   # E0214
//! }
//! on 1d before status of appointment in EHR do notify "…"                # E0215: `status` is text
//! ```

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Parts};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{help, primary};
use crate::program::{EntityId, StepKind, Timer};
use crate::span::{Span, Spanned};
use crate::types::Type;

/// What can be wrong with a wait or a timer.
#[derive(Clone, Debug)]
pub enum TimeProblem {
    /// E0213: `wait 0s`.
    WaitNoLength { span: Span, written: String },
    /// E0214: `wait` inside `if …` or `for …`, told by the block's head.
    WaitNested {
        span: Span,
        written: String,
        within: String,
    },
    /// E0215: a timer on a field that holds no time.
    TimerNotATime {
        span: Span,
        field: Arc<str>,
        entity: Arc<str>,
        found: Type,
        times: Vec<Arc<str>>,
    },
}

impl TimeProblem {
    pub(super) fn code(&self) -> Code {
        match self {
            TimeProblem::WaitNoLength { .. } => Code::E0213,
            TimeProblem::WaitNested { .. } => Code::E0214,
            TimeProblem::TimerNotATime { .. } => Code::E0215,
        }
    }

    pub(super) fn parts(&self) -> Parts {
        match self {
            TimeProblem::WaitNoLength { span, written } => (
                format!("`wait {written}` waits for nothing"),
                vec![primary(*span, "a wait with no length")],
                vec![help(
                    "give the wait a length, as in `wait 12h`, or remove it",
                )],
            ),
            TimeProblem::WaitNested {
                span,
                written,
                within,
            } => (
                format!("`wait {written}` cannot stand inside `{within}`"),
                vec![primary(
                    *span,
                    "a run waits only between the workflow's own steps",
                )],
                vec![help(format!(
                    "move `wait {written}` out of `{within} {{ … }}`, above or below it"
                ))],
            ),
            TimeProblem::TimerNotATime {
                span,
                field,
                entity,
                found,
                times,
            } => (
                format!("a timer needs a time, but `{field}` of `{entity}` is `{found}`"),
                vec![primary(
                    *span,
                    format!("a `{found}` is no time the clock can reach"),
                )],
                vec![help(match times.first() {
                    Some(time) => format!("time it from a `time` field, as in `before {time}`"),
                    None => format!(
                        "declare a field of type `time` in `{entity}` and time it from that"
                    ),
                })],
            ),
        }
    }
}

impl Checker<'_> {
    /// `wait 12h`: only among the workflow's own steps, outside every `if` and `for`.
    pub(super) fn wait(&mut self, length: &Spanned<ast::DurationLit>, span: Span) -> StepKind {
        let written = length.node.to_string();
        let seconds = length.node.seconds();
        if seconds == 0 {
            self.report(CheckError::Time(TimeProblem::WaitNoLength {
                span: length.span,
                written: written.clone(),
            }));
        }
        if let Some(within) = self.arms.last() {
            let within = within.clone();
            self.report(CheckError::Time(TimeProblem::WaitNested {
                span,
                written,
                within,
            }));
        }
        StepKind::Wait(seconds)
    }

    /// `24h before start`: the field must be a `time` of the record.
    pub(super) fn timer(&mut self, t: &ast::Timer, entity: EntityId) -> Option<Timer> {
        let field = self.field(entity, &t.field)?;
        let ty = self.program.field(entity, field).ty.clone();
        if !matches!(ty.unwrapped(), Type::Time | Type::Any | Type::Error) {
            let e = self.program.entity(entity);
            let times = e
                .fields
                .iter()
                .filter(|f| *f.ty.unwrapped() == Type::Time)
                .map(|f| f.name.clone())
                .collect();
            self.report(CheckError::Time(TimeProblem::TimerNotATime {
                span: t.field.span,
                field: t.field.node.clone(),
                entity: e.name.clone(),
                found: ty,
                times,
            }));
        }
        let seconds = t.length.node.seconds();
        Some(Timer {
            field,
            offset: if t.before { -seconds } else { seconds },
            written: Arc::from(t.to_string()),
            span: t.span,
        })
    }
}
