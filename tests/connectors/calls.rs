//! Calls (`let r = call lookup in Apollo { … }`) against a mock of an enrichment API, and
//! simulated by `weir test`.

use std::process::Command;

use serde_json::json;

use super::mock::{Mock, Req, Resp};
use super::{order, run_with, scratch, setup, text};

const ENRICH: &str = r#"app Apollo at "MOCK" auth header "X-Api-Key" env APOLLO_KEY {
  call lookup POST "/v1/people/match" { email: text } returns at "person" { title: text?, company: text? as "organization.name" }

  call company GET "/v1/organizations/{domain}" { domain: text, fields: text? } returns at "organization" { name: text? }
}

app Shop {
  order { email: text, name: text }
}

app Crm {
  lead { email: text, title: text, company: text }
}

workflow enrich {
  on new order in Shop
  let p = call lookup in Apollo { email: email }
  let org = call company in Apollo { domain: "example.com", fields: "name" }
  create lead in Crm { email: email, title: p.title ?? "unknown", company: org.name ?? p.company ?? "unknown" }
  notify "lead {email}: {p.title ?? "unknown"}"
}
"#;

#[test]
fn a_calls_reply_is_a_value_in_later_steps() {
    let api = Mock::start(|req: &Req| match (req.method.as_str(), req.path()) {
        _ if req.header("x-api-key") != Some("ak") => {
            Resp::json(401, json!({"error": "invalid api key"}))
        }
        ("POST", "/v1/people/match") if req.json()["email"] == "ana@example.com" => Resp::json(
            200,
            json!({"person": {"id": "p1", "title": "Head of Nursing", "organization": {"name": "Clinic Co"}}}),
        ),
        ("POST", "/v1/people/match") => Resp::json(404, json!({"error": "no match"})),
        ("GET", "/v1/organizations/example.com") => {
            Resp::json(200, json!({"organization": {"name": req.query("fields")}}))
        }
        _ => Resp::json(404, json!({"error": "not found"})),
    });
    let script = ENRICH.replace("MOCK", &api.url);
    let events = [
        order("new", None, "ana@example.com", "Ana"),
        order("new", None, "bo@example.com", "Bo"),
    ];
    let dir = setup("call", script, "", &events);
    let out = run_with(&dir, &["--state", "state.json"], &[("APOLLO_KEY", "ak")]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("lead ana@example.com: Head of Nursing"),
        "{stdout}"
    );
    assert!(
        stdout.contains("lead bo@example.com: unknown"),
        "a 404 is an empty reply: {stdout}"
    );
    let state = std::fs::read_to_string(dir.join("state.json")).unwrap();
    assert!(
        state.contains("Head of Nursing") && state.contains("\"name\""),
        "{state}"
    );
    let seen = api.seen();
    let lookup = seen
        .iter()
        .find(|r| r.path() == "/v1/people/match")
        .unwrap();
    assert_eq!(lookup.json(), json!({"email": "ana@example.com"}));
    assert!(
        lookup.header("idempotency-key").is_none(),
        "a call is not a run's write"
    );
    let org = seen.iter().find(|r| r.method == "GET").unwrap();
    assert_eq!(
        org.target, "/v1/organizations/example.com?fields=name",
        "the rest of a GET's arguments go in its query"
    );
}

#[test]
fn weir_test_simulates_calls_with_empty_replies() {
    let dir = scratch("call-test");
    let script = ENRICH.replace("MOCK", "http://127.0.0.1:9")
        + r#"
scenario "an order becomes a lead, unknown without a real lookup" {
  user creates order in Shop { email: "ana@example.com", name: "Ana" }
  expect 1 lead in Crm where title == "unknown" and company == "unknown"
}
"#;
    std::fs::write(dir.join("script.weir"), script).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["test", "script.weir"])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("1 passed"),
        "{}",
        text(&out.stdout)
    );
}
