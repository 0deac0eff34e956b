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
        about.starts_with("the new order in Shop (event #1): ") && about.contains("422"),
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
