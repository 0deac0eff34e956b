//! Where a provider puts the record, the kind of event and the event's id in its webhooks.
//!
//! weir's own route carries a flat record and says the kind in its path. Providers wrap the
//! record and say the kind in the body or a header:
//!
//! | provider | kind | record | event id |
//! |---|---|---|---|
//! | GitHub | header `X-GitHub-Event` and body `action`: `issues.opened` | `issue` (by event) | header `X-GitHub-Delivery` |
//! | Stripe | body `type`: `invoice.paid` | `data.object` | body `id` |
//! | Slack | body `event.type`: `message` | `event` | body `event_id` |
//!
//! An [`Envelope`] says where each is; [`Envelope::open`] finds them in one request, and
//! [`pick`] takes from the record only the fields the script declares, reading a nested
//! field by its dotted path (`address.city`), so that a field the provider adds one day
//! changes nothing.

use serde_json::{Map, Value as Json};

/// Where one part of a webhook is: a header, or a path of keys into the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Header(String),
    Body(Vec<String>),
}

impl Source {
    /// `data.object` → a path into the body.
    pub fn body(path: &str) -> Source {
        Source::Body(path.split('.').map(str::to_string).collect())
    }

    fn describe(&self) -> String {
        match self {
            Source::Header(name) => format!("the header `{name}`"),
            Source::Body(path) => format!("`{}` in the body", path.join(".")),
        }
    }

    fn read(&self, body: &Json, header: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match self {
            Source::Header(name) => header(name).map(|v| v.trim().to_string()),
            Source::Body(path) => match at(body, path)? {
                Json::String(text) => Some(text.clone()),
                Json::Number(n) => Some(n.to_string()),
                _ => None,
            },
        }
    }
}

/// Where a provider's webhooks keep what weir needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The parts whose values, joined by `.`, name the kind of event (`issues.opened`).
    pub kind: Vec<Source>,
    /// The path to the record in the body; empty for a body that is the record.
    pub record: Vec<String>,
    pub event_id: Option<Source>,
}

/// What one webhook holds.
#[derive(Debug, PartialEq)]
pub struct Opened<'a> {
    pub kind: String,
    pub record: &'a Map<String, Json>,
    pub event_id: Option<String>,
}

/// Why a webhook could not be opened: said as the answer's message (422), with its fix.
#[derive(Debug, PartialEq)]
pub struct Unopened {
    pub message: String,
    pub help: String,
}

impl Envelope {
    pub fn github(record: &str) -> Envelope {
        Envelope {
            kind: vec![
                Source::Header("X-GitHub-Event".into()),
                Source::body("action"),
            ],
            record: vec![record.to_string()],
            event_id: Some(Source::Header("X-GitHub-Delivery".into())),
        }
    }

    pub fn stripe() -> Envelope {
        Envelope {
            kind: vec![Source::body("type")],
            record: vec!["data".into(), "object".into()],
            event_id: Some(Source::body("id")),
        }
    }

    pub fn slack() -> Envelope {
        Envelope {
            kind: vec![Source::body("event.type")],
            record: vec!["event".into()],
            event_id: Some(Source::body("event_id")),
        }
    }

    /// Finds the kind, the record and the event id of one webhook.
    pub fn open<'a>(
        &self,
        body: &'a Json,
        header: impl Fn(&str) -> Option<String>,
    ) -> Result<Opened<'a>, Unopened> {
        let mut kind = Vec::new();
        for source in &self.kind {
            match source.read(body, &header) {
                Some(part) => kind.push(part),
                None => {
                    return Err(Unopened {
                        message: format!("the webhook has no kind: {} is missing or not a text", source.describe()),
                        help: "send the provider's webhook unchanged; if the provider names the kind elsewhere, say where in the app's `webhooks` declaration".into(),
                    });
                }
            }
        }
        let record = match at(body, &self.record) {
            Some(Json::Object(record)) => record,
            Some(_) => {
                return Err(Unopened {
                    message: format!(
                        "`{}` in the webhook is not an object",
                        self.record.join(".")
                    ),
                    help:
                        "point the `at` of this kind, in the app's `webhooks`, to the object that holds the record's fields"
                            .into(),
                });
            }
            None => {
                return Err(Unopened {
                    message: format!(
                        "the webhook has no `{}`, where the record should be",
                        self.record.join(".")
                    ),
                    help: format!(
                        "this `{}` event may not carry that record: declare only the kinds that do, or point its `at \"…\"` in the app's `webhooks` to where this kind keeps it",
                        kind.join(".")
                    ),
                });
            }
        };
        let event_id = self
            .event_id
            .as_ref()
            .and_then(|source| source.read(body, &header));
        Ok(Opened {
            kind: kind.join("."),
            record,
            event_id,
        })
    }
}

/// How a webhook's body was sent, which says how to read its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Json,
    /// A form's fields: texts, typed by the entity (see [`super::forms`]).
    Form,
    /// A form whose one field `payload` holds JSON, read as that JSON.
    Payload,
}

/// A webhook's body, read as JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub json: Json,
    pub sent: Sent,
}

impl From<Json> for Body {
    fn from(json: Json) -> Body {
        Body {
            json,
            sent: Sent::Json,
        }
    }
}

impl Body {
    /// Whether it is a request someone made (a form: a slash command, a click, a form
    /// posted), rather than a report of a change to a record.
    pub fn is_form(&self) -> bool {
        self.sent != Sent::Json
    }
}

/// A webhook's body as JSON. Most providers send JSON; some send a form
/// (`application/x-www-form-urlencoded`): Slack's slash commands send their fields (`command`,
/// `text`, `user_id`, …), read as texts nested by their brackets (see [`super::forms`]), and
/// its interactive messages one field `payload` holding JSON, read as that JSON.
pub fn body(content_type: Option<&str>, bytes: &[u8]) -> Result<Body, Unopened> {
    let form = content_type.is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if !form {
        return serde_json::from_slice::<Json>(bytes).map(Body::from).map_err(|err| Unopened {
            message: format!("the body is not JSON: {err}"),
            help: "send the provider's webhook unchanged, as JSON (`Content-Type: application/json`) or as a form (`application/x-www-form-urlencoded`)".into(),
        });
    }
    let fields = super::forms::parse(bytes)?;
    if let Some(Json::String(payload)) = fields.get("payload") {
        return match serde_json::from_str::<Json>(payload) {
            Ok(json @ Json::Object(_)) => Ok(Body {
                json,
                sent: Sent::Payload,
            }),
            _ => Err(Unopened {
                message: "the form's `payload` is not a JSON object".into(),
                help: "send the provider's request unchanged: its `payload` field holds the event as JSON".into(),
            }),
        };
    }
    Ok(Body {
        json: Json::Object(fields),
        sent: Sent::Form,
    })
}

/// The value at a path of keys, if every key is there.
fn at<'a>(body: &'a Json, path: &[String]) -> Option<&'a Json> {
    path.iter().try_fold(body, |value, key| value.get(key))
}

/// The record's values of `fields` (dotted paths into nested objects), keyed as the script
/// names them; a field the record does not have is left out, and so is every field the
/// script does not name.
pub fn pick(record: &Map<String, Json>, fields: &[&str]) -> Map<String, Json> {
    let mut picked = Map::new();
    for field in fields {
        let mut keys = field.split('.');
        let first = keys.next().unwrap_or_default();
        let found = keys.try_fold(record.get(first), |value, key| Some(value?.get(key)));
        if let Some(Some(value)) = found {
            picked.insert((*field).to_string(), value.clone());
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn no_headers(_: &str) -> Option<String> {
        None
    }

    /// The shape of GitHub's `issues` webhook (`opened`), cut to a few fields.
    #[test]
    fn a_github_issue_is_found_by_its_event_header_and_action() {
        let body = json!({
            "action": "opened",
            "issue": { "number": 1347, "title": "Found a bug", "state": "open", "user": { "login": "octocat" } },
            "repository": { "full_name": "octocat/Hello-World" },
            "sender": { "login": "octocat" }
        });
        let header = |name: &str| match name {
            "X-GitHub-Event" => Some("issues".to_string()),
            "X-GitHub-Delivery" => Some("72d3162e-cc78-11e3-81ab-4c9367dc0958".to_string()),
            _ => None,
        };
        let opened = Envelope::github("issue").open(&body, header).unwrap();
        assert_eq!(opened.kind, "issues.opened");
        assert_eq!(
            opened.event_id.as_deref(),
            Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
        );
        let fields = pick(
            opened.record,
            &["number", "title", "user.login", "milestone"],
        );
        assert_eq!(
            Json::Object(fields),
            json!({ "number": 1347, "title": "Found a bug", "user.login": "octocat" })
        );
    }

    /// The shape of a Stripe event object: the kind in `type`, the object in `data.object`.
    #[test]
    fn a_stripe_event_holds_its_object_under_data() {
        let body = json!({
            "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
            "object": "event",
            "type": "invoice.paid",
            "data": { "object": { "id": "in_1", "object": "invoice", "customer": "cus_9", "amount_paid": 2000 } }
        });
        let opened = Envelope::stripe().open(&body, no_headers).unwrap();
        assert_eq!(opened.kind, "invoice.paid");
        assert_eq!(
            opened.event_id.as_deref(),
            Some("evt_1NG8Du2eZvKYlo2CUI79vXWy")
        );
        assert_eq!(opened.record["amount_paid"], 2000);
    }

    /// The shapes of Slack's form-encoded requests: a slash command's fields, and an
    /// interactive message's `payload`.
    #[test]
    fn a_form_is_read_as_its_fields_or_its_json_payload() {
        let form = Some("application/x-www-form-urlencoded");
        let command = b"command=%2Fticket&text=printer+jam&user_name=ada&trigger_id=13345224609.738474920.8088930838d88f008e0";
        let read = body(form, command).unwrap();
        assert_eq!(read.sent, Sent::Form);
        let read = read.json;
        assert_eq!(read["command"], "/ticket");
        assert_eq!(read["text"], "printer jam");
        let opened = Envelope {
            kind: vec![Source::body("command")],
            record: Vec::new(),
            event_id: Some(Source::body("trigger_id")),
        }
        .open(&read, no_headers)
        .unwrap();
        assert_eq!(opened.kind, "/ticket");
        let payload = b"payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D";
        let read = body(form, payload).unwrap();
        assert_eq!(
            (read.json, read.sent),
            (
                json!({ "type": "block_actions", "user": { "id": "U1" } }),
                Sent::Payload
            )
        );
        let refused = body(form, b"payload=not+json").unwrap_err();
        assert_eq!(refused.message, "the form's `payload` is not a JSON object");
        let refused = body(Some("application/json"), command).unwrap_err();
        assert!(
            refused.message.starts_with("the body is not JSON"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn a_missing_record_or_kind_says_what_is_missing() {
        let ping = json!({ "zen": "Keep it logically awesome.", "hook_id": 1 });
        let header = |name: &str| (name == "X-GitHub-Event").then(|| "ping".to_string());
        let refused = Envelope::github("issue").open(&ping, header).unwrap_err();
        assert_eq!(
            refused.message,
            "the webhook has no kind: `action` in the body is missing or not a text"
        );
        let no_object = json!({ "id": "evt_2", "type": "invoice.paid", "data": {} });
        let refused = Envelope::stripe().open(&no_object, no_headers).unwrap_err();
        assert_eq!(
            refused.message,
            "the webhook has no `data.object`, where the record should be"
        );
        assert!(
            refused.help.contains("`invoice.paid` event"),
            "{}",
            refused.help
        );
        let refused = Envelope::slack()
            .open(&json!({ "event": { "type": ["message"] } }), no_headers)
            .unwrap_err();
        assert_eq!(
            refused.message,
            "the webhook has no kind: `event.type` in the body is missing or not a text"
        );
        let not_object = json!({ "event_id": "Ev1", "event": { "type": "message" }, "data": 3 });
        let opened = Envelope::slack().open(&not_object, no_headers).unwrap();
        assert_eq!(
            (opened.kind.as_str(), opened.event_id.as_deref()),
            ("message", Some("Ev1"))
        );
        let mut stripe = Envelope::stripe();
        stripe.record = vec!["data".into()];
        let refused = stripe.open(&not_object, no_headers).unwrap_err();
        assert_eq!(
            refused.message,
            "the webhook has no kind: `type` in the body is missing or not a text"
        );
    }
}
