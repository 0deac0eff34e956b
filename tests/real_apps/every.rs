//! `every` on a real app asks the app's list with the `where`'s equalities, as `find` does,
//! and gives every record the app answers with; the rest of the condition and the order are
//! applied to what came back. It writes nothing to the app.

use serde_json::json;

use std::process::Output;

use super::reads::reads_only;
use super::rest_app::RestApp;
use super::serve::{scratch, text, weir};

/// Orders in a simulated shop write one note for each contact of the buyer in a real CRM.
fn shop_notes_every_contact(crm: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ email: text }}
}}

app Crm at "{crm}" {{
  contact {{ name: text, email: text, score: number }}
}}

app Notes {{
  note {{ text: text }}
}}

workflow note_every_contact {{
  on new order in Shop
  let found = every contact in Crm where email == trigger.email and score > 1 ordered by score desc
  for c in found {{
    create note in Notes {{ text: "{{c.name}} ({{c.score}}) of {{len(found)}}" }}
  }}
}}
"#
    )
}

/// `weir run` of [`shop_notes_every_contact`] on one order from dee@example.com, in a scratch
/// folder called `name`, with more arguments.
fn run_one_order(name: &str, crm: &RestApp, extra: &[&str]) -> Output {
    let dir = scratch(name);
    std::fs::write(dir.join("shop.weir"), shop_notes_every_contact(&crm.url)).unwrap();
    let order = json!({ "kind": "new", "app": "Shop", "entity": "order",
        "record": { "email": "dee@example.com" } });
    std::fs::write(dir.join("orders.jsonl"), format!("{order}\n")).unwrap();
    let mut args = vec!["run", "shop.weir", "--events", "orders.jsonl"];
    args.extend_from_slice(extra);
    weir(&args, &dir, &[])
}

#[test]
fn every_asks_the_apps_list_with_its_filter_and_keeps_the_order_asked_for() {
    let crm = RestApp::start();
    for (name, email, score) in [
        ("Dee A", "dee@example.com", 3),
        ("Eve", "eve@example.com", 9),
        ("Dee B", "dee@example.com", 7),
        ("Dee C", "dee@example.com", 1),
    ] {
        crm.user_creates(
            "contact",
            json!({ "name": name, "email": email, "score": score }),
        );
    }
    let out = run_one_order("every", &crm, &["--trace", "human"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let b = stdout.find("Dee B (7) of 2").expect(&stdout);
    let a = stdout.find("Dee A (3) of 2").expect(&stdout);
    assert!(b < a, "by score, the largest first: {stdout}");
    assert!(
        !stdout.contains("Dee C") && !stdout.contains("Eve"),
        "{stdout}"
    );
    let asked = reads_only(&crm, "/contact?email=dee%40example.com");
    assert_eq!(asked, 1, "`every` asks the list once, with its filter");
}

#[test]
fn every_answered_503_fails_the_run_instead_of_finding_no_records() {
    let crm = RestApp::start();
    crm.fail_reads(Some((0, 503)));
    let retries = ["--retries", "1", "--backoff-ms", "1"];
    let out = run_one_order("every-503", &crm, &retries);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Crm could not be read"), "{stderr}");
}
