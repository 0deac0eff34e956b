//! An app's polls (`poll contact every 5m since changed as "updated_since"`), resolved into
//! [`Poll`] for `weir serve` and `weir run --poll-once`, with every mistake reported (E0503)
//! before anything runs.
//!
//! ```text
//! app CRM at "https://crm.example" {
//!   contact { name: text, changed: time as "updated_at" }
//!   poll contact every 5m since changed as "updated_since"   # fine
//!   poll contact every 5s                                    # E0503: twice, and too often
//! }
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::Checker;
use super::error::{CheckError, Named};
use super::http::{Parts, coded, not_real, twice, unknown_entity};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, primary};
use crate::program::{AppId, FieldId};
use crate::serve::polls::{FLOOR, Poll, Since};
use crate::span::Span;
use crate::suggest::closest;
use crate::types::Type;

/// A mistake in an app's polls (E0503).
#[derive(Clone, Debug)]
pub enum PollError {
    /// `poll …` in an app without `at "url"`.
    NotReal { app: Arc<str>, span: Span },
    /// `poll contct …`
    UnknownEntity {
        app: Arc<str>,
        entity: Named,
        suggestion: Option<Arc<str>>,
    },
    /// A poll of an entity whose `http` mapping has no `list` request.
    NoList { entity: Arc<str>, span: Span },
    /// `every 10s`: under [`FLOOR`].
    TooOften { span: Span, every: String },
    /// `since updatd`
    UnknownField {
        entity: Arc<str>,
        field: Named,
        suggestion: Option<Arc<str>>,
    },
    /// `since name` where `name` is not a time.
    NotATime {
        entity: Arc<str>,
        field: Named,
        ty: String,
        times: Vec<Arc<str>>,
    },
    /// One entity polled twice.
    Twice {
        entity: Arc<str>,
        span: Span,
        first: Span,
    },
}

impl PollError {
    pub fn report(&self) -> Diagnostic {
        coded(Code::E0503, self.parts())
    }

    fn parts(&self) -> Parts {
        match self {
            PollError::NotReal { app, span } => not_real(
                app,
                *span,
                "the poll",
                "there is nothing to poll",
                "a poll of a simulated app",
            ),
            PollError::UnknownEntity {
                app,
                entity,
                suggestion,
            } => unknown_entity(app, entity, suggestion.as_deref()),
            PollError::NoList { entity, span } => (
                format!(
                    "`{entity}` has no `list` request, so weir cannot read its records to poll them"
                ),
                vec![primary(*span, "a poll without a list")],
                format!("add the list request to `http {entity}`, as in `list GET \"/{entity}s\"`"),
            ),
            PollError::TooOften { span, every } => (
                format!(
                    "a poll every {every} is too often: weir polls at most once every {}s",
                    FLOOR.as_secs()
                ),
                vec![primary(*span, "under the floor")],
                format!(
                    "write `every {}s` or longer; an app that must tell weir sooner should send webhooks",
                    FLOOR.as_secs()
                ),
            ),
            PollError::UnknownField {
                entity,
                field,
                suggestion,
            } => (
                format!("`{entity}` has no field `{}`", field.text),
                vec![primary(field.span, "no such field")],
                match suggestion {
                    Some(s) => format!("write `since {s}`"),
                    None => format!(
                        "declare the time the app updates on each change in `{entity}`, as in `changed: time as \"updated_at\"`"
                    ),
                },
            ),
            PollError::NotATime {
                entity,
                field,
                ty,
                times,
            } => (
                format!(
                    "`{}` in `{entity}` is {ty}, not a time, so it cannot tell which records changed",
                    field.text
                ),
                vec![primary(field.span, "not a time")],
                match times.first() {
                    Some(time) => format!("write `since {time}`"),
                    None => format!(
                        "declare the time the app updates on each change in `{entity}` (`changed: time as \"updated_at\"`), or take `since …` out to compare whole lists"
                    ),
                },
            ),
            PollError::Twice {
                entity,
                span,
                first,
            } => twice(&format!("a poll of `{entity}`"), *span, *first),
        }
    }
}

impl Checker<'_> {
    fn poll_error(&mut self, error: PollError) {
        self.report(CheckError::Polls(Box::new(error)));
    }

    /// The polls of an app, after its entities and mappings were resolved.
    pub(super) fn resolve_polls(&mut self, app: AppId, decl: &ast::AppDecl) {
        if decl.location.is_none() {
            if let Some(first) = decl.polls.first() {
                self.poll_error(PollError::NotReal {
                    app: decl.name.node.clone(),
                    span: first.span,
                });
            }
            return;
        }
        let resolved = decl
            .polls
            .iter()
            .filter_map(|poll| self.poll(app, decl, poll).map(Arc::new))
            .collect();
        if let Some(location) = &mut self.program.apps[app.0].location {
            location.polls = resolved;
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one `poll` declaration checked in the order written: its entity, a second poll of it, a list request, the interval, the `since` field and its type"
    )]
    fn poll(&mut self, app: AppId, decl: &ast::AppDecl, poll: &ast::PollDecl) -> Option<Poll> {
        let Some(entity) = self.program.entity_named(app, &poll.entity.node) else {
            let names = decl.entities.iter().map(|e| &*e.name.node);
            let suggestion = closest(&poll.entity.node, names).map(Arc::from);
            self.poll_error(PollError::UnknownEntity {
                app: decl.name.node.clone(),
                entity: Named::of(&poll.entity),
                suggestion,
            });
            return None;
        };
        let mut earlier = decl.polls.iter().take_while(|p| !std::ptr::eq(*p, poll));
        if let Some(first) = earlier.find(|p| p.entity.node == poll.entity.node) {
            self.poll_error(PollError::Twice {
                entity: poll.entity.node.clone(),
                span: poll.span,
                first: first.span,
            });
            return None;
        }
        let lists = self.program.apps[app.0].location.as_ref().is_some_and(|l| {
            l.mappings
                .iter()
                .any(|(e, m)| *e == entity && m.route(ast::HttpOp::List).is_some())
        });
        if !lists {
            self.poll_error(PollError::NoList {
                entity: poll.entity.node.clone(),
                span: poll.entity.span,
            });
            return None;
        }
        let every = crate::value::parse_duration(&poll.every.node)
            .map_or(Duration::ZERO, |s| Duration::from_secs(s.max(0) as u64));
        if every < FLOOR {
            self.poll_error(PollError::TooOften {
                span: poll.every.span,
                every: poll.every.node.clone(),
            });
        }
        let since = match &poll.since {
            None => None,
            Some((field, param)) => {
                let e = self.program.entity(entity);
                let name = e.name.clone();
                let Some(at) = e.fields.iter().position(|f| f.name == field.node) else {
                    let suggestion =
                        closest(&field.node, e.fields.iter().map(|f| &*f.name)).map(Arc::from);
                    self.poll_error(PollError::UnknownField {
                        entity: name,
                        field: Named::of(field),
                        suggestion,
                    });
                    return None;
                };
                let is_time = |ty: &Type| match ty {
                    Type::Optional(inner) => **inner == Type::Time,
                    ty => *ty == Type::Time,
                };
                if !is_time(&e.fields[at].ty) {
                    let times = e
                        .fields
                        .iter()
                        .filter(|f| is_time(&f.ty))
                        .map(|f| f.name.clone())
                        .collect();
                    self.poll_error(PollError::NotATime {
                        entity: name,
                        field: Named::of(field),
                        ty: describe(&e.fields[at].ty),
                        times,
                    });
                    return None;
                }
                Some(Since {
                    field: FieldId(at),
                    param: param.as_ref().map(|p| p.node.clone()),
                })
            }
        };
        Some(Poll {
            app,
            entity,
            every,
            since,
            span: poll.span,
        })
    }
}

/// `a text`, `a number`: a type as a message names it.
fn describe(ty: &Type) -> String {
    let text = ty.to_string();
    format!("{} `{text}`", crate::words::article(&text))
}
