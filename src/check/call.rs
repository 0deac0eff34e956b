//! Calls: requests to a real app that are not about its records (an enrichment lookup, a
//! message sent), declared with the app and used as a step.
//!
//! ```text
//! call lookup POST "/v1/people/match" { email: text } returns at "person" { title: text? }
//! let p = call lookup in Apollo { email: email }        # fine: `p.title` in later steps
//! let p = call lokup in Apollo { email: email }         # E0501: no call `lokup`
//! ```
//!
//! A call's arguments and reply are laid out as records of two entities no script can name
//! (`call lookup`, `reply of lookup`), so that they are checked, encoded and decoded as
//! records are. A call changes nothing as far as the flow checker knows, unless it says
//! `writes ENTITY`.

use std::sync::Arc;

use super::Checker;
use super::error::Named;
use super::expr::{Scope, error_expr};
use super::http::MappingError;
use crate::ast::{self, HttpOp};
use crate::program::{AppId, Call, CallStep, EntityId, Expr, ExprKind, LocalId};
use crate::remote::mapping::{Mapping, wire_path};
use crate::span::{Span, Spanned};
use crate::suggest::closest;

impl Checker<'_> {
    fn hidden_entity(
        &mut self,
        app: AppId,
        name: String,
        at: Span,
        fields: &[ast::FieldDecl],
    ) -> EntityId {
        let decl = ast::EntityDecl {
            name: Spanned::new(Arc::from(name), at),
            fields: fields.to_vec(),
            span: at,
        };
        self.declare_entity(app, &decl);
        EntityId(self.program.entities.len() - 1)
    }

    /// The calls of an app, with their arguments and replies as entities of their own and
    /// their requests as mappings.
    pub(super) fn declare_calls(&mut self, app: AppId, decl: &ast::AppDecl) {
        let app_name = decl.name.node.clone();
        for (i, call) in decl.calls.iter().enumerate() {
            if decl.location.is_none() {
                self.mapping_error(MappingError::NotReal {
                    app: app_name.clone(),
                    span: call.name.span,
                });
                continue;
            }
            if let Some(first) = decl.calls[..i]
                .iter()
                .find(|c| c.name.node == call.name.node)
            {
                self.mapping_error(MappingError::Twice {
                    what: format!("the call `{}`", call.name.node),
                    span: call.name.span,
                    first: first.name.span,
                });
                continue;
            }
            let args = self.hidden_entity(
                app,
                format!("call {}", call.name.node),
                call.name.span,
                &call.args,
            );
            let reply = self.hidden_entity(
                app,
                format!("reply of {}", call.name.node),
                call.name.span,
                &call.returns,
            );
            for field in &call.returns {
                if !matches!(field.ty.node, ast::TypeExpr::Optional(_)) {
                    self.mapping_error(MappingError::ReplyFieldRequired {
                        field: Named::of(&field.name),
                        ty: field.ty.node.to_string(),
                    });
                }
            }
            let writes = self.call_writes(app, decl, call);
            let what = format!("call `{}`", call.name.node);
            let route = self.route(args, HttpOp::Create, &what, &call.method, &call.path, &[]);
            let wire = |fields: &[ast::FieldDecl]| {
                fields
                    .iter()
                    .map(|f| wire_path(f.wire.as_ref().map_or(&*f.name.node, |w| &w.node)))
                    .collect::<Vec<_>>()
            };
            let mut args_mapping = Mapping::rest(&call.name.node, wire(&call.args));
            args_mapping.routes = Default::default();
            args_mapping.routes[0] = route;
            args_mapping.declared = true;
            let mut reply_mapping = Mapping::rest(&call.name.node, wire(&call.returns));
            reply_mapping.body.envelope = call.returns_at.as_ref().map(|at| wire_path(&at.node));
            reply_mapping.declared = true;
            if let Some(location) = &mut self.program.apps[app.0].location {
                location.mappings.push((args, Arc::new(args_mapping)));
                location.mappings.push((reply, Arc::new(reply_mapping)));
            }
            self.program.apps[app.0].calls.push(Call {
                name: call.name.node.clone(),
                span: call.name.span,
                args,
                reply,
                writes,
            });
        }
    }

    /// The entities a call says it `writes`, each one the app declares.
    fn call_writes(
        &mut self,
        app: AppId,
        decl: &ast::AppDecl,
        call: &ast::CallDecl,
    ) -> Vec<EntityId> {
        let mut writes = Vec::new();
        for name in &call.writes {
            match self.declared_entity(app, decl, &name.node) {
                Ok(entity) => writes.push(entity),
                Err(suggestion) => self.mapping_error(MappingError::UnknownEntity {
                    app: decl.name.node.clone(),
                    entity: Named::of(name),
                    suggestion,
                }),
            }
        }
        writes
    }

    /// `[let r =] call NAME in APP { … }`: the arguments checked against the call's, and a
    /// `let` named `r.FIELD` for each field of the reply.
    pub(super) fn call_step(
        &mut self,
        result: Option<&ast::Name>,
        call: &ast::CallUse,
        scope: Scope,
    ) -> Option<CallStep> {
        let found = self
            .apps_by_name
            .get(&call.app.node)
            .copied()
            .and_then(|app| {
                let calls = &self.program.apps[app.0].calls;
                calls
                    .iter()
                    .position(|c| c.name == call.call.node)
                    .map(|i| (app, i))
            });
        let Some((app, index)) = found else {
            let known: Vec<Arc<str>> = self
                .apps_by_name
                .get(&call.app.node)
                .map(|app| {
                    self.program.apps[app.0]
                        .calls
                        .iter()
                        .map(|c| c.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            let suggestion = closest(&call.call.node, known.iter().map(|k| &**k)).map(Arc::from);
            self.mapping_error(MappingError::UnknownCall {
                call: Named::of(&call.call),
                app: call.app.node.clone(),
                suggestion,
            });
            for field in &call.fields {
                self.expr(&field.value, scope, None);
            }
            return None;
        };
        let declared = self.program.apps[app.0].calls[index].clone();
        let (args, all_known) = self.assignments_with_unknowns(declared.args, &call.fields, scope);
        let missing: Vec<Arc<str>> = self
            .program
            .entity(declared.args)
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| f.required && !args.iter().any(|a| a.field.0 == *i))
            .map(|(_, f)| f.name.clone())
            .collect();
        // An argument misspelt is reported once, not again as missing.
        if !missing.is_empty() && all_known {
            self.mapping_error(MappingError::MissingArgs {
                span: call.call.span,
                call: declared.name.clone(),
                missing,
            });
        }
        let mut results = Vec::new();
        if let (Some(result), Some(trigger)) = (result, scope.trigger) {
            let fields = self.program.entity(declared.reply).fields.clone();
            for (i, field) in fields.iter().enumerate() {
                let name = Spanned::new(
                    Arc::from(format!("{}.{}", result.node, field.name)),
                    result.span,
                );
                let local = self.declare_local(&name, field.ty.clone(), trigger);
                // A reply's fields are there to be used or not: no "unused `let`" for them.
                self.locals_used[local.0] = true;
                results.push((crate::program::FieldId(i), local));
            }
        }
        Some(CallStep {
            app,
            call: index,
            args,
            results,
            writes: !declared.writes.is_empty(),
        })
    }

    /// `r.title` where `let r = call …`: the reply's field, if `r` is a call's reply.
    pub(super) fn reply_field(
        &mut self,
        base: &ast::Expr,
        field: &ast::Name,
        span: Span,
    ) -> Option<Expr> {
        let ast::ExprKind::Name(base) = &base.kind else {
            return None;
        };
        let prefix = format!("{base}.");
        let visible = &self.locals[..self.visible_locals];
        if !visible.iter().any(|l| l.name.starts_with(&prefix)) {
            return None;
        }
        let wanted = format!("{prefix}{}", field.node);
        if let Some(i) = visible.iter().position(|l| *l.name == *wanted) {
            return Some(Expr {
                kind: ExprKind::Local(LocalId(i)),
                ty: self.locals[i].ty.clone(),
                span,
            });
        }
        let fields: Vec<String> = visible
            .iter()
            .filter_map(|l| l.name.strip_prefix(&prefix).map(String::from))
            .collect();
        let suggestion = closest(&field.node, fields.iter().map(String::as_str)).map(Arc::from);
        self.mapping_error(MappingError::UnknownReplyField {
            field: Named::of(field),
            reply: Arc::from(base.as_ref()),
            suggestion,
            known: fields,
        });
        Some(error_expr(span))
    }
}
