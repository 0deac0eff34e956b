//! A read of a real app that gets no answer is an error of the run, never a record gone: a
//! sync that cannot read its partner fails (the event can run again), while a partner the app
//! answers 404 for is gone, and nothing is written.

use std::process::Output;

use serde_json::json;

use super::rest_app::RestApp;
use super::serve::{Serve, scratch, text, weir};

/// Tickets of a simulated helpdesk kept in sync with a real tracker.
pub(super) fn helpdesk_sync(tracker: &str) -> String {
    format!(
        r#"app Helpdesk {{
  ticket {{ title: text }}
}}

app Tracker at "{tracker}" {{
  ticket {{ title: text }}
}}

sync ticket between Helpdesk and Tracker {{
  title <-> title
  prefer Helpdesk
}}
"#
    )
}

fn ticket_line(kind: &str, record: serde_json::Value) -> String {
    json!({ "kind": kind, "app": "Helpdesk", "entity": "ticket", "record": record }).to_string()
}

/// `weir run` on a new helpdesk ticket and its rename, with the tracker answering the first
/// read and giving `status` to every later one.
fn rename_with_reads_answered(name: &str, status: u16, extra: &[&str]) -> (RestApp, Output) {
    let tracker = RestApp::start();
    let dir = scratch(name);
    std::fs::write(dir.join("sync.weir"), helpdesk_sync(&tracker.url)).unwrap();
    let lines = [
        ticket_line("new", json!({ "title": "printer" })),
        ticket_line("updated", json!({ "id": 1, "title": "printer on fire" })),
    ];
    std::fs::write(dir.join("tickets.jsonl"), lines.join("\n") + "\n").unwrap();
    tracker.fail_reads(Some((1, status)));
    let mut args = vec!["run", "sync.weir", "--events", "tickets.jsonl"];
    args.extend_from_slice(extra);
    let out = weir(&args, &dir, &[]);
    (tracker, out)
}

#[test]
fn a_read_answered_503_fails_the_run_instead_of_skipping_the_update() {
    let retries = ["--retries", "2", "--backoff-ms", "1"];
    let (tracker, out) = rename_with_reads_answered("read-503", 503, &retries);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[R0302]"), "{stderr}");
    assert!(
        stderr.contains("Tracker could not be read: GET ")
            && stderr.contains(
                "/ticket/r1 answered 503 Service Unavailable: cannot read now (tried 3 times)"
            ),
        "{stderr}"
    );
    let seen = tracker.seen();
    let reads = seen.iter().filter(|s| s.method == "GET").count();
    assert_eq!(reads, 4, "one read answered, then three tries: {seen:?}");
    assert!(
        !seen.iter().any(|s| s.method == "PATCH"),
        "nothing was written on a guess: {seen:?}"
    );
    assert_eq!(tracker.records("ticket")[0]["title"], "printer");
}

/// The tracker's ticket was deleted behind weir's back: its read answers 404.
#[test]
fn a_read_answered_404_means_the_partner_is_gone() {
    let (tracker, out) = rename_with_reads_answered("read-404", 404, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!tracker.seen().iter().any(|s| s.method == "PATCH"));
}

/// Under `weir serve` the event whose read failed is kept as failed, and runs again with
/// `weir replay` once the app answers: the update reaches the tracker then.
#[test]
fn under_serve_a_failed_read_leaves_the_event_to_replay() {
    let tracker = RestApp::start();
    let dir = scratch("read-serve");
    std::fs::write(dir.join("sync.weir"), helpdesk_sync(&tracker.url)).unwrap();
    let serve = Serve::start(&dir, "sync.weir", &["--retries", "1"]);
    let path = |kind: &str| format!("/events/Helpdesk/ticket/{kind}");
    let (status, reply) = serve.event(&path("new"), &json!({ "title": "printer" }), None);
    assert_eq!(status, 202, "{reply}");
    assert_eq!(serve.settle(1)["failed"], 0);
    tracker.fail_reads(Some((0, 500)));
    let renamed = json!({ "id": 1, "title": "printer on fire" });
    assert_eq!(serve.event(&path("updated"), &renamed, None).0, 202);
    assert_eq!(serve.settle(2)["failed"], 1, "{}", serve.health());
    assert!(!tracker.seen().iter().any(|s| s.method == "PATCH"));
    let listed = weir(&["runs", "--journal", "weir.db", "--failed"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("Tracker could not be read")
            && listing.contains("answered 500 Internal Server Error"),
        "{listing}"
    );

    tracker.fail_reads(None);
    let replay = weir(&["replay", "--journal", "weir.db", "2"], &dir, &[]);
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(said.contains("event 2 ran again: done"), "{said}");
    assert_eq!(tracker.records("ticket")[0]["title"], "printer on fire");
}

/// Orders in a simulated shop look their customer up in a real CRM and note what they found.
fn shop_looks_up_crm(crm: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ email: text }}
}}

app Crm at "{crm}" {{
  contact {{ name: text, email: text }}
}}

app Notes {{
  note {{ text: text }}
}}

workflow note_customer {{
  on new order in Shop
  let known = exists contact in Crm where email == trigger.email
  let contact = find contact in Crm where email == trigger.email
  if contact != none {{
    create note in Notes {{ text: "{{contact.name}} ordered (known: {{known}})" }}
  }} else {{
    create note in Notes {{ text: "a new customer" }}
  }}
}}
"#
    )
}

/// `weir run` of [`shop_looks_up_crm`] on one order from `email`, with more arguments.
fn run_one_order(dir: &std::path::Path, crm: &RestApp, email: &str, extra: &[&str]) -> Output {
    std::fs::write(dir.join("shop.weir"), shop_looks_up_crm(&crm.url)).unwrap();
    let order =
        json!({ "kind": "new", "app": "Shop", "entity": "order", "record": { "email": email } });
    std::fs::write(dir.join("orders.jsonl"), format!("{order}\n")).unwrap();
    let mut args = vec![
        "run",
        "shop.weir",
        "--events",
        "orders.jsonl",
        "--trace",
        "human",
    ];
    args.extend_from_slice(extra);
    weir(&args, dir, &[])
}

#[test]
fn a_lookup_asks_the_apps_list_with_its_filter() {
    let crm = RestApp::start();
    crm.user_creates(
        "contact",
        json!({ "name": "Dee", "email": "dee@example.com" }),
    );
    let dir = scratch("find");
    let out = run_one_order(&dir, &crm, "dee@example.com", &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("Dee ordered (known: true)"), "{stdout}");
    let asked = reads_only(&crm, "/contact?email=dee%40example.com");
    assert_eq!(asked, 2, "`exists` and `find` each ask the list");
}

/// How many times `crm` was asked `path`, after checking it was only ever read: a lookup
/// writes nothing.
pub(super) fn reads_only(crm: &RestApp, path: &str) -> usize {
    let seen = crm.seen();
    assert!(
        !seen.iter().any(|s| s.method != "GET"),
        "a lookup writes nothing: {seen:?}"
    );
    seen.iter()
        .filter(|s| s.method == "GET" && s.path == path)
        .count()
}

#[test]
fn a_lookup_answered_503_fails_the_run_instead_of_finding_nothing() {
    let crm = RestApp::start();
    let dir = scratch("find-503");
    crm.fail_reads(Some((0, 503)));
    let retries = ["--retries", "1", "--backoff-ms", "1"];
    let out = run_one_order(&dir, &crm, "eve@example.com", &retries);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Crm could not be read"), "{stderr}");
    assert!(
        !stdout.contains("a new customer"),
        "an unanswered lookup is not \"not found\": {stdout}"
    );
}
