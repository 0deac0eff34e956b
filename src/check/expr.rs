//! Expressions: resolving names, inferring types, and the diagnostics for both.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Mismatch, Named, ScopeHint};
use crate::ast::{self, BinaryOp, TextPart, UnaryOp};
use crate::builtins::Builtin;
use crate::program::{EntityId, Expr, ExprKind, FieldId, LocalId, Piece};
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
}

impl Scope {
    pub fn constant() -> Scope {
        Scope {
            view: View::Constant,
            trigger: None,
        }
    }
}

/// A value that a comparison with `none` (or with a value) has shown to be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Narrow {
    Trigger(FieldId),
    Target(FieldId),
    Local(LocalId),
}

impl Narrow {
    fn of(kind: &ExprKind) -> Option<Narrow> {
        match kind {
            ExprKind::TriggerField(f) => Some(Narrow::Trigger(*f)),
            ExprKind::TargetField(f) => Some(Narrow::Target(*f)),
            ExprKind::Local(l) => Some(Narrow::Local(*l)),
            _ => None,
        }
    }
}

/// The optional values that are certainly present when `e` evaluates to `when`.
pub(super) fn present_when(e: &Expr, when: bool, out: &mut Vec<Narrow>) {
    match &e.kind {
        ExprKind::Not(inner) => present_when(inner, !when, out),
        ExprKind::Binary(BinaryOp::And, l, r) if when => {
            present_when(l, true, out);
            present_when(r, true, out);
        }
        ExprKind::Binary(BinaryOp::Or, l, r) if !when => {
            present_when(l, false, out);
            present_when(r, false, out);
        }
        ExprKind::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), l, r) => {
            let is_none = |x: &Expr| matches!(x.as_const(), Some(Value::None));
            let (subject, other) = if is_none(l) || l.as_const().is_some() {
                (r, l)
            } else {
                (l, r)
            };
            let present = match (op, is_none(other)) {
                // `x != none` holds, or `x == none` fails.
                (BinaryOp::Ne, true) => when,
                (BinaryOp::Eq, true) => !when,
                // `x == "a"` holds: x is "a", so present.
                (BinaryOp::Eq, false) => when && other.as_const().is_some(),
                _ => false,
            };
            if present {
                out.extend(Narrow::of(&subject.kind));
            }
        }
        ExprKind::Binary(BinaryOp::In, l, _) if when => out.extend(Narrow::of(&l.kind)),
        _ => {}
    }
}

fn error_expr(span: Span) -> Expr {
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
    fn require_value(&mut self, e: &Expr) -> bool {
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
            ast::ExprKind::User => (
                ExprKind::Const(Value::Label(Arc::from("user"))),
                Type::Origin,
            ),
            ast::ExprKind::Text(parts) => return self.text(parts, scope, span),
            ast::ExprKind::Name(name) => {
                let e = self.name(name, span, scope, expected);
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
                return self.binary(*op, left, right, span, scope);
            }
            ast::ExprKind::If(c, t, o) => return self.if_expr(c, t, o, span, scope, expected),
        };
        Expr { kind, ty, span }
    }

    /// Gives a value shown to be present its type without `?`.
    fn narrow(&self, mut e: Expr) -> Expr {
        if let (Type::Optional(inner), Some(key)) = (&e.ty, Narrow::of(&e.kind))
            && self.narrowed.contains(&key)
        {
            e.ty = (**inner).clone();
        }
        e
    }

    /// Checks `e` with the values that `known` shows present treated as present.
    fn with_known<T>(&mut self, known: Vec<Narrow>, check: impl FnOnce(&mut Self) -> T) -> T {
        let depth = self.narrowed.len();
        self.narrowed.extend(known);
        let result = check(self);
        self.narrowed.truncate(depth);
        result
    }

    fn text(&mut self, parts: &[TextPart], scope: Scope, span: Span) -> Expr {
        let mut pieces = Vec::new();
        for part in parts {
            match part {
                TextPart::Literal(text) => pieces.push(Piece::Text(Arc::from(text.as_str()))),
                TextPart::Interpolation(inner) => {
                    let checked = self.expr(inner, scope, None);
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

    /// What a bare name means here, if anything.
    fn lookup(&mut self, name: &str, scope: Scope) -> Option<(ExprKind, Type)> {
        match scope.view {
            View::Target(entity) | View::Record(entity) => {
                let e = self.program.entity(entity);
                if let Some(field) = e.field_named(name) {
                    return Some((ExprKind::TargetField(field), e.fields[field.0].ty.clone()));
                }
                if name == "id" {
                    return Some((ExprKind::TargetId, Type::Text));
                }
            }
            View::Trigger | View::Constant => {}
        }
        if name == "origin" {
            match scope.view {
                View::Record(entity) => {
                    let e = self.program.entity(entity);
                    return Some(match e.stamp {
                        Some(stamp) => (ExprKind::TargetField(stamp), Type::Origin),
                        None if !e.declared => (ExprKind::Origin, Type::Origin),
                        None => return None,
                    });
                }
                View::Constant => return None,
                _ => return Some((ExprKind::Origin, Type::Origin)),
            }
        }
        if let Some(i) = self.locals[..self.visible_locals]
            .iter()
            .position(|l| &*l.name == name)
        {
            self.locals_used[i] = true;
            return Some((ExprKind::Local(LocalId(i)), self.locals[i].ty.clone()));
        }
        if let (View::Trigger, Some(entity)) = (scope.view, scope.trigger) {
            let e = self.program.entity(entity);
            if let Some(field) = e.field_named(name) {
                return Some((ExprKind::TriggerField(field), e.fields[field.0].ty.clone()));
            }
            if name == "id" {
                return Some((ExprKind::TriggerId, Type::Text));
            }
            if !e.declared && name != "trigger" {
                let field = self.open_field(entity, &Arc::from(name), Span::default());
                return Some((ExprKind::TriggerField(field), Type::Any));
            }
        }
        if let View::Record(entity) = scope.view
            && !self.program.entity(entity).declared
        {
            let field = self.open_field(entity, &Arc::from(name), Span::default());
            return Some((ExprKind::TargetField(field), Type::Any));
        }
        if let View::Target(entity) = scope.view
            && !self.program.entity(entity).declared
        {
            let field = self.open_field(entity, &Arc::from(name), Span::default());
            return Some((ExprKind::TargetField(field), Type::Any));
        }
        None
    }

    /// Whether a bare name means something here without being a label. An open entity
    /// accepts any field, but next to an origin a name it has not met yet is a label
    /// (`unless origin == keragon` on an open app), not a new field.
    fn resolves(&self, name: &str, scope: Scope) -> bool {
        let in_entity = |entity: EntityId| {
            let e = self.program.entity(entity);
            e.field_named(name).is_some() || name == "id"
        };
        name == "origin" && !matches!(scope.view, View::Constant)
            || self.locals[..self.visible_locals]
                .iter()
                .any(|l| &*l.name == name)
            || match scope.view {
                View::Target(entity) | View::Record(entity) => in_entity(entity),
                View::Trigger => scope.trigger.is_some_and(in_entity),
                View::Constant => false,
            }
    }

    fn name(&mut self, name: &Arc<str>, span: Span, scope: Scope, expected: Option<&Type>) -> Expr {
        if matches!(expected, Some(Type::Origin)) && !self.resolves(name, scope) {
            return Expr {
                kind: ExprKind::Const(Value::Label(name.clone())),
                ty: Type::Origin,
                span,
            };
        }
        if let Some((kind, ty)) = self.lookup(name, scope) {
            return Expr { kind, ty, span };
        }
        // A bare name compared with or stored as an origin is a label.
        if matches!(expected, Some(Type::Origin)) {
            return Expr {
                kind: ExprKind::Const(Value::Label(name.clone())),
                ty: Type::Origin,
                span,
            };
        }
        if name.as_ref() == "origin"
            && let View::Record(entity) = scope.view
        {
            let e = self.program.entity(entity);
            let app = self.program.app(e.app).name.clone();
            self.report(CheckError::NoStamp {
                span,
                entity: e.name.clone(),
                app,
            });
            return error_expr(span);
        }
        if let Some((_, defined)) = self.later_lets.iter().find(|(n, _)| n == name) {
            let defined = *defined;
            self.report(CheckError::UsedBeforeLet {
                name: Named {
                    text: name.clone(),
                    span,
                },
                defined,
            });
            return error_expr(span);
        }
        let candidates = self.names_in_view(scope);
        let suggestion =
            crate::suggest::closest(name, candidates.iter().map(|c| &**c)).map(Arc::from);
        let hint = self.scope_hint(scope);
        self.report(CheckError::UnknownName {
            name: Named {
                text: name.clone(),
                span,
            },
            suggestion,
            scope: hint,
        });
        error_expr(span)
    }

    fn names_in_view(&self, scope: Scope) -> Vec<Arc<str>> {
        let mut names: Vec<Arc<str>> = self.locals[..self.visible_locals]
            .iter()
            .map(|l| l.name.clone())
            .collect();
        let entity = match scope.view {
            View::Target(e) | View::Record(e) => Some(e),
            View::Trigger => scope.trigger,
            View::Constant => None,
        };
        if let Some(entity) = entity {
            names.extend(
                self.program
                    .entity(entity)
                    .fields
                    .iter()
                    .map(|f| f.name.clone()),
            );
            names.push(Arc::from("id"));
            names.push(Arc::from("origin"));
        }
        names
    }

    fn scope_hint(&self, scope: Scope) -> ScopeHint {
        let describe = |entity: EntityId| {
            let e = self.program.entity(entity);
            (e.name.clone(), self.program.app(e.app).name.clone())
        };
        match scope.view {
            View::Trigger => match scope.trigger {
                Some(entity) => {
                    let (entity, app) = describe(entity);
                    ScopeHint::Trigger { entity, app }
                }
                None => ScopeHint::Constant,
            },
            View::Target(entity) => {
                let (entity, app) = describe(entity);
                ScopeHint::Target { entity, app }
            }
            View::Record(entity) => {
                let (entity, app) = describe(entity);
                ScopeHint::Record { entity, app }
            }
            View::Constant => ScopeHint::Constant,
        }
    }

    fn field_access(
        &mut self,
        base: &ast::Expr,
        field: &ast::Name,
        span: Span,
        scope: Scope,
    ) -> Expr {
        let trigger = match (&base.kind, scope.trigger) {
            (ast::ExprKind::Name(name), Some(trigger)) if &**name == "trigger" => trigger,
            _ => {
                let base_text = self.sources.slice(base.span).to_string();
                self.report(CheckError::BadFieldAccess {
                    span,
                    base: Arc::from(base_text.as_str()),
                    field: field.node.clone(),
                    has_trigger: scope.trigger.is_some(),
                });
                return error_expr(span);
            }
        };
        if &*field.node == "id" && self.program.entity(trigger).field_named("id").is_none() {
            return Expr {
                kind: ExprKind::TriggerId,
                ty: Type::Text,
                span,
            };
        }
        match self.field(trigger, field) {
            Some(f) => Expr {
                kind: ExprKind::TriggerField(f),
                ty: self.program.entity(trigger).fields[f.0].ty.clone(),
                span,
            },
            None => error_expr(span),
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
        if checked.len() != builtin.arity() {
            self.report(CheckError::WrongArity {
                name: Named::of(function),
                expected: builtin.arity(),
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
        let mut element = element_expected.clone().unwrap_or(Type::Nothing);
        let mut checked = Vec::new();
        for item in items {
            let e = self.expr(item, scope, element_expected.as_ref());
            match element.join(&e.ty) {
                Some(joined) if element_expected.is_none() => element = joined,
                Some(_) => {}
                None => self.report(CheckError::TypeMismatch {
                    span: e.span,
                    expected: element.clone(),
                    found: e.ty.clone(),
                    context: Mismatch::ListItems,
                }),
            }
            checked.push(e);
        }
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

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
        scope: Scope,
    ) -> Expr {
        let (l, r) = match op {
            // A bare label may stand on either side of a comparison with an origin.
            BinaryOp::Eq | BinaryOp::Ne => {
                let left_is_label =
                    matches!(&left.kind, ast::ExprKind::Name(n) if !self.resolves(n, scope));
                if left_is_label {
                    let r = self.expr(right, scope, None);
                    let l = self.expr(left, scope, Some(&r.ty));
                    (l, r)
                } else {
                    let l = self.expr(left, scope, None);
                    let r = self.expr(right, scope, Some(&l.ty));
                    (l, r)
                }
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
            _ => {
                let l = self.expr(left, scope, None);
                let r = self.expr(right, scope, None);
                (l, r)
            }
        };
        let ty = self.binary_type(op, &l, &r);
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            ty,
            span,
        }
    }

    fn binary_type(&mut self, op: BinaryOp, l: &Expr, r: &Expr) -> Type {
        let unknown = l.ty == Type::Error || r.ty == Type::Error;
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let context = if op == BinaryOp::And {
                    "each side of `and`"
                } else {
                    "each side of `or`"
                };
                self.require_bool(l, context);
                self.require_bool(r, context);
                Type::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
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
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                if unknown || !self.require_value(l) || !self.require_value(r) {
                    return Type::Bool;
                }
                let ordered = |t: &Type| {
                    matches!(
                        t,
                        Type::Number | Type::Text | Type::Time | Type::Duration | Type::Any
                    )
                };
                let fine =
                    (l.ty.fits(&r.ty) || r.ty.fits(&l.ty)) && ordered(&l.ty) && ordered(&r.ty);
                if !fine {
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
            BinaryOp::In => {
                if unknown {
                    return Type::Bool;
                }
                match &r.ty {
                    Type::List(element) => {
                        let left = l.ty.unwrapped();
                        if !(left.fits(element) || element.fits(left) || **element == Type::Nothing)
                        {
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
            BinaryOp::Default => {
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
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                if unknown || !self.require_value(l) || !self.require_value(r) {
                    return Type::Error;
                }
                match arithmetic(op, &l.ty, &r.ty) {
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
    }
}

/// The result of an arithmetic operator, if the operands go together.
fn arithmetic(op: BinaryOp, l: &Type, r: &Type) -> Option<Type> {
    use Type::*;
    Some(match (op, l, r) {
        (_, Any, Any) => Any,
        (BinaryOp::Add, Any, t) | (BinaryOp::Add, t, Any) if matches!(t, Number | Text) => {
            t.clone()
        }
        (_, Any, _) | (_, _, Any) => Any,
        (BinaryOp::Add, Number, Number) => Number,
        (BinaryOp::Add, Text, Text) => Text,
        (BinaryOp::Add, Time, Duration) | (BinaryOp::Add, Duration, Time) => Time,
        (BinaryOp::Add, Duration, Duration) => Duration,
        (BinaryOp::Sub, Number, Number) => Number,
        (BinaryOp::Sub, Time, Duration) => Time,
        (BinaryOp::Sub, Time, Time) => Duration,
        (BinaryOp::Sub, Duration, Duration) => Duration,
        (BinaryOp::Mul, Number, Number) => Number,
        (BinaryOp::Mul, Duration, Number) | (BinaryOp::Mul, Number, Duration) => Duration,
        (BinaryOp::Div, Number, Number) => Number,
        (BinaryOp::Div, Duration, Number) => Duration,
        _ => return None,
    })
}

/// The value of an expression that depends on nothing, if it can be worked out now.
pub(super) fn constant(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Const(v) => Some(v.clone()),
        ExprKind::Not(inner) => match constant(inner)? {
            Value::Bool(b) => Some(Value::Bool(!b)),
            _ => None,
        },
        ExprKind::Binary(op, l, r) => {
            let (a, b) = (constant(l)?, constant(r)?);
            let truth = match (op, &a, &b) {
                (BinaryOp::And, Value::Bool(x), Value::Bool(y)) => *x && *y,
                (BinaryOp::Or, Value::Bool(x), Value::Bool(y)) => *x || *y,
                (BinaryOp::Eq, _, _) => a == b,
                (BinaryOp::Ne, _, _) => a != b,
                (BinaryOp::Lt, Value::Number(x), Value::Number(y)) => x < y,
                (BinaryOp::Le, Value::Number(x), Value::Number(y)) => x <= y,
                (BinaryOp::Gt, Value::Number(x), Value::Number(y)) => x > y,
                (BinaryOp::Ge, Value::Number(x), Value::Number(y)) => x >= y,
                _ => return None,
            };
            Some(Value::Bool(truth))
        }
        _ => None,
    }
}
