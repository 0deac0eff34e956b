//! `weir serve` sending writes concurrently: each record's writes still reach its app in the
//! order the events were accepted, a `429` storm from one app loses and repeats nothing, and
//! an app that is down holds only its own events. Counts and orders only: nothing is timed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::rest_app::{Applied, Fault, RestApp};
use super::serve::{Serve, scratch, text, wait_until, weir};

/// Orders of a simulated shop: each makes a contact in a real CRM, follows its order's
/// changes, and goes with it; leads become messages in a real mailer.
fn shop(crm: &str, mail: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ customer: text, email: text }}
  lead {{ email: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  contact {{ name: text, email: text }}
}}

app Mail at "{mail}" {{
  message {{ to: text }}
}}

workflow order_to_contact {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
}}

workflow follow {{
  on updated order in Shop
  update contact in Crm linked {{ name: customer, email: email }}
}}

workflow gone {{
  on deleted order in Shop
  delete contact in Crm linked
}}

workflow lead_to_mail {{
  on new lead in Shop
  create message in Mail {{ to: email }}
}}
"#
    )
}

fn post(serve: &Serve, path: &str, record: &Json, id: &str) {
    let (status, reply) = serve.event(path, record, Some(id));
    assert!(status == 202 || status == 200, "{status} {reply}");
}

/// Every write the app made to each contact, by the contact's email, in order: the method and
/// the name written.
fn by_contact(applied: &[Applied]) -> BTreeMap<String, Vec<(String, String)>> {
    // A contact's id in the app, by the email its create or updates carried.
    let mut emails: BTreeMap<String, String> = BTreeMap::new();
    for a in applied.iter().filter(|a| a.method == "PATCH") {
        if let Some(email) = a.body["email"].as_str() {
            emails.insert(a.path.clone(), email.to_string());
        }
    }
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for a in applied {
        let email = match a.method.as_str() {
            "POST" => a.body["email"].as_str().map(String::from),
            _ => emails.get(&a.path).cloned(),
        };
        let name = a.body["name"].as_str().unwrap_or("").to_string();
        out.entry(email.unwrap_or_else(|| format!("? {}", a.path)))
            .or_default()
            .push((a.method.clone(), name));
    }
    out
}

#[test]
fn each_records_writes_keep_their_order_while_others_go_at_once() {
    let (crm, mail) = (RestApp::start(), RestApp::start());
    // Slow enough that many writes are in flight at once.
    crm.set_slow(Duration::from_millis(5));
    let dir = scratch("scale-order");
    std::fs::write(dir.join("shop.weir"), shop(&crm.url, &mail.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let records = 150usize;
    // Record r's create, two updates and delete, interleaved with the other records' events:
    // in round n, record n is created, n-1 updated, n-2 updated again, n-3 deleted.
    let mut posted = 0;
    for round in 0..records + 3 {
        for phase in 0..4usize {
            let Some(r) = round.checked_sub(phase).filter(|r| *r < records) else {
                continue;
            };
            let email = format!("c{r}@example.com");
            let (kind, record) = match phase {
                0 => ("new", json!({"customer": format!("c{r}"), "email": email})),
                3 => (
                    "deleted",
                    json!({"id": r + 1, "customer": "x", "email": email}),
                ),
                n => (
                    "updated",
                    json!({"id": r + 1, "customer": format!("c{r}-v{n}"), "email": email}),
                ),
            };
            post(
                &serve,
                &format!("/events/Shop/order/{kind}"),
                &record,
                &format!("{r}-{phase}"),
            );
            posted += 1;
        }
    }
    let health = serve.settle(posted);
    assert_eq!(health["done"], posted, "{health}");
    let contacts = by_contact(&crm.applied());
    assert_eq!(contacts.len(), records, "{contacts:?}");
    for r in 0..records {
        let writes = &contacts[&format!("c{r}@example.com")];
        let expected = [
            ("POST", format!("c{r}")),
            ("PATCH", format!("c{r}-v1")),
            ("PATCH", format!("c{r}-v2")),
            ("DELETE", String::new()),
        ];
        let got: Vec<(&str, &str)> = writes
            .iter()
            .map(|(m, n)| (m.as_str(), n.as_str()))
            .collect();
        let want: Vec<(&str, &str)> = expected.iter().map(|(m, n)| (*m, n.as_str())).collect();
        assert_eq!(got, want, "record c{r}");
    }
    assert!(crm.records("contact").is_empty());
    // Writes went out concurrently, not one at a time.
    assert!(
        crm.peak_writes() > 1,
        "at most {} at once",
        crm.peak_writes()
    );
}

#[test]
fn a_storm_of_429_from_one_app_loses_and_repeats_nothing() {
    let (crm, mail) = (RestApp::start(), RestApp::start());
    crm.fail_next((0..6).map(|_| Fault::TooMany(1)));
    let dir = scratch("scale-429");
    std::fs::write(dir.join("shop.weir"), shop(&crm.url, &mail.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let n = 40;
    for i in 0..n {
        let email = format!("p{i}@example.com");
        let order = json!({"customer": format!("p{i}"), "email": email});
        post(&serve, "/events/Shop/order/new", &order, &format!("o{i}"));
        post(
            &serve,
            "/events/Shop/lead/new",
            &json!({"email": email}),
            &format!("l{i}"),
        );
    }
    let health = serve.settle(2 * n as u64);
    assert_eq!(health["done"], 2 * n, "{health}");
    // Each contact and each message made once; the six 429s were seen and tried again.
    let mut made: Vec<String> = crm
        .applied()
        .iter()
        .map(|a| a.body["email"].as_str().unwrap_or("").to_string())
        .collect();
    made.sort();
    made.dedup();
    assert_eq!((crm.applied().len(), made.len()), (n, n));
    assert_eq!(mail.applied().len(), n);
    let seen_writes = crm.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(seen_writes, n + 6);
}

#[test]
fn an_app_that_is_down_holds_only_its_own_events() {
    let (crm, mail) = (RestApp::start(), RestApp::start());
    crm.set_down(true);
    let dir = scratch("scale-down");
    std::fs::write(dir.join("shop.weir"), shop(&crm.url, &mail.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "2"]);
    let n = 30;
    for i in 0..n {
        let email = format!("d{i}@example.com");
        let order = json!({"customer": format!("d{i}"), "email": email});
        post(&serve, "/events/Shop/order/new", &order, &format!("o{i}"));
        post(
            &serve,
            "/events/Shop/lead/new",
            &json!({"email": email}),
            &format!("l{i}"),
        );
    }
    // Every lead reaches the mailer, whatever the CRM does.
    assert!(
        wait_until(Duration::from_secs(30), || mail.applied().len() == n),
        "{}",
        mail.applied().len()
    );
    let health = serve.settle(2 * n as u64);
    assert_eq!(
        (health["done"].as_u64(), health["failed"].as_u64()),
        (Some(n as u64), Some(n as u64)),
        "{health}"
    );
    assert!(crm.applied().is_empty());
    // Each order's run is failed, and says why.
    let listed = weir(
        &["runs", "--journal", "weir.db", "--failed", "--limit", "100"],
        &dir,
        &[],
    );
    let listing = text(&listed.stdout);
    let why = "answered 503 Service Unavailable (tried 3 times)";
    assert_eq!(listing.matches(why).count(), n, "{listing}");
    assert_eq!(listing.matches("order_to_contact").count(), n, "{listing}");
}
