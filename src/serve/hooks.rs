//! An app's webhooks as the checker resolved them, and how one provider webhook becomes the
//! flat record weir's own route takes.
//!
//! ```text
//! webhooks at "/hooks/github" signed github env GITHUB_WEBHOOK_SECRET {
//!   kind at header "X-GitHub-Event", "action"          # `issues` + `opened` → `issues.opened`
//!   id at header "X-GitHub-Delivery"
//!   "issues.opened" means new issue at "issue"
//! }
//!
//! {"action": "opened", "issue": {"number": 7, "title": "…", "user": {"login": "ada"}, …}, …}
//!     → new issue in GitHub: {"id": 7, "title": "…", "author": "ada"}
//! ```
//!
//! The record is read through the entity's HTTP mapping: a field's `as "user.login"` names its
//! place in the provider's object, and the mapping's `id at` the id. Every other field of the
//! payload is left out, unless the webhooks are `strict`. The flat record then goes the way of
//! a webhook to `/events/{app}/{entity}/{kind}` (journal, worker, echo ledger, guard), so a
//! provider's webhook runs exactly as weir's own would.

use std::time::Duration;

use serde_json::{Map, Value as Json};

use super::envelope::{Body, Envelope, Sent, Source};
use super::schemes::Scheme;
use super::webhook::Problem;
use crate::ast::EventKind;
use crate::program::{AppId, EntityId, Program};
use crate::remote::auth::SecretSource;
use crate::remote::mapping::{Mapping, get};
use crate::remote::wire::id_text;
use crate::span::Span;

/// How long a timestamped signature stays good when the script does not say (`within`):
/// Stripe's own libraries and Slack's documentation use five minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// `webhooks at "/hooks/…" [signed …] { … }`, resolved.
#[derive(Clone, Debug)]
pub struct Webhooks {
    pub app: AppId,
    /// The route, as written: `/hooks/github`.
    pub path: String,
    pub span: Span,
    pub signed: Option<Signed>,
    /// The parts that name the kind, joined by `.`.
    pub kind: Vec<Source>,
    pub event_id: Option<Source>,
    /// Refuse a record with fields the entity does not declare.
    pub strict: bool,
    pub means: Vec<Means>,
}

/// `signed SCHEME env SECRET [within 5m]`
#[derive(Clone, Debug)]
pub struct Signed {
    pub scheme: Scheme,
    pub secret: SecretSource,
    /// How far a timestamped signature may be from the clock.
    pub window: Duration,
}

/// `"invoice.paid" means updated invoice at "data.object"`, one kind of webhook.
#[derive(Clone, Debug)]
pub struct Means {
    pub kind: String,
    pub event: EventKind,
    pub entity: EntityId,
    /// Where the record is in the body; empty: the body is the record.
    pub at: Vec<String>,
}

/// A provider webhook, read: what it means and the flat record it carries.
#[derive(Debug, PartialEq)]
pub struct Read {
    pub event: EventKind,
    pub entity: EntityId,
    /// The record (its nested record fields as objects), as JSON text, as
    /// `/events/{app}/{entity}/{kind}` takes it.
    pub record: String,
    pub event_id: Option<String>,
}

impl Webhooks {
    /// The kinds this app's webhooks declare, for messages.
    fn kinds(&self) -> String {
        let kinds: Vec<String> = self.means.iter().map(|m| format!("`{}`", m.kind)).collect();
        kinds.join(", ")
    }

    /// The `means` line most likely right for an undeclared kind, for the help: the event from
    /// the kind's last word (`…created`, `…opened` are new records, `…deleted` gone ones, the
    /// rest updates), the entity whose name the kind holds (else the first declared), at the
    /// place its declared kinds say. A request someone makes (a slash command `/deploy`, or
    /// anything sent as a form) changes no record the provider keeps: it is a `new` one.
    fn likely_meaning(&self, program: &Program, kind: &str, request: bool) -> String {
        let words: Vec<&str> = kind.split(['.', '_', ':', '/']).collect();
        let last = words.last().copied().unwrap_or_default();
        let event = if request
            || kind.starts_with('/')
            || ["created", "opened", "added", "new"].contains(&last)
        {
            EventKind::New
        } else if ["deleted", "removed"].contains(&last) {
            EventKind::Deleted
        } else {
            EventKind::Updated
        };
        let named = self.means.iter().find(|m| {
            let name = &program.entity(m.entity).name;
            let singular = |w: &str| w.strip_suffix('s').unwrap_or(w).to_string();
            words
                .iter()
                .any(|w| w.eq_ignore_ascii_case(name) || singular(w) == **name)
        });
        let Some(m) = named.or(self.means.first()) else {
            return format!("{event} ENTITY");
        };
        let at = if m.at.is_empty() {
            String::new()
        } else {
            format!(" at \"{}\"", m.at.join("."))
        };
        format!("{event} {}{at}", program.entity(m.entity).name)
    }

    /// Reads one webhook: its kind, the record at the place that kind says, and the event id.
    pub fn read(
        &self,
        program: &Program,
        sent: &Body,
        header: impl Fn(&str) -> Option<String>,
    ) -> Result<Read, Problem> {
        let body = &sent.json;
        let envelope = |at: &[String]| Envelope {
            kind: self.kind.clone(),
            record: at.to_vec(),
            event_id: self.event_id.clone(),
        };
        // The whole body first, to find the kind; then the record where that kind keeps it.
        let whole = envelope(&[]).open(body, &header).map_err(unfit)?;
        let app = &program.app(self.app).name;
        let Some(means) = self.means.iter().find(|m| m.kind == whole.kind) else {
            let example = self.likely_meaning(program, &whole.kind, sent.is_form());
            return Err(Problem {
                status: 422,
                message: format!(
                    "`{app}` declares no webhook of kind `{}`; its kinds are {}",
                    whole.kind,
                    self.kinds()
                ),
                help: format!(
                    "add `\"{}\" means {example}` to the webhooks of `{app}`, or stop the provider sending `{}`",
                    whole.kind, whole.kind
                ),
            });
        };
        let opened = envelope(&means.at).open(body, &header).map_err(unfit)?;
        let mut record = flatten(program, means.entity, opened.record, self.strict)?;
        if sent.sent == Sent::Form {
            super::forms::fit(program, means, opened.record, &mut record)?;
        }
        if means.event != EventKind::Deleted {
            whole_record(program, means, &record)?;
        }
        Ok(Read {
            event: means.event,
            entity: means.entity,
            record: Json::Object(record).to_string(),
            event_id: opened.event_id,
        })
    }
}

fn unfit(why: super::envelope::Unopened) -> Problem {
    Problem {
        status: 422,
        message: why.message,
        help: why.help,
    }
}

/// The record as weir's own route takes it: `id` and the declared fields by their names in the
/// script, each read from its place on the wire (`as "user.login"`).
fn flatten(
    program: &Program,
    entity: EntityId,
    record: &Map<String, Json>,
    strict: bool,
) -> Result<Map<String, Json>, Problem> {
    let e = program.entity(entity);
    let app = program.app(e.app);
    let Some(mapping) = mapping(program, entity) else {
        // The checker takes webhooks only on apps `at "url"`, which have a mapping each.
        return Ok(record.clone());
    };
    let object = Json::Object(record.clone());
    if strict {
        let known =
            |key: &str| &*mapping.id_at[0] == key || mapping.wire.iter().any(|w| &*w[0] == key);
        if let Some(extra) = record.keys().find(|k| !known(k)) {
            return Err(Problem {
                status: 422,
                message: format!(
                    "the record has `{extra}`, which `{}` in `{}` does not declare, and its webhooks are `strict`",
                    e.name, app.name
                ),
                help: format!(
                    "declare `{extra}` in `{}`, or take `strict` out of the webhooks of `{}` to ignore the fields weir does not use",
                    e.name, app.name
                ),
            });
        }
    }
    let mut flat = Map::new();
    if let Some(id) = get(&object, &mapping.id_at).and_then(id_text) {
        flat.insert("id".into(), Json::String(id));
    }
    for (field, wire) in e.fields.iter().zip(&mapping.wire) {
        if let Some(value) = get(&object, wire) {
            // A provider sends `null` for a value it does not have: weir leaves it out.
            if !value.is_null() {
                flat.insert(field.name.to_string(), value.clone());
            }
        }
    }
    Ok(flat)
}

/// The HTTP mapping of an entity of an app `at "url"`.
pub(super) fn mapping(program: &Program, entity: EntityId) -> Option<&Mapping> {
    let app = program.app(program.entity(entity).app);
    let location = app.location.as_ref()?;
    location
        .mappings
        .iter()
        .find(|(id, _)| *id == entity)
        .map(|(_, mapping)| &**mapping)
}

/// A `new` or `updated` webhook carries the provider's whole object, and the run reads every
/// field the entity requires: one missing would fail the run later, where no request is left
/// to answer. It is refused now, naming where weir looked for it.
fn whole_record(program: &Program, means: &Means, flat: &Map<String, Json>) -> Result<(), Problem> {
    let e = program.entity(means.entity);
    let app = program.app(e.app);
    let Some(field) = e
        .fields
        .iter()
        .find(|f| f.required && !flat.contains_key(&*f.name))
    else {
        return Ok(());
    };
    let wire = mapping(program, means.entity)
        .and_then(|m| {
            m.wire
                .get(e.fields.iter().position(|f| f.name == field.name)?)
        })
        .map(|w| w.join("."))
        .unwrap_or_else(|| field.name.to_string());
    let mut path = means.at.clone();
    path.push(wire);
    Err(Problem {
        status: 422,
        message: format!(
            "the `{}` webhook has no `{}`: `{}` in `{}` requires `{}`, read from there",
            means.kind,
            path.join("."),
            e.name,
            app.name,
            field.name
        ),
        help: format!(
            "if `{}` may leave it out, declare it optional, as in `{}: {}?`",
            app.name, field.name, field.ty
        ),
    })
}

/// The secret of a route's signature, read at start.
pub fn secret(
    app: &std::sync::Arc<str>,
    signed: &Signed,
) -> Result<Vec<u8>, crate::remote::SetupError> {
    signed.secret.read(app).map(String::into_bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn program() -> Program {
        let src = r#"app Tracker at "http://127.0.0.1:1" {
          issue { title: text, body: text?, author: text? as "user.login" }
          http issue { id at "number" }
          webhooks at "/hooks/tracker" {
            kind at header "X-Event", "action"
            id at header "X-Delivery"
            "issues.opened" means new issue at "issue"
            "issues.closed" means updated issue at "issue"
          }
        }"#;
        let loaded = crate::load::parse_all(vec![("t.weir".to_string(), src.to_string())]);
        assert!(loaded.diagnostics.is_empty(), "the test's script parses");
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors(), "the test's script checks");
        checked.program
    }

    fn hooks(program: &Program) -> Arc<Webhooks> {
        Arc::clone(&program.apps[0].location.as_ref().unwrap().webhooks[0])
    }

    fn headers(event: &'static str) -> impl Fn(&str) -> Option<String> {
        move |name| match name {
            "X-Event" => Some(event.to_string()),
            "X-Delivery" => Some("d-1".to_string()),
            _ => None,
        }
    }

    #[test]
    fn a_nested_record_is_read_through_the_mapping_and_the_rest_is_left_out() {
        let p = program();
        let body = json!({
            "action": "closed",
            "issue": { "number": 12, "title": "Jam", "body": null, "user": { "login": "ada", "id": 1 }, "labels": [] },
            "sender": { "login": "ada" }
        });
        let read = hooks(&p).read(&p, &body.into(), headers("issues")).unwrap();
        assert_eq!(read.event, EventKind::Updated);
        assert_eq!(read.event_id.as_deref(), Some("d-1"));
        let record: Json = serde_json::from_str(&read.record).unwrap();
        assert_eq!(
            record,
            json!({ "id": "12", "title": "Jam", "author": "ada" })
        );
    }

    /// An `updated` webhook is the provider's whole object: without a field the entity
    /// requires, its run would fail later with no request to answer, so it is refused now.
    #[test]
    fn an_update_without_a_required_field_is_refused_with_where_weir_looked() {
        let p = program();
        let body =
            json!({ "action": "closed", "issue": { "number": 12, "user": { "login": "ada" } } });
        let refused = hooks(&p)
            .read(&p, &body.into(), headers("issues"))
            .unwrap_err();
        assert_eq!(refused.status, 422);
        assert_eq!(
            refused.message,
            "the `issues.closed` webhook has no `issue.title`: `issue` in `Tracker` requires `title`, read from there"
        );
        assert_eq!(
            refused.help,
            "if `Tracker` may leave it out, declare it optional, as in `title: text?`"
        );
        // A `null` is no value either.
        let body = json!({ "action": "opened", "issue": { "number": 12, "title": null } });
        let refused = hooks(&p)
            .read(&p, &body.into(), headers("issues"))
            .unwrap_err();
        assert!(
            refused
                .message
                .starts_with("the `issues.opened` webhook has no `issue.title`")
        );
    }

    #[test]
    fn an_undeclared_kind_says_which_line_would_declare_it() {
        let p = program();
        let body = json!({ "action": "labeled", "issue": { "number": 12 } });
        let refused = hooks(&p)
            .read(&p, &body.into(), headers("issues"))
            .unwrap_err();
        assert_eq!(refused.status, 422);
        assert_eq!(
            refused.message,
            "`Tracker` declares no webhook of kind `issues.labeled`; its kinds are `issues.opened`, `issues.closed`"
        );
        assert_eq!(
            refused.help,
            "add `\"issues.labeled\" means updated issue at \"issue\"` to the webhooks of `Tracker`, or stop the provider sending `issues.labeled`"
        );
        let body = json!({ "action": "deleted", "issue": { "number": 12 } });
        let refused = hooks(&p)
            .read(&p, &body.into(), headers("issues"))
            .unwrap_err();
        assert!(
            refused
                .help
                .starts_with("add `\"issues.deleted\" means deleted issue at \"issue\"`"),
            "{}",
            refused.help
        );
        let body = json!({ "action": "opened", "comment": {} });
        let refused = hooks(&p)
            .read(&p, &body.into(), headers("issues"))
            .unwrap_err();
        assert_eq!(
            refused.message,
            "the webhook has no `issue`, where the record should be"
        );
    }

    /// A slash command is a request someone makes, not a change to a record: its kind is
    /// guessed `new`, as the documentation declares `"/ticket" means new request`.
    #[test]
    fn an_undeclared_slash_command_is_guessed_new() {
        let src = r#"app Commands at "http://127.0.0.1:1" {
          request { text: text, person: text as "user_name" }
          webhooks at "/hooks/slack/commands" signed slack env SLACK_SIGNING_SECRET {
            kind at "command"
            id at "trigger_id"
            "/ticket" means new request
          }
        }"#;
        let loaded = crate::load::parse_all(vec![("t.weir".to_string(), src.to_string())]);
        let p = crate::check::check(&loaded.scripts, &loaded.sources).program;
        let body = json!({ "command": "/deploy", "text": "prod", "user_name": "ada", "trigger_id": "1.2" });
        let refused = hooks(&p).read(&p, &body.into(), |_| None).unwrap_err();
        assert_eq!(
            refused.help,
            "add `\"/deploy\" means new request` to the webhooks of `Commands`, or stop the provider sending `/deploy`"
        );
    }
}
