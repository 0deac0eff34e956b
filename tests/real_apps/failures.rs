//! Failed runs under `weir serve`: a write a real app refuses (`422`) fails its run after the
//! run is over, when the outbox gives it up; the failed-run event is raised then, journaled,
//! and runs the workflows on it, once, also across a restart.

use std::time::Duration;

use serde_json::json;

use super::rest_app::{Fault, RestApp};
use super::serve::{Serve, scratch, text, wait_until, weir};

/// Orders of a simulated shop become contacts in a real CRM; a failure opens a ticket in a
/// real help desk (on the order), and any failure pages.
fn shop_crm_desk(crm: &str, desk: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ customer: text, email: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  contact {{ name: text, email: text }}
}}

app Desk at "{desk}" auth bearer env CRM_TOKEN {{
  ticket {{ title: text, about: text }}
  page {{ title: text }}
}}

workflow order_to_contact {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
}}

workflow ticket_on_failure {{
  on failed run of order_to_contact
  create ticket in Desk {{ title: "{{error.workflow}} failed for {{customer}}", about: "{{error.event}}: {{error.message}}" }}
}}

workflow page_on_any_failure {{
  on failed run
  create page in Desk {{ title: "{{error.workflow}} failed" }}
}}
"#
    )
}

#[test]
fn a_write_refused_after_the_run_raises_its_failed_run_once_across_a_restart() {
    let (crm, desk) = (RestApp::start(), RestApp::start());
    crm.fail_next([Fault::Status(422, "email is not valid")]);
    let dir = scratch("failed-runs");
    std::fs::write(dir.join("shop.weir"), shop_crm_desk(&crm.url, &desk.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "1"]);
    let order = json!({"customer": "Ada", "email": "not an email"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let opened = wait_until(Duration::from_secs(30), || {
        desk.records("ticket").len() == 1 && desk.records("page").len() == 1
    });
    let tickets = desk.records("ticket");
    assert!(
        opened,
        "tickets {tickets:?}, pages {:?}",
        desk.records("page")
    );
    assert_eq!(tickets[0]["title"], "order_to_contact failed for Ada");
    let about = tickets[0]["about"].as_str().unwrap_or("");
    assert!(
        about.starts_with("the new order Shop/order/1: ") && about.contains("422"),
        "{about}"
    );
    assert_eq!(desk.records("page")[0]["title"], "order_to_contact failed");
    assert!(crm.records("contact").is_empty());
    let health = serve.settle(2);
    assert_eq!(
        (health["failed"].as_u64(), health["done"].as_u64()),
        (Some(1), Some(1)),
        "{health}"
    );
    let listed = weir(&["runs", "--journal", "weir.db"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(listing.contains("ticket_on_failure"), "{listing}");
    let out = serve.terminate();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Started again on the same journal, nothing is raised or run twice; a good order
    // opens nothing.
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "1"]);
    let order = json!({"customer": "Bo", "email": "bo@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let health = serve.settle(3);
    assert_eq!(health["done"].as_u64(), Some(2), "{health}");
    assert_eq!(crm.records("contact").len(), 1);
    assert_eq!(desk.records("ticket").len(), 1);
    assert_eq!(desk.records("page").len(), 1);
    drop(serve);
}

/// A workflow on failed runs that writes the record the failing workflow runs on: a loop
/// through failures, which `--no-check` lets through (E0220). Each failed run goes on in the
/// chain of the run that failed, so the guard holds it at `--max-hops`, as the simulator does.
#[test]
fn a_loop_through_failed_runs_is_held_by_the_guard_under_serve() {
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("failed-runs-loop");
    let script = format!(
        r#"app Shop {{ order {{ customer: text }} }}

app Crm at "{}" auth bearer env CRM_TOKEN {{ contact {{ name: text }} }}

workflow to_crm {{
  on new order in Shop
  create contact in Crm {{ name: customer }}
}}

workflow reorder_on_failure {{
  on failed run of to_crm
  create order in Shop {{ customer: "{{customer}} again" }}
}}
"#,
        crm.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let serve = Serve::start(
        &dir,
        "shop.weir",
        &["--no-check", "--retries", "0", "--max-hops", "3"],
    );
    let order = json!({"customer": "Ada"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let held = wait_until(Duration::from_secs(30), || serve.health()["held"] == 1);
    let health = serve.health();
    assert!(held, "the loop was never held: {health}");
    // The order, then three failed runs of `to_crm`; the fourth new order is held.
    let health = serve.settle(4);
    assert_eq!(
        (health["failed"].as_u64(), health["held"].as_u64()),
        (Some(3), Some(1)),
        "{health}"
    );
    let listed = weir(&["runs", "--journal", "weir.db"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(listing.contains("reorder_on_failure"), "{listing}");
    drop(serve);
}

/// A workflow that fails further down a chain (on a record another run wrote) sets off the
/// workflows `on failed run of` it on that record, not only those `on failed run`.
#[test]
fn a_failed_run_down_a_chain_sets_off_the_workflows_on_that_workflow() {
    let (crm, desk) = (RestApp::start(), RestApp::start());
    crm.fail_next([Fault::Status(422, "name is taken")]);
    let dir = scratch("failed-runs-down");
    let script = format!(
        r#"app Shop {{
  order {{ customer: text }}
  buyer {{ name: text }}
}}

app Crm at "{}" auth bearer env CRM_TOKEN {{ contact {{ name: text }} }}

app Desk at "{}" auth bearer env CRM_TOKEN {{ ticket {{ title: text, about: text }} }}

workflow order_to_buyer {{
  on new order in Shop
  create buyer in Shop {{ name: customer }}
}}

workflow buyer_to_contact {{
  on new buyer in Shop
  create contact in Crm {{ name: name }}
}}

workflow ticket_on_failure {{
  on failed run of buyer_to_contact
  create ticket in Desk {{ title: "no contact for {{name}}", about: "{{error.event}}" }}
}}
"#,
        crm.url, desk.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "0"]);
    let order = json!({"customer": "Ada"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let opened = wait_until(Duration::from_secs(30), || {
        desk.records("ticket").len() == 1
    });
    let health = serve.health();
    assert!(opened, "no ticket: {health}");
    let ticket = &desk.records("ticket")[0];
    assert_eq!(ticket["title"], "no contact for Ada");
    assert_eq!(ticket["about"], "the new buyer Shop/buyer/1");
    drop(serve);
}

/// A failed event replayed with `weir replay` that fails again raises its failed run again:
/// each failure once, also across a restart.
#[test]
fn a_replayed_event_that_fails_again_raises_its_failed_run_again() {
    let (crm, desk) = (RestApp::start(), RestApp::start());
    crm.set_down(true);
    let dir = scratch("failed-runs-replay");
    std::fs::write(dir.join("shop.weir"), shop_crm_desk(&crm.url, &desk.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "0"]);
    let order = json!({"customer": "Ada", "email": "ada@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let first = wait_until(Duration::from_secs(30), || {
        desk.records("ticket").len() == 1
    });
    assert!(first, "{}", serve.health());
    let replay = weir(&["replay", "--journal", "weir.db", "1"], &dir, &[]);
    let said = text(&replay.stdout);
    assert!(said.contains("event 1 ran again and is failed"), "{said}");
    let again = wait_until(Duration::from_secs(30), || {
        desk.records("ticket").len() == 2 && desk.records("page").len() == 2
    });
    assert!(
        again,
        "tickets {:?}, pages {:?}",
        desk.records("ticket"),
        desk.records("page")
    );
    let out = serve.terminate();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Started again, nothing is raised twice.
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "0"]);
    let health = serve.settle(3);
    assert_eq!(health["queued"], 0, "{health}");
    assert_eq!(desk.records("ticket").len(), 2);
    assert_eq!(desk.records("page").len(), 2);
    drop(serve);
}

/// A run that waits, then has a write refused: the workflow on its failed run reads the order
/// it started on, as for a run that never waited.
#[test]
fn a_write_refused_after_a_wait_raises_its_failed_run_on_the_record_it_started_on() {
    let (crm, desk) = (RestApp::start(), RestApp::start());
    crm.fail_next([Fault::Status(422, "email is not valid")]);
    let dir = scratch("failed-after-wait");
    let script = shop_crm_desk(&crm.url, &desk.url).replace(
        "  on new order in Shop\n  create contact",
        "  on new order in Shop\n  wait 1s\n  create contact",
    );
    assert!(script.contains("wait 1s"));
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "1"]);
    let order = json!({"customer": "Ada", "email": "not an email"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let opened = wait_until(Duration::from_secs(30), || {
        desk.records("ticket").len() == 1
    });
    let tickets = desk.records("ticket");
    assert!(
        opened,
        "tickets {tickets:?}, pages {:?}",
        desk.records("page")
    );
    assert_eq!(tickets[0]["title"], "order_to_contact failed for Ada");
    let about = tickets[0]["about"].as_str().unwrap_or("");
    assert!(about.starts_with("the new order Shop/order/1: "), "{about}");
    drop(serve);
}
