//! Names in expressions: what a bare name means where it stands (a field, a `let`, `id`,
//! `origin` or a label), and `trigger.field`.
//!
//! ```text
//! on new event in Calendar where title != ""      # `title`: a field of the trigger record
//! update event in Outlook where subject == trigger.title { … }   # target field, trigger field
//! notify titl                                     # E0105, did you mean `title`?
//! ```

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Named, ScopeHint};
use super::expr::{Scope, View, error_expr};
use super::failed::FailedProblem;
use crate::ast;
use crate::program::{ConflictPart, EntityId, Expr, ExprKind, FieldId, LocalId};
use crate::span::Span;
use crate::types::Type;
use crate::value::Value;

impl Checker<'_> {
    /// The entity `name` of an app as declared (in a call's `writes`, a webhook's or a poll's
    /// entity), or, when it declares none by that name, the closest name it does declare.
    pub(super) fn declared_entity(
        &self,
        app: crate::program::AppId,
        decl: &ast::AppDecl,
        name: &str,
    ) -> Result<EntityId, Option<Arc<str>>> {
        self.program.entity_named(app, name).ok_or_else(|| {
            let names = decl.entities.iter().map(|e| &*e.name.node);
            crate::suggest::closest(name, names).map(Arc::from)
        })
    }

    /// What a bare name means here, if anything.
    pub(super) fn lookup(&mut self, name: &str, scope: Scope) -> Option<(ExprKind, Type)> {
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
        if let Some(i) = self.visible_local(name) {
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

    /// The index of the visible `let` of this name: declared above, and not inside an arm of a
    /// branch that has ended.
    pub(super) fn visible_local(&self, name: &str) -> Option<usize> {
        (0..self.visible_locals).find(|&i| !self.locals_hidden[i] && &*self.locals[i].name == name)
    }

    /// Whether a bare name means something here without being a label. An open entity
    /// accepts any field, but next to an origin a name it has not met yet is a label
    /// (`unless origin == keragon` on an open app), not a new field.
    pub(super) fn resolves(&self, name: &str, scope: Scope) -> bool {
        let in_entity = |entity: EntityId| {
            let e = self.program.entity(entity);
            e.field_named(name).is_some() || name == "id"
        };
        name == "origin" && !matches!(scope.view, View::Constant)
            || self.visible_local(name).is_some()
            || match scope.view {
                View::Target(entity) | View::Record(entity) => in_entity(entity),
                View::Trigger => scope.trigger.is_some_and(in_entity),
                View::Constant => false,
            }
    }

    pub(super) fn name(
        &mut self,
        name: &Arc<str>,
        span: Span,
        scope: Scope,
        expected: Option<&Type>,
    ) -> Expr {
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
        // `{error}` in a workflow on failed runs: the failure is read by its parts.
        if &**name == "error" && self.failure_of.is_some() {
            self.report(CheckError::Failed(FailedProblem::ErrorWhole { span }));
            return error_expr(span);
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
        if let Some(i) = (0..self.visible_locals)
            .find(|&i| self.locals_hidden[i] && &self.locals[i].name == name)
        {
            self.locals_used[i] = true;
            let name = Named {
                text: name.clone(),
                span,
            };
            let defined = self.locals[i].span;
            self.report(if self.hidden_by_for.contains(&i) {
                CheckError::LetInFor { name, defined }
            } else {
                CheckError::LetInArm { name, defined }
            });
            return error_expr(span);
        }
        if let Some((_, defined)) = self.later_lets.iter().find(|(n, _)| n == name) {
            let defined = *defined;
            let name = Named {
                text: name.clone(),
                span,
            };
            self.report(self.used_before_let(name, defined));
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
        let mut names: Vec<Arc<str>> = (0..self.visible_locals)
            .filter(|&i| !self.locals_hidden[i])
            .map(|i| self.locals[i].name.clone())
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

    /// A name whose `let` is further down: made in another arm of an enclosing `if`, or later.
    fn used_before_let(&self, name: Named, defined: Span) -> CheckError {
        let inside = |block: &Span| block.range().contains(&defined.range().start);
        if self.other_arms.iter().any(inside) {
            CheckError::LetInOtherArm { name, defined }
        } else {
            CheckError::UsedBeforeLet { name, defined }
        }
    }

    /// Why a run on the clock's tick has no trigger record: a schedule, or `on failed run`.
    fn no_record_hint(&self) -> ScopeHint {
        if self.failure_of == Some(crate::program::FailedOf::Any) {
            ScopeHint::AnyFailure
        } else {
            ScopeHint::Scheduled
        }
    }

    fn scope_hint(&self, scope: Scope) -> ScopeHint {
        let describe = |entity: EntityId| {
            let e = self.program.entity(entity);
            (e.name.clone(), self.program.app(e.app).name.clone())
        };
        match scope.view {
            View::Trigger => match scope.trigger {
                Some(entity) if self.program.app(self.program.entity(entity).app).is_clock() => {
                    self.no_record_hint()
                }
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

    /// A field of a name with a meaning of its own: `conflict.`, `error.`, a call's reply,
    /// `target.`, a local record, or a `let` read before it is made.
    fn field_of_a_name(
        &mut self,
        base: &ast::Expr,
        field: &ast::Name,
        span: Span,
        scope: Scope,
    ) -> Option<Expr> {
        if let (ast::ExprKind::Name(name), Some(_)) = (&base.kind, self.conflict_sync)
            && &**name == "conflict"
            && !matches!(scope.view, View::Constant | View::Record(_))
        {
            return Some(self.conflict_part(field, span));
        }
        if let (ast::ExprKind::Name(name), Some(_)) = (&base.kind, self.failure_of)
            && &**name == "error"
            && !matches!(scope.view, View::Constant | View::Record(_))
        {
            return Some(self.failure_part(field, span));
        }
        if let Some(reply) = self.reply_field(base, field, span) {
            return Some(reply);
        }
        if let ast::ExprKind::Name(name) = &base.kind
            && &**name == "target"
        {
            return Some(self.target_field(field, span, base.span, scope));
        }
        if let ast::ExprKind::Name(name) = &base.kind
            && let Some(i) = self.visible_local(name)
            && let Type::Record(entity, _) = self.locals[i].ty.unwrapped().clone()
        {
            return Some(self.record_field(LocalId(i), entity, field, span, base.span));
        }
        if let ast::ExprKind::Name(name) = &base.kind
            && let Some(&(_, defined)) = self.later_lets.iter().find(|(n, _)| n == name)
        {
            let name = Named {
                text: name.clone(),
                span: base.span,
            };
            self.report(self.used_before_let(name, defined));
            return Some(error_expr(span));
        }
        None
    }

    pub(super) fn field_access(
        &mut self,
        base: &ast::Expr,
        field: &ast::Name,
        span: Span,
        scope: Scope,
    ) -> Expr {
        if let Some(read) = self.field_of_a_name(base, field, span, scope) {
            return read;
        }
        let trigger = match (&base.kind, scope.trigger) {
            (ast::ExprKind::Name(name), Some(trigger))
                if &**name == "trigger"
                    && self
                        .program
                        .app(self.program.entity(trigger).app)
                        .is_clock() =>
            {
                // A scheduled run: there is no trigger record to read.
                self.report(CheckError::UnknownName {
                    name: Named {
                        text: name.clone(),
                        span: base.span,
                    },
                    suggestion: None,
                    scope: self.no_record_hint(),
                });
                return error_expr(span);
            }
            (ast::ExprKind::Name(name), Some(trigger)) if &**name == "trigger" => trigger,
            (ast::ExprKind::Name(name), _) if &**name == "error" => {
                self.report(CheckError::Failed(FailedProblem::ErrorOutside { span }));
                return error_expr(span);
            }
            // An item of a `for` or a walk, read after it: the name's own error says so.
            (ast::ExprKind::Name(name), _)
                if !self.resolves(name, scope)
                    && (0..self.visible_locals)
                        .any(|i| self.locals_hidden[i] && self.locals[i].name == *name) =>
            {
                self.expr(base, scope, None);
                return error_expr(span);
            }
            _ => {
                // A nested record (`address.city`, `line.sku`): its field by place.
                let unknown_name =
                    matches!(&base.kind, ast::ExprKind::Name(name) if !self.resolves(name, scope));
                let mut base_ty = None;
                if !unknown_name {
                    let value = self.expr(base, scope, None);
                    if value.ty.is_unknown() {
                        return error_expr(span);
                    }
                    base_ty = Some(value.ty.clone());
                    if let Some(member) = self.member(value, field, span) {
                        return member;
                    }
                }
                let base_text = self.sources.slice(base.span).to_string();
                self.report(CheckError::BadFieldAccess {
                    span,
                    base: Arc::from(base_text.as_str()),
                    field: field.node.clone(),
                    has_trigger: scope.trigger.is_some(),
                    base_ty,
                });
                return error_expr(span);
            }
        };
        self.read_field(
            trigger,
            field,
            span,
            ExprKind::TriggerId,
            ExprKind::TriggerField,
        )
    }

    /// `FIELD` (or `id`) of a record of `entity`, read as `field_kind` (or `id_kind`).
    fn read_field(
        &mut self,
        entity: EntityId,
        field: &ast::Name,
        span: Span,
        id_kind: ExprKind,
        field_kind: impl FnOnce(FieldId) -> ExprKind,
    ) -> Expr {
        if &*field.node == "id" && self.program.entity(entity).field_named("id").is_none() {
            return Expr {
                kind: id_kind,
                ty: Type::Text,
                span,
            };
        }
        match self.field(entity, field) {
            Some(f) => Expr {
                kind: field_kind(f),
                ty: self.program.entity(entity).fields[f.0].ty.clone(),
                span,
            },
            None => error_expr(span),
        }
    }

    /// `conflict.kept` and the like: each a text (E0105 for another name, with did-you-mean).
    fn conflict_part(&mut self, field: &ast::Name, span: Span) -> Expr {
        self.text_part(
            field,
            span,
            &ConflictPart::ALL,
            ExprKind::Conflict,
            ScopeHint::Conflict,
        )
    }

    /// One of the named text `parts` after a dot (`conflict.kept`, `error.message`), or E0105
    /// with the closest part.
    pub(super) fn text_part<P: Copy>(
        &mut self,
        field: &ast::Name,
        span: Span,
        parts: &[(&'static str, P)],
        kind: fn(P) -> ExprKind,
        scope: ScopeHint,
    ) -> Expr {
        if let Some((_, part)) = parts.iter().find(|(n, _)| **n == *field.node) {
            return Expr {
                kind: kind(*part),
                ty: Type::Text,
                span,
            };
        }
        let names = parts.iter().map(|(n, _)| *n);
        let suggestion = crate::suggest::closest(&field.node, names).map(Arc::from);
        self.report(CheckError::UnknownName {
            name: Named::of(field),
            suggestion,
            scope,
        });
        error_expr(span)
    }

    /// `target.FIELD`: a field of the record an `update` writes, inside that `update`.
    fn target_field(&mut self, field: &ast::Name, span: Span, base: Span, scope: Scope) -> Expr {
        let Some(entity) = scope.target else {
            let trigger_has = scope
                .trigger
                .is_some_and(|t| self.program.entity(t).field_named(&field.node).is_some());
            self.report(CheckError::TargetOutsideUpdate {
                span: base,
                field: field.node.clone(),
                trigger_has,
            });
            return error_expr(span);
        };
        self.read_field(
            entity,
            field,
            span,
            ExprKind::TargetId,
            ExprKind::TargetField,
        )
    }

    /// `c.FIELD` of a record a `find` gave `c`: only where `c` is known to be there.
    fn record_field(
        &mut self,
        local: LocalId,
        entity: EntityId,
        field: &ast::Name,
        span: Span,
        base: Span,
    ) -> Expr {
        self.locals_used[local.0] = true;
        if self.locals[local.0].ty.is_optional()
            && !self.narrowed.contains(&super::narrow::Narrow::Local(local))
        {
            let name = self.locals[local.0].name.clone();
            let entity_name = self.program.entity(entity).name.clone();
            self.report(CheckError::RecordMaybeNone {
                span: base,
                name,
                field: field.node.clone(),
                entity: entity_name,
            });
            return error_expr(span);
        }
        self.read_field(entity, field, span, ExprKind::RecordId(local), |f| {
            ExprKind::RecordField(local, f)
        })
    }
}
