//! A connector shipped with weir under `weir serve`: `use github at "…"` against a mock of
//! GitHub's issues API (https://docs.github.com/en/rest/issues/issues#create-an-issue): events
//! in through the webhook route, issues out as GitHub takes them, and an issue GitHub refuses
//! kept dead in the journal and created by `weir replay` once GitHub takes it.

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
    let listed = weir(&["runs", "--journal", "weir.db", "--failed"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("order_to_issue") && listing.contains("422"),
        "{listing}"
    );
    drop(serve);

    refusing.store(false, Ordering::SeqCst);
    let replay = weir(&["replay", "--journal", "weir.db", "2"], &dir, &env);
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(said.contains("event 2 ran again: done"), "{said}");
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
