//! The HTTP side of real apps: each entity's [`Mapping`] (weir's own REST mapping, or what an
//! `http ENTITY { … }` block says) and the app's auth, resolved, with every mistake reported
//! (E0501) before anything runs.
//!
//! ```text
//! http contact { read GET "/crm/v3/objects/contacts/{id}" }     # fine
//! http contact { create POST "/contacts/{emial}" }              # E0501: no field `emial`
//! ```

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Named};
use crate::ast::{self, HttpMember, HttpOp, PageDecl};
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, help, primary, secondary};
use crate::program::{AppId, Entity, EntityId, FieldId};
use crate::remote::auth::{Auth, SecretSource};
use crate::remote::mapping::{
    BodyShape, Mapping, Paging, Param, Piece, Route, op_index, path_names, wire_path,
};
use crate::span::Span;
use crate::suggest::closest;

/// A mistake in an app's HTTP mapping (E0501).
#[derive(Clone, Debug)]
pub enum MappingError {
    /// `http x { … }` in an app without `at "url"`.
    NotReal { app: Arc<str>, span: Span },
    /// `http x` where the app declares no entity `x`.
    UnknownEntity {
        app: Arc<str>,
        entity: Named,
        suggestion: Option<Arc<str>>,
    },
    /// A second `http x` block, or a second route, body, id, records or page line.
    Twice {
        what: String,
        span: Span,
        first: Span,
    },
    /// A path that does not start with `/`.
    NotAPath { span: Span, path: String },
    /// A `{` or `}` without its partner; `what` is `` `update` `` or `` call `lookup` ``.
    StrayBrace { span: Span, what: String },
    /// `{name}` that is no field, no param and not `id`.
    UnknownPathName {
        name: Named,
        what: String,
        entity: Arc<str>,
        suggestion: Option<Arc<str>>,
    },
    /// `{id}` in a create path, or `{field}` where only `{id}` and params are known.
    PathNameHasNoValue {
        name: Named,
        what: String,
        field: bool,
    },
    /// A field of a call's reply that is not optional.
    ReplyFieldRequired { field: Named, ty: String },
    /// `call x in A` where `A` declares no call `x`.
    UnknownCall {
        call: Named,
        app: Arc<str>,
        suggestion: Option<Arc<str>>,
    },
    /// A call without a required argument.
    MissingArgs {
        span: Span,
        call: Arc<str>,
        missing: Vec<Arc<str>>,
    },
    /// `r.x` where the reply `r` has no field `x`.
    UnknownReplyField {
        field: Named,
        reply: Arc<str>,
        suggestion: Option<Arc<str>>,
        known: Vec<String>,
    },
    /// `filter x` where `x` is no field.
    UnknownFilter {
        field: Named,
        entity: Arc<str>,
        suggestion: Option<Arc<str>>,
    },
    /// `at "ftp://…"`: a base URL that is not http or https with a host.
    BadUrl {
        app: Arc<str>,
        url: String,
        span: Span,
    },
    /// `page …` or `records at …` without a `list` route.
    NoList { span: Span, what: &'static str },
    /// Two fields with one wire name.
    SameWireName {
        span: Span,
        first: Span,
        wire: String,
    },
    /// A step needs a request the mapping does not have.
    MissingRoute {
        span: Span,
        op: HttpOp,
        app: Arc<str>,
        entity: Arc<str>,
        mapping: Span,
    },
}

/// What a mistake of an app's declaration says: its message, its labels and its fix.
pub(super) type Parts = (
    String,
    Vec<codespan_reporting::diagnostic::Label<usize>>,
    String,
);

/// The diagnostic of `code` with these parts.
pub(super) fn coded(code: Code, (message, labels, fix): Parts) -> Diagnostic {
    diagnostic::new(code, message)
        .with_labels(labels)
        .with_notes(vec![help(fix)])
}

/// `` `CRM` declares no entity `contct` ``, with the closest name or the declaration to add.
pub(super) fn unknown_entity(app: &str, entity: &Named, suggestion: Option<&str>) -> Parts {
    (
        format!("`{app}` declares no entity `{}`", entity.text),
        vec![primary(entity.span, "no such entity")],
        match suggestion {
            Some(s) => format!("write `{s}`"),
            None => format!("declare `{} {{ … }}` in `{app}` first", entity.text),
        },
    )
}

/// A line given twice in a block.
pub(super) fn twice(what: &str, span: Span, first: Span) -> Parts {
    (
        format!("{what} is given twice"),
        vec![
            primary(span, "given again here"),
            secondary(first, "first given here"),
        ],
        "keep one of the two lines".to_string(),
    )
}

/// Something only a real app can have, declared in a simulated one: `what` it is, what the
/// app being simulated `means` for it, the `label` under it.
pub(super) fn not_real(app: &str, span: Span, what: &str, means: &str, label: &str) -> Parts {
    (
        format!("`{app}` is simulated, so {means}"),
        vec![primary(span, label)],
        format!(
            "give `{app}` its URL, as in `app {app} at \"https://…\" {{ … }}`, or take {what} out"
        ),
    )
}

impl MappingError {
    pub fn report(&self) -> Diagnostic {
        coded(Code::E0501, self.parts())
    }

    fn parts(&self) -> Parts {
        match self {
            MappingError::NotReal { app, span } => not_real(
                app,
                *span,
                "the mapping",
                "an `http` mapping means nothing for it",
                "a mapping of a simulated app",
            ),
            MappingError::BadUrl { app, url, span } => (
                format!("`{app}` is `at {url:?}`, which is not an http or https URL"),
                vec![primary(*span, "not an http or https URL")],
                {
                    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                    match rest.trim() {
                        "" => "write the app's base URL in full, as in `\"https://tracker.example.com/api\"`".to_string(),
                        rest => format!("write it with its scheme: `\"https://{rest}\"`"),
                    }
                },
            ),
            MappingError::UnknownEntity {
                app,
                entity,
                suggestion,
            } => unknown_entity(app, entity, suggestion.as_deref()),
            MappingError::Twice { what, span, first } => twice(what, *span, *first),
            MappingError::UnknownFilter {
                field,
                entity,
                suggestion,
            } => (
                format!("`filter {}` names no field of `{entity}`", field.text),
                vec![primary(field.span, "no such field")],
                match suggestion {
                    Some(s) => format!("write `filter {s}`"),
                    None => format!("name a field of `{entity}`, or take `{}` out", field.text),
                },
            ),
            MappingError::NoList { span, what } => (
                format!("`{what}` says how lists are read, but the mapping has no `list` request"),
                vec![primary(*span, "about lists")],
                "add the list request, as in `list GET \"/contacts\"`".to_string(),
            ),
            MappingError::SameWireName { span, first, wire } => (
                format!("two fields are `{wire}` on the wire"),
                vec![
                    primary(*span, "this field"),
                    secondary(*first, "and this one"),
                ],
                "give each field its own name on the wire with `as \"…\"`".to_string(),
            ),
            MappingError::MissingRoute {
                span,
                op,
                app,
                entity,
                mapping,
            } => (
                format!(
                    "this step needs to {} a `{entity}` in `{app}`, and its mapping has no `{}` request",
                    op.word(),
                    op.word()
                ),
                vec![
                    primary(*span, format!("needs `{}`", op.word())),
                    secondary(*mapping, "the mapping"),
                ],
                format!(
                    "add `{} METHOD \"/…\"` to `http {entity}` in `{app}`, or take the step out",
                    op.word()
                ),
            ),
            MappingError::NotAPath { .. }
            | MappingError::StrayBrace { .. }
            | MappingError::UnknownPathName { .. }
            | MappingError::PathNameHasNoValue { .. } => self.path_parts(),
            MappingError::UnknownCall { .. }
            | MappingError::MissingArgs { .. }
            | MappingError::UnknownReplyField { .. }
            | MappingError::ReplyFieldRequired { .. } => self.call_parts(),
        }
    }

    /// A path of a route: its braces and the names in them.
    fn path_parts(&self) -> Parts {
        match self {
            MappingError::NotAPath { span, path } => (
                format!("the path `{path}` does not start with `/`"),
                vec![primary(*span, "a path after the app's URL")],
                format!(
                    "write it from the app's URL on: `\"/{}\"`",
                    path.trim_start_matches('/')
                ),
            ),
            MappingError::StrayBrace { span, what } => (
                format!("the path of {what} has a brace without its partner"),
                vec![primary(*span, "this brace")],
                "write a name in braces, as `{id}`, and no other brace".to_string(),
            ),
            MappingError::UnknownPathName {
                name,
                what,
                entity,
                suggestion,
            } => (
                format!(
                    "`{{{}}}` in the path of {what} is not `id`, a field of {} or a `param`",
                    name.text,
                    Entity::shown(entity),
                ),
                vec![primary(name.span, "no value has this name")],
                match suggestion {
                    Some(s) => format!("write `{{{s}}}`"),
                    None => format!(
                        "declare it from the environment in the mapping: `param {} env {}`",
                        name.text,
                        name.text.to_uppercase()
                    ),
                },
            ),
            MappingError::PathNameHasNoValue {
                name,
                what,
                field: false,
            } => (
                format!(
                    "`{{{}}}` in the path of {what} has no value: there is no record with an id there yet",
                    name.text,
                ),
                vec![primary(name.span, "no id yet")],
                "take `{id}` out of this path; the app gives the id in its reply".to_string(),
            ),
            MappingError::PathNameHasNoValue {
                name,
                what,
                field: true,
            } => (
                format!(
                    "`{{{}}}` in the path of {what} is a field, whose value weir knows only when it creates a record",
                    name.text,
                ),
                vec![primary(name.span, "a field")],
                format!(
                    "name the record by `{{id}}`, or make `{}` a `param` of the mapping",
                    name.text
                ),
            ),
            _ => unreachable!("expected an error in a path, found {self:?}"),
        }
    }

    /// A `call` and its reply.
    fn call_parts(&self) -> Parts {
        match self {
            MappingError::ReplyFieldRequired { field, ty } => (
                format!(
                    "the reply's field `{}` is `{ty}`, but a reply may leave any field out",
                    field.text
                ),
                vec![primary(field.span, "not optional")],
                format!("make it optional: `{}: {ty}?`", field.text),
            ),
            MappingError::UnknownCall {
                call,
                app,
                suggestion,
            } => (
                format!("`{app}` declares no call `{}`", call.text),
                vec![primary(call.span, "no such call")],
                match suggestion {
                    Some(s) => format!("write `call {s} in {app}`"),
                    None => format!(
                        "declare it in `app {app} at \"…\" {{ … }}`, as in `call {} POST \"/…\" {{ … }} returns {{ … }}`",
                        call.text
                    ),
                },
            ),
            MappingError::MissingArgs {
                span,
                call,
                missing,
            } => {
                let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
                (
                    format!("the call `{call}` needs {}", names.join(", ")),
                    vec![primary(*span, "without them")],
                    format!(
                        "give them: `{{ {} }}`",
                        missing
                            .iter()
                            .map(|m| format!("{m}: …"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }
            MappingError::UnknownReplyField {
                field,
                reply,
                suggestion,
                known,
            } => (
                format!("the reply `{reply}` has no field `{}`", field.text),
                vec![primary(field.span, "no such field")],
                match suggestion {
                    Some(s) => format!("write `{reply}.{s}`"),
                    None => format!(
                        "its fields are {}",
                        known
                            .iter()
                            .map(|k| format!("`{reply}.{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
            ),
            _ => unreachable!("expected an error of a call, found {self:?}"),
        }
    }
}

/// The `param`s of an `http` block.
fn params(block: &ast::HttpDecl) -> impl Iterator<Item = Param> + '_ {
    block
        .members
        .iter()
        .filter_map(|member| match &member.node {
            HttpMember::Param { name, env, default } => Some(Param {
                name: name.node.clone(),
                env: env.node.clone(),
                default: default.as_ref().map(|d| d.node.clone()),
            }),
            _ => None,
        })
}

pub(super) fn secret(secret: &ast::Secret) -> SecretSource {
    match secret {
        ast::Secret::Env(name) => SecretSource::Env(name.node.clone()),
        ast::Secret::File(path) => SecretSource::File(path.node.clone()),
    }
}

/// An app's auth, as the runtime needs it.
pub(super) fn auth(decl: &ast::AuthDecl) -> Auth {
    match decl {
        ast::AuthDecl::Bearer(token) => Auth::Bearer(secret(token)),
        ast::AuthDecl::Header {
            name,
            secret: value,
        } => Auth::Header {
            name: name.node.clone(),
            secret: secret(value),
        },
        ast::AuthDecl::Basic { user, password } => Auth::Basic {
            user: secret(user),
            password: password.as_ref().map(secret),
        },
        ast::AuthDecl::OAuth2 {
            token_url,
            client_id,
            client_secret,
            refresh,
            scope,
        } => Auth::OAuth2 {
            token_url: token_url.node.clone(),
            client_id: secret(client_id),
            client_secret: secret(client_secret),
            refresh: refresh.as_ref().map(secret),
            scope: scope.as_ref().map(|s| s.node.clone()),
        },
    }
}

/// The byte span of part of a quoted text (`start..end` within the text, after the quote).
fn inside(text: Span, start: usize, end: usize) -> Span {
    let at = |offset: usize| text.start as usize + 1 + offset;
    Span::new(text.file, at(start), at(end))
}

impl Checker<'_> {
    pub(super) fn mapping_error(&mut self, error: MappingError) {
        self.report(CheckError::Mapping(Box::new(error)));
    }

    /// The mappings of an app's entities, after they were declared: one for every entity of
    /// an app `at "url"`.
    pub(super) fn resolve_http(&mut self, app: AppId, decl: &ast::AppDecl) {
        if decl.location.is_none() {
            if let Some(first) = decl.http.first() {
                let name = decl.name.node.clone();
                self.mapping_error(MappingError::NotReal {
                    app: name,
                    span: first.entity.span,
                });
            }
            return;
        }
        if let Some(location) = &decl.location
            && crate::remote::base_url(&location.url.node).is_none()
        {
            self.mapping_error(MappingError::BadUrl {
                app: decl.name.node.clone(),
                url: location.url.node.clone(),
                span: location.url.span,
            });
        }
        let mut mappings = Vec::new();
        for &entity in &self.program.apps[app.0].entities.clone() {
            let name = self.program.entity(entity).name.clone();
            let Some(entity_decl) = decl.entities.iter().find(|d| d.name.node == name) else {
                continue;
            };
            let wire = self.wire_names(entity, entity_decl);
            let blocks: Vec<&ast::HttpDecl> =
                decl.http.iter().filter(|h| h.entity.node == name).collect();
            let mut mapping = Mapping::rest(&name, wire);
            if let Some((first, rest)) = blocks.split_first() {
                for again in rest {
                    self.mapping_error(MappingError::Twice {
                        what: format!("the mapping of `{name}`"),
                        span: again.entity.span,
                        first: first.entity.span,
                    });
                }
                self.http_block(entity, first, &mut mapping);
            }
            mappings.push((entity, Arc::new(mapping)));
        }
        for block in &decl.http {
            let known = &self.program.apps[app.0].entities;
            if known
                .iter()
                .any(|e| self.program.entity(*e).name == block.entity.node)
            {
                continue;
            }
            let names: Vec<&str> = known
                .iter()
                .map(|e| &*self.program.entity(*e).name)
                .collect();
            let suggestion = closest(&block.entity.node, names).map(Arc::from);
            self.mapping_error(MappingError::UnknownEntity {
                app: decl.name.node.clone(),
                entity: Named::of(&block.entity),
                suggestion,
            });
        }
        if let Some(location) = &mut self.program.apps[app.0].location {
            location.mappings.extend(mappings);
        }
    }

    /// Each field's path on the wire: its `as "…"`, or its name.
    fn wire_names(&mut self, entity: EntityId, decl: &ast::EntityDecl) -> Vec<Arc<[Arc<str>]>> {
        let fields = self.program.entity(entity).fields.clone();
        let mut seen: Vec<(String, Span)> = Vec::new();
        let mut wire = Vec::new();
        for field in &fields {
            let given = decl
                .fields
                .iter()
                .find(|f| f.name.node == field.name)
                .and_then(|f| f.wire.as_ref());
            let text = given.map_or_else(|| field.name.to_string(), |w| w.node.clone());
            let span = given.map_or(field.span, |w| w.span);
            if let Some((_, first)) = seen.iter().find(|(t, _)| *t == text) {
                let first = *first;
                self.mapping_error(MappingError::SameWireName {
                    span,
                    first,
                    wire: text.clone(),
                });
            }
            wire.push(wire_path(&text));
            seen.push((text, span));
        }
        wire
    }

    /// One `http` block: params first (a path may name one declared below it), then one arm
    /// per member.
    fn http_block(&mut self, entity: EntityId, block: &ast::HttpDecl, mapping: &mut Mapping) {
        mapping.declared = true;
        mapping.span = Some(block.entity.span);
        mapping.routes = Default::default();
        mapping.filter = Some(Vec::new());
        // Params first: a path may name one declared below it.
        mapping.params.extend(params(block));
        let mut firsts: Vec<(String, Span)> = Vec::new();
        let mut once = |this: &mut Self, what: String, span: Span| {
            if let Some((_, first)) = firsts.iter().find(|(w, _)| *w == what) {
                this.mapping_error(MappingError::Twice {
                    what,
                    span,
                    first: *first,
                });
                false
            } else {
                firsts.push((what, span));
                true
            }
        };
        let mut about_lists = None;
        for member in &block.members {
            let span = member.span;
            match &member.node {
                HttpMember::Route { op, method, path } => {
                    if !once(self, format!("the `{}` request", op.node.word()), span) {
                        continue;
                    }
                    // A route with a mistake still counts as given, so that nothing else is
                    // reported about it missing; the mistake stops the script from running.
                    let what = format!("`{}`", op.node.word());
                    let route = self
                        .route(entity, op.node, &what, method, path, &mapping.params)
                        .unwrap_or_else(|| Route {
                            method: reqwest::Method::GET,
                            path: Vec::new(),
                        });
                    mapping.routes[op_index(op.node)] = Some(route);
                }
                HttpMember::Body { form, at } => {
                    if once(self, "the body".to_string(), span) {
                        mapping.body = BodyShape {
                            form: *form,
                            envelope: at.as_ref().map(|a| wire_path(&a.node)),
                        };
                    }
                }
                HttpMember::Id(at) => {
                    if once(self, "where the id is".to_string(), span) {
                        mapping.id_at = wire_path(&at.node);
                    }
                }
                HttpMember::Records(at) => {
                    if once(self, "where the records are".to_string(), span) {
                        mapping.records_at = Some(wire_path(&at.node));
                        about_lists.get_or_insert((span, "records at"));
                    }
                }
                HttpMember::Page(page) => {
                    if once(self, "the paging".to_string(), span) {
                        mapping.paging = Some(paging(page));
                        about_lists.get_or_insert((span, "page"));
                    }
                }
                HttpMember::Filter(fields) => {
                    let filter = self.filter(entity, fields);
                    mapping.filter.get_or_insert_default().extend(filter);
                }
                HttpMember::Param { .. } => {}
            }
        }
        if let Some((span, what)) = about_lists
            && mapping.route(HttpOp::List).is_none()
        {
            self.mapping_error(MappingError::NoList { span, what });
        }
    }

    fn filter(&mut self, entity: EntityId, fields: &[ast::Name]) -> Vec<FieldId> {
        let e = self.program.entity(entity).clone();
        let mut out = Vec::new();
        for field in fields {
            match e.field_named(&field.node) {
                Some(id) => out.push(id),
                None => {
                    let suggestion =
                        closest(&field.node, e.fields.iter().map(|f| &*f.name)).map(Arc::from);
                    self.mapping_error(MappingError::UnknownFilter {
                        field: Named::of(field),
                        entity: e.name.clone(),
                        suggestion,
                    });
                }
            }
        }
        out
    }

    pub(super) fn route(
        &mut self,
        entity: EntityId,
        op: HttpOp,
        what: &str,
        method: &crate::span::Spanned<Arc<str>>,
        path: &crate::span::Spanned<String>,
        params: &[Param],
    ) -> Option<Route> {
        let text = &path.node;
        if !text.starts_with('/') {
            self.mapping_error(MappingError::NotAPath {
                span: path.span,
                path: text.clone(),
            });
            return None;
        }
        let names = match path_names(text) {
            Ok(names) => names,
            Err(at) => {
                self.mapping_error(MappingError::StrayBrace {
                    span: inside(path.span, at, at + 1),
                    what: what.to_string(),
                });
                return None;
            }
        };
        let e = self.program.entity(entity).clone();
        let mut pieces = Vec::new();
        let mut from = 0;
        let mut fine = true;
        for (start, end) in names {
            pieces.push(Piece::Text(text[from..start - 1].to_string()));
            from = end + 1;
            let name = &text[start..end];
            let named = Named {
                text: Arc::from(name),
                span: inside(path.span, start - 1, end + 1),
            };
            let piece = if name == "id" {
                Piece::Id
            } else if let Some(i) = params.iter().position(|p| &*p.name == name) {
                Piece::Param(i)
            } else if let Some(field) = e.field_named(name) {
                Piece::Field(field)
            } else {
                let candidates = e
                    .fields
                    .iter()
                    .map(|f| &*f.name)
                    .chain(params.iter().map(|p| &*p.name))
                    .chain(["id"]);
                let suggestion = closest(name, candidates).map(Arc::from);
                self.mapping_error(MappingError::UnknownPathName {
                    name: named,
                    what: what.to_string(),
                    entity: e.name.clone(),
                    suggestion,
                });
                fine = false;
                continue;
            };
            let no_value = match (&piece, op) {
                (Piece::Id, HttpOp::Create) => Some(false),
                (Piece::Field(_), HttpOp::Create) => None,
                (Piece::Field(_), _) => Some(true),
                _ => None,
            };
            if let Some(field) = no_value {
                self.mapping_error(MappingError::PathNameHasNoValue {
                    name: named,
                    what: what.to_string(),
                    field,
                });
                fine = false;
            }
            pieces.push(piece);
        }
        pieces.push(Piece::Text(text[from..].to_string()));
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        let method = reqwest::Method::from_bytes(method.node.as_bytes()).ok()?;
        fine.then_some(Route {
            method,
            path: pieces,
        })
    }

    /// E0501 for each step that needs a request its entity's mapping does not have.
    pub(super) fn check_routes(&mut self) {
        let mut missing = Vec::new();
        for workflow in &self.program.workflows {
            for action in workflow.actions() {
                use crate::program::{ActionKind, Target};
                let (entity, ops): (EntityId, &[HttpOp]) = match &action.kind {
                    ActionKind::Create { entity, .. } => (*entity, &[HttpOp::Create]),
                    ActionKind::Update {
                        entity,
                        target: Target::Linked(_),
                        ..
                    } => (*entity, &[HttpOp::Update]),
                    ActionKind::Update { entity, .. } => (*entity, &[HttpOp::List, HttpOp::Update]),
                    ActionKind::Delete {
                        entity,
                        target: Target::Linked(_),
                        ..
                    } => (*entity, &[HttpOp::Delete]),
                    ActionKind::Delete { entity, .. } => (*entity, &[HttpOp::List, HttpOp::Delete]),
                    // Find the match through the list, then update it or create one.
                    ActionKind::Upsert { entity, .. } => {
                        (*entity, &[HttpOp::List, HttpOp::Update, HttpOp::Create])
                    }
                    ActionKind::Notify { .. } => continue,
                };
                let e = self.program.entity(entity);
                let app = self.program.app(e.app);
                let Some(location) = &app.location else {
                    continue;
                };
                let Some((_, mapping)) = location.mappings.iter().find(|(id, _)| *id == entity)
                else {
                    continue;
                };
                if !mapping.declared {
                    continue;
                }
                if let Some(op) = ops.iter().find(|op| mapping.route(**op).is_none()) {
                    missing.push(MappingError::MissingRoute {
                        span: action.span,
                        op: *op,
                        app: app.name.clone(),
                        entity: e.name.clone(),
                        mapping: mapping.span.unwrap_or(location.url_span),
                    });
                }
            }
        }
        for error in missing {
            self.mapping_error(error);
        }
    }
}

fn paging(page: &PageDecl) -> Paging {
    match page {
        PageDecl::Cursor { at, param } => Paging::Cursor {
            at: wire_path(&at.node),
            param: param.node.clone(),
        },
        PageDecl::AfterLast { param } => Paging::AfterLast {
            param: param.node.clone(),
        },
        PageDecl::Link => Paging::Link,
        PageDecl::Next { at } => Paging::Next {
            at: wire_path(&at.node),
        },
        PageDecl::Number { param } => Paging::Number {
            param: param.node.clone(),
        },
        PageDecl::Offset { param } => Paging::Offset {
            param: param.node.clone(),
        },
    }
}
