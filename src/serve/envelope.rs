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
