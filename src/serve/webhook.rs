//! Reading a webhook: `POST /events/{app}/{entity}/{kind}` with the record as JSON.
//!
//! ```text
//! POST /events/Shop/order/new  {"customer": "Ada", "total": 12}     # accepted
//! POST /events/Shop/order/new  {"customer": "Ada", "total": "12"}   # 422: `total` is a number
//! POST /events/Shop/ordr/new   {…}                                  # 404: did you mean `order`?
//! ```
//!
//! For a simulated app the record reads as an input line's does (`weir run`); for an app
//! `at "url"` the record's `id` is the app's own id (`"t-7"`, `42`), and the event reports a
//! change already made in the app. The same reading checks a request before it is accepted
//! and runs the event after, so nothing accepted can fail to read.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::ast::EventKind;
use crate::program::{EntityId, FieldId, Program};
use crate::remote::rest::id_text;
use crate::run::apps::Record;
use crate::run::input::{self, Decoder, InputError, InputEvent};
use crate::suggest;

/// A webhook read against the script.
#[derive(Debug)]
pub enum Parsed {
    /// An event of a simulated app: the change, as an input line makes it.
    Change(InputEvent),
    /// An event of a real app.
    Report {
        kind: EventKind,
        entity: EntityId,
        /// The app's id of the record; a `new` event may leave it out.
        app_id: Option<String>,
        record: Record,
        changed: Option<Arc<[FieldId]>>,
    },
}

/// Why a webhook was refused: the HTTP status, what is wrong, and the fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub message: String,
    pub help: String,
}

fn not_found(message: String, help: String) -> Problem {
    Problem {
        status: 404,
        message,
        help,
    }
}

fn unfit(message: String, help: impl Into<String>) -> Problem {
    Problem {
        status: 422,
        message,
        help: help.into(),
    }
}

/// Finds the entity a route names.
pub fn route(
    program: &Program,
    app: &str,
    entity: &str,
    kind_text: &str,
) -> Result<(EntityId, EventKind), Problem> {
    let Some(a) = program.app_named(app) else {
        let names = program.apps.iter().map(|a| &*a.name);
        let help = match suggest::closest(app, names) {
            Some(s) => format!("did you mean `/events/{s}/{entity}/{kind_text}`?"),
            None => "the path is /events/{app}/{entity}/{kind}, with an app of the script".into(),
        };
        return Err(not_found(format!("the script has no app `{app}`"), help));
    };
    let Some(e) = program.entity_named(a, entity) else {
        let names = program.entities_of(a).map(|e| &*program.entity(e).name);
        let help = match suggest::closest(entity, names) {
            Some(s) => format!("did you mean `/events/{app}/{s}/{kind_text}`?"),
            None => format!("name an entity of `{app}` in the path"),
        };
        return Err(not_found(
            format!("the script has no entity `{entity}` in `{app}`"),
            help,
        ));
    };
    let Ok(k) = kind_text.parse::<EventKind>() else {
        return Err(not_found(
            format!("`{kind_text}` is not a kind of event"),
            format!(
                "end the path with `new`, `updated` or `deleted`, as in `/events/{app}/{entity}/new`"
            ),
        ));
    };
    Ok((e, k))
}

/// Reads a webhook's record (and its headers) for a route.
pub fn parse(
    program: &Program,
    entity: EntityId,
    kind: EventKind,
    body: &str,
    actor: Option<&str>,
    changed: Option<&str>,
) -> Result<Parsed, Problem> {
    let e = program.entity(entity);
    let app = &program.app(e.app);
    let changed = match changed {
        None => None,
        Some(list) => {
            let mut fields = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match e.field_named(name) {
                    Some(f) => fields.push(f),
                    None if !e.declared => {}
                    None => {
                        return Err(unfit(
                            format!(
                                "`X-Weir-Changed` names `{name}`, which `{}` in `{}` does not have",
                                e.name, app.name
                            ),
                            "list the changed fields of the record, as in `X-Weir-Changed: title,start`",
                        ));
                    }
                }
            }
            Some(Arc::from(fields))
        }
    };
    if app.location.is_none() {
        return Decoder::new(program)
            .decode_record_event(kind, entity, body, actor)
            .map(Parsed::Change)
            .map_err(|err| problem(&err));
    }
    let json: Json = input::parse_unique(body).map_err(|err| bad_json(&err))?;
    let Json::Object(mut map) = json else {
        return Err(unfit(
            "the body is not a JSON object".into(),
            "send the record as a JSON object, as in {\"id\": \"t-7\", \"title\": \"Printer\"}",
        ));
    };
    let app_id = map.remove("id").as_ref().and_then(id_text);
    if app_id.is_none() && kind != EventKind::New {
        let article = if kind == EventKind::Updated {
            "an"
        } else {
            "a"
        };
        return Err(unfit(
            format!(
                "the record has no `id`; {article} `{kind}` event of `{}` names its record by the app's id",
                app.name
            ),
            "add the record's id in the app, as in {\"id\": \"t-7\", …}",
        ));
    }
    let (record, _, _) =
        input::decode_record(program, entity, Json::Object(map)).map_err(|err| problem(&err))?;
    if kind == EventKind::New
        && let Some(err) = input::missing_fields(program, entity, &record)
    {
        return Err(problem(&err));
    }
    Ok(Parsed::Report {
        kind,
        entity,
        app_id,
        record,
        changed,
    })
}

fn bad_json(err: &serde_json::Error) -> Problem {
    unfit(
        format!("the body is not JSON: {err}"),
        "send the record as one JSON object, with `Content-Type: application/json`",
    )
}

fn problem(err: &InputError) -> Problem {
    if let InputError::Json(message) = err {
        return unfit(
            format!("the body is not a record in JSON: {message}"),
            "send the record as one JSON object, with `Content-Type: application/json`",
        );
    }
    let help = err.help().unwrap_or_else(|| match err {
        InputError::MissingFields { .. } => "send every required field of the record".into(),
        InputError::Json(_) => "send the record as one JSON object".into(),
        _ => "send a record that fits the entity as the script declares it".into(),
    });
    unfit(err.to_string(), help)
}
