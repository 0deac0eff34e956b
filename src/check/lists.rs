//! Lists: `for NAME in LIST { steps }` and `xs[i]`, checked.
//!
//! A `for` walks a list: its item has the list's element type, and is seen only inside the
//! `for`. Indexing gives an optional item (a list may be shorter than the index), so it is
//! narrowed or given a default like any optional value.
//!
//! ```text
//! for tag in tags { create label in CRM { name: tag } }      # tags: list of text: accepted
//! for tag in email { … }                                     # E0201: `email` is text
//! let first = tags[0] ?? "none"                              # accepted: `tags[0]` is text?
//! let first = email[0]                                       # E0201: `email` is not a list
//! ```

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Parts};
use super::expr::{Scope, error_expr};
use crate::ast;
use crate::diagnostic::{help, primary, secondary};
use crate::program::{Expr, ExprKind, Step, StepKind, Trigger};
use crate::span::Span;
use crate::types::Type;

impl Checker<'_> {
    /// `for NAME in LIST { … }`: the item is a name of the steps inside, and of no others.
    pub(super) fn for_each(
        &mut self,
        each: &ast::ForEach,
        scope: Scope,
        trigger: &Trigger,
        steps: impl FnOnce(&mut Self, &[ast::Step], &Trigger) -> Vec<Step>,
    ) -> StepKind {
        let list = self.expr(&each.list, scope, None);
        let written = self.written(each.list.span);
        let element = match &list.ty {
            Type::List(element) => (**element).clone(),
            Type::Any | Type::Error => Type::Any,
            found => {
                self.report(CheckError::ForOverNonList {
                    span: list.span,
                    item: each.item.node.clone(),
                    written: written.clone(),
                    found: found.clone(),
                });
                Type::Error
            }
        };
        let label = format!("for {} in {written}", each.item.node);
        let first = self.locals.len();
        self.later_lets.retain(|(_, span)| *span != each.item.span);
        let item = self.declare_local(&each.item, element, trigger.entity);
        // An item left unread is a list walked for its length: nothing to warn of.
        self.locals_used[item.0] = true;
        self.arms.push(label.clone());
        let body = steps(self, &each.block.steps, trigger);
        self.arms.pop();
        for hidden in &mut self.locals_hidden[first..] {
            *hidden = true;
        }
        self.hidden_by_for.extend(first..self.locals.len());
        StepKind::For {
            item,
            list,
            label: Arc::from(label),
            steps: body,
        }
    }

    /// What the source says at `span`, on one line, for labels and helps.
    pub(super) fn written(&self, span: Span) -> String {
        let text = self.sources.slice(span);
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `xs[i]`: the item at `i`, optional since the list may be shorter.
    pub(super) fn index(
        &mut self,
        base: &ast::Expr,
        index: &ast::Expr,
        span: Span,
        scope: Scope,
    ) -> Expr {
        let list = self.expr(base, scope, None);
        let at = self.expr(index, scope, Some(&Type::Number));
        if !matches!(at.ty, Type::Number | Type::Any | Type::Error) {
            self.report(CheckError::IndexNotNumber {
                span: at.span,
                found: at.ty.clone(),
            });
        }
        let ty = match &list.ty {
            Type::List(element) => Type::optional((**element).clone()),
            Type::Any => Type::Any,
            Type::Error => return error_expr(span),
            found => {
                self.report(CheckError::IndexNotList {
                    span: list.span,
                    found: found.clone(),
                });
                return error_expr(span);
            }
        };
        Expr {
            kind: ExprKind::Index(Box::new(list), Box::new(at)),
            ty,
            span,
        }
    }
}

impl CheckError {
    /// A list construct given something that is not a list.
    pub(super) fn list_parts(&self) -> Parts {
        match self {
            CheckError::ForOverNonList {
                span,
                item,
                written,
                found,
            } => (
                format!("`for` walks a list, but this is {}", described(found)),
                vec![primary(*span, label(found))],
                vec![help(match found.unwrapped() {
                    Type::List(_) => {
                        format!(
                            "walk no items when there is no list: `for {item} in {written} ?? [] {{ … }}`"
                        )
                    }
                    Type::Text | Type::Choice(_) => format!(
                        "split the text into a list first: `for {item} in split({written}, \",\") {{ … }}`"
                    ),
                    _ => format!(
                        "walk a list: a field declared `list of …`, `split(TEXT, \",\")`, or `[a, b]`, as in `for {item} in [a, b] {{ … }}`"
                    ),
                })],
            ),
            CheckError::IndexNotList { span, found } => (
                format!(
                    "only a list can be indexed with `[…]`, but this is {}",
                    described(found)
                ),
                vec![primary(*span, label(found))],
                vec![help(match found.unwrapped() {
                    Type::List(_) => {
                        "the list may be none: give a default first, `(LIST ?? [])[0]`".to_string()
                    }
                    Type::Text | Type::Choice(_) => {
                        "split the text into a list first: `split(…, \",\")[0]`".to_string()
                    }
                    _ => "index a list: a field declared `list of …`, or `split(TEXT, \",\")`"
                        .to_string(),
                })],
            ),
            CheckError::IndexNotNumber { span, found } => (
                format!(
                    "a list is indexed by a number, but this is {}",
                    described(found)
                ),
                vec![primary(*span, format!("this is {found}"))],
                vec![help(
                    "count from 0: `xs[0]` is the first item, `xs[len(xs) - 1]` the last",
                )],
            ),
            CheckError::LetInFor { name, defined } => (
                format!(
                    "`{}` is made inside a `for` and is not seen below it",
                    name.text
                ),
                vec![
                    primary(name.span, "used here"),
                    secondary(*defined, "made here, inside the `for`"),
                ],
                vec![help(format!(
                    "use `{}` inside the `for`, or work out what is needed below it from the whole list (`len(…)`, `join(…, \", \")`, `…[0]`)",
                    name.text
                ))],
            ),
            CheckError::RecordsInText { span, written } => (
                format!(
                    "`{written}` is a list of records, which a text cannot show: read their fields"
                ),
                vec![primary(*span, "a list of whole records")],
                vec![help(format!(
                    "show how many with `{{len({written})}}`, or a field of each with `{{[item.FIELD for item in {written}]}}`"
                ))],
            ),
            other => unreachable!("expected a problem of lists, found {other:?}"),
        }
    }
}

/// The label under a value that is not a list.
fn label(found: &Type) -> String {
    match found {
        Type::Optional(inner) if matches!(**inner, Type::List(_)) => {
            format!("this may be `none` (it is {found})")
        }
        other => format!("this is {other}, not a list"),
    }
}

/// `text`, `a number`, … for messages.
fn described(ty: &Type) -> String {
    match ty {
        Type::Optional(_) | Type::Nothing => format!("an optional value (`{ty}`)"),
        other => format!("`{other}`"),
    }
}
