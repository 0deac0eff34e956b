//! Lowering of the words of time in a workflow: the trigger `24h before start of appointment
//! in EHR` and the step `wait 12h`.
//!
//! As with schedules, nothing is judged here: a length of `0s`, a field that is no `time` or a
//! `wait` inside an `if` are the checker's to report, with their places.

use pest::iterators::Pair;

use super::Rule;
use super::lower::{Lower, Result, parts};
use crate::ast::*;
use crate::span::Spanned;

impl Lower {
    /// `24h before start of appointment in EHR`: an `updated` trigger on the record, with
    /// the timer saying when.
    pub(super) fn timer(
        &mut self,
        pair: Pair<'_, Rule>,
        span: crate::span::Span,
    ) -> Result<Trigger> {
        let timer_span = self.span(&pair);
        let mut inner = parts(pair);
        let length = inner.next().expect("a timer's length");
        let length = Spanned::new(self.duration(length.clone())?, self.span(&length));
        let side = inner.next().expect("`before` or `after`");
        let before = side.as_str().starts_with("before");
        let field = self.name(inner.next().expect("the timer's field"));
        let entity = self.name(inner.next().expect("the timer's entity"));
        let app = self.name(inner.next().expect("the timer's app"));
        let kind_span = length.span.to(self.span(&side));
        Ok(Trigger {
            timer: Some(Box::new(Timer {
                length,
                before,
                field,
                span: timer_span,
            })),
            ..super::lower::bare_trigger(
                Spanned::new(EventKind::Updated, kind_span),
                entity,
                app,
                span,
            )
        })
    }

    /// `wait 12h`.
    pub(super) fn wait(&mut self, pair: Pair<'_, Rule>) -> Result<StepKind> {
        let length = parts(pair).next().expect("a wait's length");
        let span = self.span(&length);
        Ok(StepKind::Wait(Spanned::new(self.duration(length)?, span)))
    }
}
