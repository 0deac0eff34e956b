//! Operators: the types `and`, `==`, `in`, `+`, `??` and the rest accept and give.
//!
//! ```text
//! start + 1h          # a time
//! title + 1           # E0201: `+` cannot combine text and a number
//! notes ?? ""         # text, from an optional text
//! ```
//!
//! One function per family of operators; the tables of what values the operators take
//! ([`arithmetic_type`], [`ordered_type`]) sit in [`crate::operators`] beside what a run does.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Mismatch};
use super::expr::Scope;
use super::narrow::{Narrow, present_when};
use crate::ast::{self, BinaryOp};
use crate::operators::{arithmetic_type, equal, holds, order, ordered_type};
use crate::program::{Expr, ExprKind};
use crate::span::Span;
use crate::types::Type;
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
        scope: Scope,
        expected: Option<&Type>,
    ) -> Expr {
        let (l, r) = match op {
            // A bare label may stand on either side of a comparison with an origin.
            BinaryOp::Eq | BinaryOp::Ne => {
                // `c != none` is the one use of a record found by `find` as a whole.
                self.record_compare = matches!(left.kind, ast::ExprKind::None)
                    || matches!(right.kind, ast::ExprKind::None);
                let left_is_label =
                    matches!(&left.kind, ast::ExprKind::Name(n) if !self.resolves(n, scope));
                // `"cancelled" == status`: the text is checked against the choices on the right.
                let left_is_text = matches!(&left.kind, ast::ExprKind::Text(_));
                let pair = if left_is_label || left_is_text {
                    let r = self.expr(right, scope, None);
                    let l = self.expr(left, scope, Some(&r.ty));
                    (l, r)
                } else {
                    let l = self.expr(left, scope, None);
                    let r = self.expr(right, scope, Some(&l.ty));
                    (l, r)
                };
                self.record_compare = false;
                pair
            }
            BinaryOp::In => {
                let l = self.expr(left, scope, None);
                let r = self.expr(right, scope, Some(&Type::list(l.ty.unwrapped().clone())));
                (l, r)
            }
            BinaryOp::And | BinaryOp::Or => {
                let l = self.expr(left, scope, Some(&Type::Bool));
                let mut known = Vec::new();
                present_when(&l, op == BinaryOp::And, &mut known);
                let r = self.with_known(known, |this| this.expr(right, scope, Some(&Type::Bool)));
                (l, r)
            }
            BinaryOp::Default => {
                // `status ?? "booked"`: the default is checked against the choices, those of
                // the value or else those of the place it goes.
                let l = self.expr(left, scope, None);
                let choices = l.ty.choices().map(|_| l.ty.unwrapped().clone());
                let wanted = expected.filter(|t| t.choices().is_some());
                let r = self.expr(right, scope, choices.as_ref().or(wanted));
                (l, r)
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                // `origin > weir`: the label is a label, even if the comparison is not right.
                let l = self.expr(left, scope, None);
                let expected = (l.ty == Type::Origin).then_some(Type::Origin);
                let r = self.expr(right, scope, expected.as_ref());
                (l, r)
            }
            _ => {
                let l = self.expr(left, scope, None);
                let r = self.expr(right, scope, None);
                (l, r)
            }
        };
        // Operators read a choice as the text it is; only `??` keeps the choices.
        let (mut l, mut r) = (l, r);
        if op != BinaryOp::Default {
            l.ty = l.ty.widened();
            r.ty = r.ty.widened();
        }
        let before = self.problems.len();
        let mut ty = self.binary_type(op, &l, &r);
        // An operator used wrongly has no value to fold: no W0207 on top of its error.
        let wrong = self.problems[before..].iter().any(|p| {
            p.code()
                .is_some_and(|c| c.level() == crate::codes::Level::Error)
        });
        if wrong && matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            ty = Type::Error;
        }
        self.warn_self_comparison(op, &l, &r, span);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            ty,
            span,
        }
    }

    /// W0207 for `name == name`: always true (or false), and in an action's `where` most
    /// likely meant as `name == trigger.name`.
    fn warn_self_comparison(&mut self, op: BinaryOp, l: &Expr, r: &Expr, span: Span) {
        let same = match (&l.kind, &r.kind) {
            (ExprKind::TargetField(a), ExprKind::TargetField(b)) => a == b,
            (ExprKind::TriggerField(a), ExprKind::TriggerField(b)) => a == b,
            (ExprKind::Local(a), ExprKind::Local(b)) => a == b,
            (ExprKind::Origin, ExprKind::Origin) => true,
            _ => false,
        };
        if !same
            || !matches!(
                op,
                BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Le | BinaryOp::Ge
            )
        {
            return;
        }
        let text = self.sources.slice(l.span).to_string();
        self.report(CheckError::SelfComparison {
            span,
            name: Arc::from(text.as_str()),
            value: op != BinaryOp::Ne,
            target: matches!(l.kind, ExprKind::TargetField(_)),
        });
    }

    /// The type a binary operator gives, reporting operands it cannot take.
    fn binary_type(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Type {
        match op {
            BinaryOp::And | BinaryOp::Or => self.logical_type(op, l, r),
            BinaryOp::Eq | BinaryOp::Ne => self.equality_type(l, r),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => self.order_type(l, r),
            BinaryOp::In => self.membership_type(l, r),
            BinaryOp::Default => self.default_type(l, r),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                self.arithmetic(op, l, r)
            }
        }
    }

    /// `and`, `or`: both sides true or false.
    fn logical_type(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Type {
        let context = if op == BinaryOp::And {
            "each side of `and`"
        } else {
            "each side of `or`"
        };
        self.require_bool(l, context);
        self.require_bool(r, context);
        Type::Bool
    }

    /// `==`, `!=`: sides of types that can be equal; `none` only against what may be none.
    fn equality_type(&mut self, l: &Expr, r: &Expr) -> Type {
        let unknown = l.ty == Type::Error || r.ty == Type::Error;
        if unknown {
            return Type::Bool;
        }
        let (a, b) = (&l.ty, &r.ty);
        let with_none =
            |x: &Type, y: &Type| *x == Type::Nothing && !y.is_optional() && !y.is_unknown();
        let other = if *a == Type::Nothing { r } else { l };
        // A value already shown present may be tested again; that is only redundant.
        let narrowed = Narrow::of(&other.kind).is_some_and(|k| self.narrowed.contains(&k));
        let against_none = with_none(a, b) || with_none(b, a);
        if against_none && narrowed {
            return Type::Bool;
        }
        if against_none {
            self.report(CheckError::TypeMismatch {
                span: other.span,
                expected: Type::Nothing,
                found: other.ty.clone(),
                context: Mismatch::NoneCompare,
            });
        } else if !(a.fits(b) || b.fits(a) || a.unwrapped().fits(b.unwrapped())) {
            self.report(CheckError::TypeMismatch {
                span: r.span,
                expected: a.clone(),
                found: b.clone(),
                context: Mismatch::Compare {
                    left: a.clone(),
                    right: b.clone(),
                },
            });
        }
        Type::Bool
    }

    /// `<`, `<=`, `>`, `>=`: two values of one ordered type.
    fn order_type(&mut self, l: &Expr, r: &Expr) -> Type {
        let unknown = l.ty == Type::Error || r.ty == Type::Error;
        if unknown || !self.require_value(l) || !self.require_value(r) {
            return Type::Bool;
        }
        let fine =
            (l.ty.fits(&r.ty) || r.ty.fits(&l.ty)) && ordered_type(&l.ty) && ordered_type(&r.ty);
        if !fine && (l.ty == Type::Origin || r.ty == Type::Origin) {
            self.report(CheckError::TypeMismatch {
                span: l.span.to(r.span),
                expected: Type::Origin,
                found: Type::Origin,
                context: Mismatch::OriginOrder,
            });
        } else if !fine {
            self.report(CheckError::TypeMismatch {
                span: r.span,
                expected: l.ty.clone(),
                found: r.ty.clone(),
                context: Mismatch::Compare {
                    left: l.ty.clone(),
                    right: r.ty.clone(),
                },
            });
        }
        Type::Bool
    }

    /// `in`: a value and a list of its type.
    fn membership_type(&mut self, l: &Expr, r: &Expr) -> Type {
        let unknown = l.ty == Type::Error || r.ty == Type::Error;
        if unknown {
            return Type::Bool;
        }
        match &r.ty {
            Type::List(element) => {
                let left = l.ty.unwrapped();
                if !(left.fits(element) || element.fits(left) || **element == Type::Nothing) {
                    self.report(CheckError::TypeMismatch {
                        span: l.span,
                        expected: (**element).clone(),
                        found: l.ty.clone(),
                        context: Mismatch::Compare {
                            left: l.ty.clone(),
                            right: (**element).clone(),
                        },
                    });
                }
            }
            Type::Any => {}
            other => self.report(CheckError::TypeMismatch {
                span: r.span,
                expected: Type::list(l.ty.clone()),
                found: other.clone(),
                context: Mismatch::Membership,
            }),
        }
        Type::Bool
    }

    /// `??`: an optional value and a default of its type; the result is present if the default is.
    fn default_type(&mut self, l: &Expr, r: &Expr) -> Type {
        let unknown = l.ty == Type::Error || r.ty == Type::Error;
        if unknown {
            return Type::Error;
        }
        let inner = l.ty.unwrapped().clone();
        if l.ty == Type::Nothing {
            return r.ty.clone();
        }
        if !r.ty.fits(&Type::optional(inner.clone())) && !r.ty.is_unknown() {
            self.report(CheckError::TypeMismatch {
                span: r.span,
                expected: inner.clone(),
                found: r.ty.clone(),
                context: Mismatch::Default,
            });
            return Type::Error;
        }
        if inner == Type::Any {
            return r.ty.clone();
        }
        if r.ty.is_optional() {
            Type::optional(inner)
        } else {
            inner
        }
    }

    /// `+`, `-`, `*`, `/`: as [`arithmetic_type`] says.
    fn arithmetic(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Type {
        let unknown = l.ty == Type::Error || r.ty == Type::Error;
        if unknown || !self.require_value(l) || !self.require_value(r) {
            return Type::Error;
        }
        match arithmetic_type(op, &l.ty, &r.ty) {
            Some(ty) => ty,
            None => {
                self.report(CheckError::TypeMismatch {
                    span: l.span.to(r.span),
                    expected: l.ty.clone(),
                    found: r.ty.clone(),
                    context: Mismatch::Operator {
                        op,
                        left: l.ty.clone(),
                        right: r.ty.clone(),
                    },
                });
                Type::Error
            }
        }
    }
}

/// The value of an expression that depends on nothing, if it can be worked out now.
pub(super) fn constant(e: &Expr) -> Option<Value> {
    // An expression that had an error has no value to speak of.
    if e.ty == Type::Error {
        return None;
    }
    match &e.kind {
        ExprKind::Const(v) => Some(v.clone()),
        ExprKind::Not(inner) => match constant(inner)? {
            Value::Bool(b) => Some(Value::Bool(!b)),
            _ => None,
        },
        // One side can decide `and` and `or` on its own.
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), l, r) => {
            let decides = Value::Bool(*op == BinaryOp::Or);
            let (a, b) = (constant(l), constant(r));
            if a.as_ref() == Some(&decides) || b.as_ref() == Some(&decides) {
                return Some(decides);
            }
            match (a?, b?) {
                (Value::Bool(x), Value::Bool(y)) => Some(Value::Bool(if *op == BinaryOp::And {
                    x && y
                } else {
                    x || y
                })),
                _ => None,
            }
        }
        ExprKind::Binary(op, l, r) => {
            let (a, b) = (constant(l)?, constant(r)?);
            // The same meaning as when the workflow runs (a label and a text with the same
            // letters are equal).
            let truth = match op {
                BinaryOp::Eq => equal(&a, &b),
                BinaryOp::Ne => !equal(&a, &b),
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                    holds(*op, order(&a, &b)?)
                }
                _ => return None,
            };
            Some(Value::Bool(truth))
        }
        _ => None,
    }
}
