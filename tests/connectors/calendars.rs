//! The calendar connectors reading events back: Microsoft Graph's local times with their zone
//! (`{"dateTime": "2030-07-01T07:00:00.0000000", "timeZone": "UTC"}`), and Google Calendar's
//! all-day events (`{"date": "2030-01-02"}`). The mocks answer as the references document it:
//! https://learn.microsoft.com/graph/api/user-list-events (a `value` array, `@odata.nextLink`,
//! times in UTC without an offset unless `Prefer: outlook.timezone` asks for another zone) and
//! https://developers.google.com/calendar/api/v3/reference/events (`items`,
//! `nextPageToken`, `start.date` for an all-day event).

use std::sync::Mutex;

use serde_json::{Value as Json, json};

use super::mock::{Mock, Req, Resp};
use super::{connector, run, setup, text};

/// The OAuth2 token endpoint both providers share the shape of: a refresh-token grant,
/// form-encoded, answered with a bearer token.
fn token(req: &Req, refresh: &str) -> Resp {
    let form = req.form();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("grant_type").as_deref() != Some("refresh_token")
        || get("refresh_token").as_deref() != Some(refresh)
    {
        return Resp::json(
            400,
            json!({"error": "invalid_grant", "error_description": "AADSTS70000: The provided value for the 'refresh_token' is not valid."}),
        );
    }
    Resp::json(
        200,
        json!({"token_type": "Bearer", "scope": "Calendars.ReadWrite", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ0.graph"}),
    )
}

/// The token endpoint's answer, or a `401` with the provider's error body for a request
/// without the token it gave; `None` for a request the API answers.
fn unauthorized(req: &Req, refresh: &str, refused: Json) -> Option<Resp> {
    if req.path() == "/token" {
        return Some(token(req, refresh));
    }
    (req.header("authorization") != Some("Bearer eyJ0.graph")).then(|| Resp::json(401, refused))
}

/// A `PATCH` of the event named last in the path: the fields sent replace the event's, and
/// the reply is the whole event; `404` with the provider's body for an event it does not have.
fn patch(events: &mut [Json], req: &Req, not_found: Json) -> Resp {
    let id = req.path().rsplit('/').next().unwrap_or_default();
    let Some(event) = events.iter_mut().find(|e| e["id"] == id) else {
        return Resp::json(404, not_found);
    };
    for (k, v) in req.json().as_object().into_iter().flatten() {
        event[k] = v.clone();
    }
    Resp::json(200, event.clone())
}

/// Microsoft Graph v1.0 `/me/events`: one event a page, linked by `@odata.nextLink`; times
/// as Graph gives them without a `Prefer` header (UTC, seven digits of fraction, no offset).
fn graph() -> Mock {
    let events = Mutex::new(vec![
        json!({"id": "AAMkAGI1", "subject": "Lunch", "isAllDay": false,
               "start": {"dateTime": "2030-07-01T11:00:00.0000000", "timeZone": "UTC"},
               "end": {"dateTime": "2030-07-01T12:00:00.0000000", "timeZone": "UTC"}}),
        json!({"id": "AAMkAGI2", "subject": "Checkup", "isAllDay": false,
               "start": {"dateTime": "2030-07-01T07:00:00.0000000", "timeZone": "UTC"},
               "end": {"dateTime": "2030-07-01T07:30:00.0000000", "timeZone": "UTC"}}),
    ]);
    Mock::start(move |req: &Req| {
        let refused = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}});
        if let Some(answer) = unauthorized(req, "M.R3_BAY", refused) {
            return answer;
        }
        let mut events = events.lock().unwrap();
        let host = req.header("host").unwrap_or_default().to_string();
        match (req.method.as_str(), req.path()) {
            ("GET", "/me/events") => {
                let skip: usize = req.query("$skip").map_or(0, |s| s.parse().unwrap());
                let mut body = json!({
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/events",
                    "value": events.iter().skip(skip).take(1).cloned().collect::<Vec<_>>(),
                });
                if skip + 1 < events.len() {
                    body["@odata.nextLink"] =
                        json!(format!("http://{host}/me/events?$top=1&$skip={}", skip + 1));
                }
                Resp::json(200, body)
            }
            ("PATCH", p) if p.starts_with("/me/events/") => patch(
                &mut events,
                req,
                json!({"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}),
            ),
            _ => Resp::json(
                400,
                json!({"error": {"code": "BadRequest", "message": "Unsupported request."}}),
            ),
        }
    })
}

const CLINIC: &str = "app Clinic {
  visit { patient: text, when: time }
}
workflow booked {
  on new visit in Clinic
  update event in Outlook where start == trigger.when { subject: \"visit: {patient}\" }
}
";

fn visit(when: &str) -> Json {
    json!({"kind": "new", "app": "Clinic", "entity": "visit", "record": {"patient": "Ana", "when": when}, "actor": "user"})
}

#[test]
fn graph_times_without_an_offset_are_read_in_their_zone() {
    let api = graph();
    let dir = setup(
        "graph-times",
        connector("microsoft_graph", &api.url),
        CLINIC,
        &[visit("2030-07-01T07:00:00Z")],
    );
    let env = [
        ("MS_CLIENT_ID", "cid"),
        ("MS_CLIENT_SECRET", "csecret"),
        ("MS_REFRESH_TOKEN", "M.R3_BAY"),
    ];
    let out = run(&dir, &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = api.seen();
    let requests: Vec<String> = seen
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        requests,
        [
            "POST /token",
            "GET /me/events?$top=100",
            "GET /me/events?$top=1&$skip=1",
            "PATCH /me/events/AAMkAGI2",
        ],
        "the event at 07:00 UTC is the second, on the second page"
    );
    assert_eq!(seen[3].json(), json!({"subject": "visit: Ana"}));
}

/// Google Calendar v3 events of the primary calendar: an all-day event and a timed one.
fn google_days() -> Mock {
    let events = Mutex::new(vec![
        json!({"kind": "calendar#event", "id": "day1", "status": "confirmed", "summary": "Clinic closed",
               "start": {"date": "2030-01-02"}, "end": {"date": "2030-01-03"}}),
        json!({"kind": "calendar#event", "id": "timed1", "status": "confirmed", "summary": "Checkup",
               "start": {"dateTime": "2030-01-02T10:00:00+01:00", "timeZone": "Europe/Paris"},
               "end": {"dateTime": "2030-01-02T10:30:00+01:00", "timeZone": "Europe/Paris"}}),
    ]);
    Mock::start(move |req: &Req| {
        let refused = json!({"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}});
        if let Some(answer) = unauthorized(req, "1//rt", refused) {
            return answer;
        }
        let mut events = events.lock().unwrap();
        match (req.method.as_str(), req.path()) {
            ("GET", "/calendars/primary/events") => Resp::json(
                200,
                json!({"kind": "calendar#events", "timeZone": "Europe/Paris", "items": *events}),
            ),
            ("PATCH", p) if p.starts_with("/calendars/primary/events/") => patch(
                &mut events,
                req,
                json!({"error": {"code": 404, "message": "Not Found"}}),
            ),
            _ => Resp::json(404, json!({"error": {"code": 404, "message": "Not Found"}})),
        }
    })
}

#[test]
fn google_all_day_events_start_at_midnight_utc_of_their_day() {
    let api = google_days();
    let flow = "app Clinic {
  day { note: text, date: time }
}
workflow closed {
  on new day in Clinic
  update event in GoogleCalendar where start == trigger.date { description: note }
}
workflow checkup {
  on updated day in Clinic
  update event in GoogleCalendar where start == trigger.date { description: note }
}
";
    let day = |kind: &str, note: &str, date: &str| json!({"kind": kind, "app": "Clinic", "entity": "day", "record": {"id": 1, "note": note, "date": date}, "actor": "user"});
    let dir = setup(
        "google-days",
        connector("google_calendar", &api.url),
        flow,
        &[
            day("new", "holiday", "2030-01-02T00:00:00Z"),
            day("updated", "fasting", "2030-01-02T09:00:00Z"),
        ],
    );
    let env = [
        ("GOOGLE_CLIENT_ID", "gid"),
        ("GOOGLE_CLIENT_SECRET", "gsecret"),
        ("GOOGLE_REFRESH_TOKEN", "1//rt"),
    ];
    let out = run(&dir, &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let patches: Vec<(String, Json)> = api
        .seen()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| (r.path().to_string(), r.json()))
        .collect();
    assert_eq!(
        patches,
        [
            (
                "/calendars/primary/events/day1".to_string(),
                json!({"description": "holiday"})
            ),
            (
                "/calendars/primary/events/timed1".to_string(),
                json!({"description": "fasting"})
            ),
        ]
    );
}
