//! A `call` step: its arguments worked out and fitted to the call's declaration, the request
//! made through [`Apps::call`], the reply handed back for the `let`s that keep its fields.

use super::action::fit_field;
use super::apps::{Apps, Record};
use super::error::{RunError, RunErrorKind};
use super::eval::{self, Scope};
use crate::program::{CallStep, Program};
use crate::span::Span;

pub(super) fn call<A: Apps>(
    p: &Program,
    apps: &mut A,
    step: &CallStep,
    scope: &Scope,
    span: Span,
) -> Result<Option<Record>, RunError> {
    let declared = &p.app(step.app).calls[step.call];
    let mut args = Record::empty(p.entity(declared.args).fields.len());
    for assign in &step.args {
        let value = eval::eval(&assign.value, scope)?;
        args.set(
            assign.field,
            fit_field(p, declared.args, assign.field, value, assign.value.span)?,
        );
    }
    apps.call(declared, args)
        .map_err(|err| RunError::new(span, RunErrorKind::App(err)))
}
