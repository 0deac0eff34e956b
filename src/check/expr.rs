//! Expressions: resolving names, inferring types, and the diagnostics for both.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Mismatch, Named};
use super::narrow::{Narrow, present_when};
use crate::ast::{self, TextPart, UnaryOp};
use crate::builtins::Builtin;
use crate::program::{EntityId, Expr, ExprKind, Piece};
use crate::span::Span;
use crate::types::Type;
use crate::value::Value;

/// Which record bare names refer to.
#[derive(Clone, Copy, Debug)]
pub(super) enum View {
    /// In a workflow: the trigger record.
    Trigger,
    /// In an action's `where`: the record being chosen; `trigger.x` reaches the trigger.
    Target(EntityId),
    /// In a scenario step: the record being tested; `origin` is its stamp.
    Record(EntityId),
    /// No record (a scenario's values).
    Constant,
}

/// What an expression can see.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scope {
    pub view: View,
    /// The trigger's entity, inside a workflow.
    pub trigger: Option<EntityId>,
    /// Inside an `update` (its `where` and its field block): the entity of the record being
    /// updated, which `target.FIELD` reads.
    pub target: Option<EntityId>,
}

impl Scope {
    pub fn constant() -> Scope {
        Scope {
            view: View::Constant,
            trigger: None,
            target: None,
        }
    }
}

pub(super) fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(Value::None),
        ty: Type::Error,
        span,
    }
}

impl Checker<'_> {
    /// Checks that a condition is `bool`.
    pub(super) fn condition(&mut self, e: &ast::Expr, scope: Scope, context: &'static str) -> Expr {
        let checked = self.expr(e, scope, Some(&Type::Bool));
        self.require_bool(&checked, context);
        checked
    }

    pub(super) fn require_bool(&mut self, e: &Expr, context: &'static str) {
        match &e.ty {
            Type::Bool | Type::Any | Type::Error => {}
            Type::Optional(inner) if **inner == Type::Bool => {
                self.report(CheckError::OptionalUsed {
                    span: e.span,
                    found: e.ty.clone(),
                })
            }
            other => self.report(CheckError::NotBool {
                span: e.span,
                found: other.clone(),
                context,
            }),
        }
    }

    /// Checks that a value may be stored where `target` is expected.
    pub(super) fn require_fits(&mut self, e: &Expr, target: &Type, context: Mismatch) {
        if e.ty.fits(target) {
            return;
        }
        if e.ty.is_optional() && e.ty.unwrapped().fits(target) {
            self.report(CheckError::OptionalUsed {
                span: e.span,
                found: e.ty.clone(),
            });
        } else {
            self.report(CheckError::TypeMismatch {
                span: e.span,
                expected: target.clone(),
                found: e.ty.clone(),
                context,
            });
        }
    }

    /// A value that must not be optional (an operand, an interpolation).
    pub(super) fn require_value(&mut self, e: &Expr) -> bool {
        if matches!(e.ty, Type::Optional(_) | Type::Nothing) {
            self.report(CheckError::OptionalUsed {
                span: e.span,
                found: e.ty.clone(),
            });
            return false;
        }
        true
    }

    /// Resolves and types an expression. `expected` is the type the context wants, which
    /// lets a bare unknown name stand for a label where an `origin` is wanted.
    pub(super) fn expr(&mut self, e: &ast::Expr, scope: Scope, expected: Option<&Type>) -> Expr {
        let span = e.span;
        let (kind, ty) = match &e.kind {
            ast::ExprKind::Number(n) => (ExprKind::Const(Value::Number(*n)), Type::Number),
            ast::ExprKind::Duration(d) => (
                ExprKind::Const(Value::Duration(d.seconds())),
                Type::Duration,
            ),
            ast::ExprKind::Bool(b) => (ExprKind::Const(Value::Bool(*b)), Type::Bool),
            ast::ExprKind::None => (ExprKind::Const(Value::None), Type::Nothing),
            ast::ExprKind::Time(text) => match crate::value::parse_written_time(text) {
                Some(t) => (ExprKind::Const(Value::Time(t)), Type::Time),
                None => {
                    self.report(CheckError::TypeMismatch {
                        span,
                        expected: Type::Time,
                        found: Type::Text,
                        context: Mismatch::BadWrittenTime {
                            text: text.to_string(),
                        },
                    });
                    return error_expr(span);
                }
            },
            ast::ExprKind::User => (
                ExprKind::Const(Value::Label(Arc::from("user"))),
                Type::Origin,
            ),
            ast::ExprKind::Text(parts) => {
                let text = self.text(parts, scope, span);
                if let Some(choices) = expected.and_then(Type::choices) {
                    self.require_choice(&text, choices);
                }
                return text;
            }
            ast::ExprKind::Name(name) => {
                let e = self.name(name, span, scope, expected);
                let compared_with_none = std::mem::take(&mut self.record_compare);
                if matches!(e.ty.unwrapped(), Type::Record(..)) && !compared_with_none {
                    self.report(CheckError::RecordAsValue {
                        span,
                        name: name.clone(),
                    });
                    return error_expr(span);
                }
                return self.narrow(e);
            }
            ast::ExprKind::Field(base, field) => {
                let e = self.field_access(base, field, span, scope);
                return self.narrow(e);
            }
            ast::ExprKind::Call(function, args) => return self.call(function, args, span, scope),
            ast::ExprKind::List(items) => return self.list(items, span, scope, expected),
            ast::ExprKind::Unary(op, operand) => return self.unary(*op, operand, span, scope),
            ast::ExprKind::Binary(op, left, right) => {
                return self.binary(*op, left, right, span, scope, expected);
            }
            ast::ExprKind::If(c, t, o) => return self.if_expr(c, t, o, span, scope, expected),
            ast::ExprKind::Index(base, index) => {
                let e = self.index(base, index, span, scope);
                return self.narrow(e);
            }
            ast::ExprKind::Record(fields) => {
                return self.record_literal(fields, span, scope, expected);
            }
            ast::ExprKind::Each(each) => return self.each(each, span, scope, expected),
        };
        Expr { kind, ty, span }
    }

    /// Gives a value shown to be present its type without `?`.
    pub(super) fn narrow(&self, mut e: Expr) -> Expr {
        if let (Type::Optional(inner), Some(key)) = (&e.ty, Narrow::of(&e.kind))
            && self.narrowed.contains(&key)
        {
            e.ty = (**inner).clone();
        }
        e
    }

    /// Checks `e` with the values that `known` shows present treated as present.
    pub(super) fn with_known<T>(
        &mut self,
        known: Vec<Narrow>,
        check: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let depth = self.narrowed.len();
        self.narrowed.extend(known);
        let result = check(self);
        self.narrowed.truncate(depth);
        result
    }

    /// E0201 for a literal text that is not one of the choices wanted here. A text worked
    /// out when the workflow runs is checked when it is written.
    pub(super) fn require_choice(&mut self, e: &Expr, choices: &[Arc<str>]) {
        let Some(Value::Text(text)) = e.as_const() else {
            return;
        };
        if choices.iter().any(|c| **c == **text) {
            return;
        }
        let suggestion = crate::suggest::closest(text, choices.iter().map(|c| &**c)).map(Arc::from);
        self.report(CheckError::NotAChoice {
            span: e.span,
            text: text.to_string(),
            choices: Arc::from(choices),
            suggestion,
        });
    }

    fn text(&mut self, parts: &[TextPart], scope: Scope, span: Span) -> Expr {
        let mut pieces = Vec::new();
        for part in parts {
            match part {
                TextPart::Literal(text) => pieces.push(Piece::Text(Arc::from(text.as_str()))),
                TextPart::Interpolation(inner) => {
                    let checked = self.expr(inner, scope, None);
                    if matches!(&checked.ty, Type::List(item) if matches!(**item, Type::Record(..)))
                    {
                        self.report(CheckError::RecordsInText {
                            span: checked.span,
                            written: self.written(checked.span),
                        });
                    }
                    self.require_value(&checked);
                    pieces.push(Piece::Expr(checked));
                }
            }
        }
        let kind = match pieces.as_slice() {
            [] => ExprKind::Const(Value::text("")),
            [Piece::Text(text)] => ExprKind::Const(Value::text(text)),
            _ => ExprKind::Interpolation(pieces),
        };
        Expr {
            kind,
            ty: Type::Text,
            span,
        }
    }

    fn call(&mut self, function: &ast::Name, args: &[ast::Expr], span: Span, scope: Scope) -> Expr {
        let checked: Vec<Expr> = args.iter().map(|a| self.expr(a, scope, None)).collect();
        let Some(builtin) = Builtin::from_name(&function.node) else {
            let names = Builtin::ALL.iter().map(|b| b.name());
            self.report(CheckError::UnknownFunction {
                name: Named::of(function),
                suggestion: crate::suggest::closest(&function.node, names).map(Arc::from),
            });
            return error_expr(span);
        };
        if checked.len() < builtin.arity() || checked.len() > builtin.most_args() {
            self.report(CheckError::WrongArity {
                name: Named::of(function),
                expected: (builtin.arity(), builtin.most_args()),
                found: checked.len(),
                signature: builtin.signature(),
            });
            return error_expr(span);
        }
        let types: Vec<Type> = checked.iter().map(|a| a.ty.clone()).collect();
        let ty = match builtin.result_type(&types) {
            Ok(ty) => ty,
            Err(mismatch) => {
                let arg = &checked[mismatch.index];
                if mismatch.found.is_optional()
                    && mismatch.found.unwrapped().fits(&mismatch.expected)
                {
                    self.report(CheckError::OptionalUsed {
                        span: arg.span,
                        found: mismatch.found,
                    });
                } else {
                    self.report(CheckError::TypeMismatch {
                        span: arg.span,
                        expected: mismatch.expected,
                        found: mismatch.found,
                        context: Mismatch::Argument {
                            function: builtin.name(),
                            index: mismatch.index,
                        },
                    });
                }
                return error_expr(span);
            }
        };
        // A constant time is checked now rather than failing every run.
        if builtin == Builtin::Time
            && let Some(Value::Text(text)) = checked[0].as_const()
            && crate::value::parse_time(text).is_none()
        {
            self.report(CheckError::TypeMismatch {
                span: checked[0].span,
                expected: Type::Time,
                found: Type::Text,
                context: Mismatch::BadTime {
                    text: text.to_string(),
                },
            });
            return error_expr(span);
        }
        if builtin == Builtin::Format
            && let Some(zone) = checked.get(2)
            && let Some(Value::Text(name)) = zone.as_const()
            && crate::value::time_zone(name).is_none()
        {
            self.report(CheckError::UnknownTimeZone {
                span: zone.span,
                name: name.to_string(),
                suggestion: crate::value::closest_time_zone(name),
            });
            return error_expr(span);
        }
        Expr {
            kind: ExprKind::Call(builtin, checked),
            ty,
            span,
        }
    }

    fn list(
        &mut self,
        items: &[ast::Expr],
        span: Span,
        scope: Scope,
        expected: Option<&Type>,
    ) -> Expr {
        let element_expected = match expected {
            Some(Type::List(element)) => Some((**element).clone()),
            _ => None,
        };
        let mut element: Option<Type> = None;
        let mut checked = Vec::new();
        for item in items {
            let e = self.expr(item, scope, element_expected.as_ref());
            match &element {
                None => element = Some(e.ty.clone()),
                Some(so_far) => match so_far.join(&e.ty) {
                    Some(joined) => element = Some(joined),
                    None => self.report(CheckError::TypeMismatch {
                        span: e.span,
                        expected: so_far.clone(),
                        found: e.ty.clone(),
                        context: Mismatch::ListItems,
                    }),
                },
            }
            checked.push(e);
        }
        let element = element.or(element_expected).unwrap_or(Type::Nothing);
        Expr {
            kind: ExprKind::List(checked),
            ty: Type::list(element),
            span,
        }
    }

    fn unary(&mut self, op: UnaryOp, operand: &ast::Expr, span: Span, scope: Scope) -> Expr {
        match op {
            UnaryOp::Not => {
                let inner = self.expr(operand, scope, Some(&Type::Bool));
                self.require_bool(&inner, "the operand of `not`");
                Expr {
                    kind: ExprKind::Not(Box::new(inner)),
                    ty: Type::Bool,
                    span,
                }
            }
            UnaryOp::Neg => {
                let inner = self.expr(operand, scope, None);
                let ty = match &inner.ty {
                    Type::Number | Type::Duration | Type::Any | Type::Error => inner.ty.clone(),
                    _ => {
                        if self.require_value(&inner) {
                            self.report(CheckError::TypeMismatch {
                                span: inner.span,
                                expected: Type::Number,
                                found: inner.ty.clone(),
                                context: Mismatch::Negate,
                            });
                        }
                        Type::Error
                    }
                };
                Expr {
                    kind: ExprKind::Neg(Box::new(inner)),
                    ty,
                    span,
                }
            }
        }
    }

    fn if_expr(
        &mut self,
        c: &ast::Expr,
        t: &ast::Expr,
        o: &ast::Expr,
        span: Span,
        scope: Scope,
        expected: Option<&Type>,
    ) -> Expr {
        let condition = self.condition(c, scope, "the condition of `if`");
        let (mut when_true, mut when_false) = (Vec::new(), Vec::new());
        present_when(&condition, true, &mut when_true);
        present_when(&condition, false, &mut when_false);
        let then = self.with_known(when_true, |this| this.expr(t, scope, expected));
        let otherwise = self.with_known(when_false, |this| this.expr(o, scope, expected));
        let ty = match then.ty.join(&otherwise.ty) {
            Some(ty) => ty,
            None => {
                self.report(CheckError::TypeMismatch {
                    span: otherwise.span,
                    expected: then.ty.clone(),
                    found: otherwise.ty.clone(),
                    context: Mismatch::Branches {
                        then: then.ty.clone(),
                        otherwise: otherwise.ty.clone(),
                    },
                });
                Type::Error
            }
        };
        Expr {
            kind: ExprKind::If(Box::new(condition), Box::new(then), Box::new(otherwise)),
            ty,
            span,
        }
    }
}
