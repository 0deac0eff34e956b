//! A connector shipped with weir under `weir serve`: `use github at "…"` against a mock of
//! GitHub's issues API (https://docs.github.com/en/rest/issues/issues#create-an-issue): events
//! in through the webhook route, issues out as GitHub takes them, and an issue GitHub refuses
//! kept dead in the journal and created by `weir replay` once GitHub takes it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::mock::{Mock, Req, Resp};
use super::serve::{Serve, scratch, text, weir};
use serde_json::json;

/// GitHub's `POST /repos/{owner}/{repo}/issues`: `201` with the issue and its `number`, or
/// while `refusing`, `422 Validation Failed` with GitHub's error body.
fn github(refusing: Arc<AtomicBool>) -> Mock {
    let created = std::sync::Mutex::new(0u64);
    Mock::start(move |req: &Req| {
        if req.header("authorization") != Some("Bearer ghp_serve") {
            return Resp::json(
                401,
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
            );
        }
        let issue = req.json();
        if (req.method.as_str(), req.path()) != ("POST", "/repos/acme/clinic/issues") {
            return Resp::json(
                404,
                json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
            );
        }
        if refusing.load(Ordering::SeqCst) || !issue["title"].is_string() {
            return Resp::json(
                422,
                json!({"message": "Validation Failed",
                       "errors": [{"resource": "Issue", "code": "custom", "field": "title", "message": "title is not accepted"}],
                       "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": "422"}),
            );
        }
        let mut number = created.lock().unwrap();
        *number += 1;
        Resp::json(
            201,
            json!({"id": 1000 + *number, "number": *number, "title": issue["title"], "body": issue["body"],
                   "state": "open", "html_url": format!("https://github.com/acme/clinic/issues/{number}"),
                   "user": {"login": "clinic-bot"}}),
        )
    })
}

/// `weir runs --failed` lists a run of `workflow`, failed for a reason that says `why`.
fn listed_as_failed(dir: &Path, workflow: &str, why: &str) {
    let listed = weir(&["runs", "--journal", "weir.db", "--failed"], dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains(workflow) && listing.contains(why),
        "{listing}"
    );
}

/// `weir replay` runs the dead event `id` again, here, to the end.
fn replayed(dir: &Path, id: u32, env: &[(&str, &str)]) {
    let replay = weir(
        &["replay", "--journal", "weir.db", &id.to_string()],
        dir,
        env,
    );
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(
        said.contains(&format!("event {id} ran again: done")),
        "{said}"
    );
}

#[test]
fn a_shipped_connector_under_serve_sends_and_a_refused_write_is_replayed() {
    let refusing = Arc::new(AtomicBool::new(false));
    let api = github(Arc::clone(&refusing));
    let dir = scratch("connector-serve");
    let script = format!(
        r#"use github at "{}"

app Shop {{
  reports actor
  order {{ customer: text, email: text }}
}}

workflow order_to_issue {{
  on new order in Shop
  create issue in GitHub {{ title: "order from {{customer}}", state: "open" }}
}}
"#,
        api.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let env = [
        ("GITHUB_TOKEN", "ghp_serve"),
        ("GITHUB_REPO", "acme/clinic"),
    ];
    let serve = Serve::start_with(&dir, "shop.weir", &["--retries", "0"], &env);
    let ana = json!({"customer": "ana", "email": "ana@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &ana, None).0, 202);
    assert_eq!(serve.settle(1)["done"], 1);
    refusing.store(true, Ordering::SeqCst);
    let gus = json!({"customer": "gus", "email": "gus@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &gus, None).0, 202);
    let health = serve.settle(2);
    assert_eq!((&health["done"], &health["failed"]), (&json!(1), &json!(1)));
    listed_as_failed(&dir, "order_to_issue", "422");
    drop(serve);

    refusing.store(false, Ordering::SeqCst);
    replayed(&dir, 2, &env);
    let created: Vec<_> = api
        .seen()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.path().to_string(), r.json()))
        .collect();
    let issue = |title: &str| {
        (
            "/repos/acme/clinic/issues".to_string(),
            json!({"title": title, "state": "open"}),
        )
    };
    assert_eq!(
        created,
        [
            issue("order from ana"),
            issue("order from gus"),
            issue("order from gus")
        ],
        "ana's issue, gus's refused, gus's again by the replay"
    );
}

/// Google's token endpoint (refresh-token grant) answering `invalid_grant` while `refusing`,
/// and Calendar v3 `POST /calendars/primary/events` answering the event with its `id`.
fn google(refusing: Arc<AtomicBool>) -> Mock {
    Mock::start(move |req: &Req| {
        if req.path() == "/token" {
            if refusing.load(Ordering::SeqCst) {
                return Resp::json(
                    400,
                    json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                );
            }
            return Resp::json(
                200,
                json!({"access_token": "ya29.serve", "expires_in": 3599, "token_type": "Bearer"}),
            );
        }
        if req.header("authorization") != Some("Bearer ya29.serve") {
            return Resp::json(
                401,
                json!({"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}}),
            );
        }
        let mut event = req.json();
        event["id"] = json!("evt1serve");
        event["status"] = json!("confirmed");
        Resp::json(200, event)
    })
}

/// An OAuth2 token endpoint that refuses under `weir serve`: the event is kept dead, with the
/// endpoint's reason, and `weir replay` creates the event once a token is given.
#[test]
fn a_refused_oauth2_token_under_serve_keeps_the_event_dead_and_replayable() {
    let refusing = Arc::new(AtomicBool::new(true));
    let api = google(Arc::clone(&refusing));
    let dir = scratch("connector-serve-oauth2");
    let script = format!(
        r#"use google_calendar at "{url}" token "{url}/token"

app Booking {{
  reports actor
  visit {{ patient: text, when: time }}
}}

workflow to_calendar {{
  on new visit in Booking
  create event in GoogleCalendar {{ title: "visit: {{patient}}", start: when, end: when + 30m }}
}}
"#,
        url = api.url
    );
    std::fs::write(dir.join("booking.weir"), script).unwrap();
    let env = [
        ("GOOGLE_CLIENT_ID", "gid"),
        ("GOOGLE_CLIENT_SECRET", "gsecret"),
        ("GOOGLE_REFRESH_TOKEN", "1//rt"),
    ];
    let serve = Serve::start_with(&dir, "booking.weir", &["--retries", "0"], &env);
    let visit = json!({"patient": "Ana", "when": "2030-01-02T09:00:00Z"});
    assert_eq!(
        serve.event("/events/Booking/visit/new", &visit, None).0,
        202
    );
    assert_eq!(serve.settle(1)["failed"], 1);
    listed_as_failed(
        &dir,
        "to_calendar",
        "its OAuth2 token endpoint gave no token",
    );
    drop(serve);

    refusing.store(false, Ordering::SeqCst);
    replayed(&dir, 1, &env);
    let sent: Vec<_> = api
        .seen()
        .into_iter()
        .filter(|r| r.path() != "/token")
        .map(|r| r.json())
        .collect();
    assert_eq!(
        sent,
        [
            json!({"summary": "visit: Ana", "start": {"dateTime": "2030-01-02T09:00:00Z"}, "end": {"dateTime": "2030-01-02T09:30:00Z"}})
        ],
        "nothing reached the calendar before a token was given"
    );
}
