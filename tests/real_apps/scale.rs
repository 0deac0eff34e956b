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
    // The first write (record 0's create) is answered only when let go: meanwhile the others
    // must go on, which they could not if writes went one at a time.
    crm.hold_write(Some(1));
    let dir = scratch("scale-order");
    std::fs::write(dir.join("shop.weir"), shop(&crm.url, &mail.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    // 2,000 events in all, each record's four among thousands of others'.
    let records = 500usize;
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
        if round == 2 {
            let others = wait_until(Duration::from_secs(8), || crm.applied().len() >= 3);
            assert!(others, "writes waited for one that was not answered");
            crm.hold_write(None);
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
}

/// `n` orders and `n` leads, one of each in turn, named with `prefix`.
fn orders_and_leads(serve: &Serve, n: usize, prefix: &str) {
    for i in 0..n {
        let email = format!("{prefix}{i}@example.com");
        let order = json!({"customer": format!("{prefix}{i}"), "email": email});
        post(serve, "/events/Shop/order/new", &order, &format!("o{i}"));
        post(
            serve,
            "/events/Shop/lead/new",
            &json!({"email": email}),
            &format!("l{i}"),
        );
    }
}

#[test]
fn a_storm_of_429_from_one_app_loses_and_repeats_nothing() {
    let (crm, mail) = (RestApp::start(), RestApp::start());
    crm.fail_next((0..6).map(|_| Fault::TooMany(1)));
    let dir = scratch("scale-429");
    std::fs::write(dir.join("shop.weir"), shop(&crm.url, &mail.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let n = 40;
    orders_and_leads(&serve, n, "p");
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
    orders_and_leads(&serve, n, "d");
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
    // Each contact tried three times (`--retries 2`), no more; each message sent once.
    let tries = crm.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(tries, 3 * n);
    assert_eq!(mail.seen().len(), n);
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

/// Orders to contacts only.
fn orders(crm: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ customer: text, email: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  contact {{ name: text, email: text }}
}}

workflow order_to_contact {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
}}
"#
    )
}

fn order(i: usize) -> Json {
    json!({"customer": format!("q{i}"), "email": format!("q{i}@example.com")})
}

#[test]
fn a_full_queue_answers_503_with_retry_after() {
    let crm = RestApp::start();
    // The CRM is down and tried again for long: the events stay queued.
    crm.set_down(true);
    let dir = scratch("scale-full");
    std::fs::write(dir.join("shop.weir"), orders(&crm.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--max-queued", "5", "--retries", "50"]);
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (status, _) = serve.event("/events/Shop/order/new", &order(i), Some(&format!("f{i}")));
        statuses.push(status);
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 503, 503, 503]);
    // The refusal says when to come back.
    let path = "/events/Shop/order/new";
    let body = order(9).to_string();
    let headers = vec![
        ("X-Weir-Event-Id", "f9".to_string()),
        ("X-Weir-Actor", "user".to_string()),
    ];
    let mut request = super::rest_app::client()
        .post(format!("{}{path}", serve.url))
        .header("Content-Type", "application/json")
        .body(body.clone());
    for (k, v) in super::rest_app::signed(super::serve::SECRET, path, body.as_bytes(), &headers) {
        request = request.header(k, v);
    }
    let reply = request.send().unwrap();
    assert_eq!(reply.status().as_u16(), 503);
    assert_eq!(reply.headers()["retry-after"], "1");
    assert_eq!(serve.health()["queued"], 5);
}

#[test]
fn a_worker_that_panics_stops_weir_with_an_error_and_nothing_is_lost() {
    let crm = RestApp::start();
    let dir = scratch("scale-panic");
    std::fs::write(dir.join("shop.weir"), orders(&crm.url)).unwrap();
    let serve = Serve::start_with(&dir, "shop.weir", &[], &[("WEIR_TEST_PANIC_ON_EVENT", "2")]);
    post(&serve, "/events/Shop/order/new", &order(1), "p1");
    assert!(wait_until(Duration::from_secs(20), || crm.applied().len() == 1));
    post(&serve, "/events/Shop/order/new", &order(2), "p2");
    let mut serve = serve;
    let ended = wait_until(Duration::from_secs(20), || {
        matches!(serve.child.try_wait(), Ok(Some(_)))
    });
    assert!(ended, "weir serve went on after its worker panicked");
    let out = serve.terminate();
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("the worker of `weir serve` stopped: a panic injected on event 2"),
        "{said}"
    );
    assert_eq!(crm.applied().len(), 1);
    // Started again, the event the worker died on runs, once.
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let health = serve.settle(2);
    assert_eq!(health["done"], 2, "{health}");
    assert_eq!(crm.applied().len(), 2);
}

#[test]
fn sigterm_while_writes_wait_to_be_tried_again_stops_and_keeps_them() {
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("scale-term");
    std::fs::write(dir.join("shop.weir"), orders(&crm.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "50"]);
    for i in 0..3 {
        post(
            &serve,
            "/events/Shop/order/new",
            &order(i),
            &format!("t{i}"),
        );
    }
    // Each write was tried and waits to be tried again.
    assert!(wait_until(Duration::from_secs(20), || {
        crm.seen().iter().filter(|s| s.method == "POST").count() >= 3
    }));
    // Stopped by itself (`terminate` kills only after 20 s, which is not a success).
    let out = serve.terminate();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("3 events queued for the next start"),
        "{}",
        text(&out.stdout)
    );
    assert!(crm.applied().is_empty());
    crm.set_down(false);
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let health = serve.settle(3);
    assert_eq!(health["done"], 3, "{health}");
    let mut made: Vec<String> = crm
        .applied()
        .iter()
        .map(|a| a.body["email"].to_string())
        .collect();
    made.sort();
    assert_eq!(made.len(), 3);
    made.dedup();
    assert_eq!(made.len(), 3);
}

/// A CRM whose `http` mapping names its own paths and wire names, behind Basic auth: writes
/// from the outbox are built by the mapping too, and a run that reads after it writes sees
/// what it wrote.
fn mapped_shop(crm: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ customer: text, email: text }}
  lead {{ email: text }}
}}

app Crm at "{crm}" auth basic env CRM_USER {{
  contact {{ name: text as "full_name", email: text }}

  http contact {{
    create POST "/people"
    read GET "/people/{{id}}"
    update PATCH "/people/{{id}}"
    list GET "/people"
  }}
}}

workflow order_to_contact {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
  update contact in Crm linked {{ name: "{{customer}} (customer)" }}
}}

workflow lead_to_contact {{
  on new lead in Shop
  let p = create contact in Crm {{ name: "lead", email: email }}
  let known = count contact in Crm where email == trigger.email
  create contact in Crm {{ name: "{{p.name}} {{p.id}} seen {{known}}", email: "again-{{email}}" }}
}}
"#
    )
}

#[test]
fn outbox_writes_follow_the_mapping_and_a_run_reads_what_it_wrote() {
    let crm = RestApp::start();
    let dir = scratch("scale-mapped");
    std::fs::write(dir.join("shop.weir"), mapped_shop(&crm.url)).unwrap();
    let serve = Serve::start_with(&dir, "shop.weir", &[], &[("CRM_USER", "ana")]);
    let order = json!({"customer": "gus", "email": "gus@example.com"});
    post(&serve, "/events/Shop/order/new", &order, "o1");
    post(
        &serve,
        "/events/Shop/lead/new",
        &json!({"email": "lee@example.com"}),
        "l1",
    );
    let health = serve.settle(2);
    assert_eq!(health["done"], 2, "{health}");
    let writes: Vec<(String, String, Json)> = crm
        .applied()
        .into_iter()
        .map(|a| (a.method, a.path, a.body["full_name"].clone()))
        .collect();
    // The update was planned before its record's create was answered: its path, made when
    // it went, holds the id the create's reply gave.
    let person = |email: &str| {
        crm.records("people")
            .into_iter()
            .find(|r| r["email"] == email)
            .unwrap_or_else(|| panic!("no person {email}: {writes:?}"))
    };
    let gus = person("gus@example.com");
    let id = gus["id"].as_str().unwrap().to_string();
    assert_eq!(gus["full_name"], "gus (customer)");
    assert!(
        writes.contains(&(
            "PATCH".into(),
            format!("/people/{id}"),
            json!("gus (customer)")
        )),
        "{writes:?}"
    );
    // The lead's run read its own create back and counted it before its second create.
    let again = person("again-lee@example.com");
    let lee = person("lee@example.com");
    assert_eq!(
        again["full_name"],
        json!(format!("lead Crm/contact/2 seen 1")),
        "{lee}"
    );
    let seen = crm.seen();
    assert!(
        seen.iter().all(|s| s.path.starts_with("/people")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .all(|s| s.auth.as_deref() == Some("Basic YW5hOg==")),
        "{seen:?}"
    );
}

/// [`shop`], where a lead counts the contacts of its email and says how many it saw.
fn counting_shop(crm: &str, mail: &str) -> String {
    let counting = "  let known = count contact in Crm where email == trigger.email\n  \
                    create message in Mail { to: \"{email} knows {known}\" }";
    let text = shop(crm, mail);
    assert!(text.contains("  create message in Mail { to: email }"));
    text.replace("  create message in Mail { to: email }", counting)
}

#[test]
fn a_read_sees_the_writes_of_events_run_just_before_it_in_the_same_group() {
    let (crm, mail) = (RestApp::start(), RestApp::start());
    // The first contact's create is held: the lead that counts it waits, and the two events
    // posted meanwhile are run together, recorded as one group.
    crm.hold_write(Some(1));
    let dir = scratch("scale-group-read");
    std::fs::write(dir.join("shop.weir"), counting_shop(&crm.url, &mail.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let order = |name: &str| json!({"customer": name, "email": format!("{name}@example.com")});
    let lead = |name: &str| json!({"email": format!("{name}@example.com")});
    post(&serve, "/events/Shop/order/new", &order("zed"), "o1");
    assert!(wait_until(Duration::from_secs(20), || !crm
        .seen()
        .is_empty()));
    post(&serve, "/events/Shop/lead/new", &lead("zed"), "l1");
    post(&serve, "/events/Shop/order/new", &order("amy"), "o2");
    post(&serve, "/events/Shop/lead/new", &lead("amy"), "l2");
    crm.hold_write(None);
    let health = serve.settle(4);
    assert_eq!(health["done"], 4, "{health}");
    let mut said: Vec<String> = mail
        .applied()
        .iter()
        .map(|a| a.body["to"].as_str().unwrap_or("").to_string())
        .collect();
    said.sort();
    // Amy's lead ran right after her order, before her contact was recorded or sent: its
    // count waited for it all the same.
    assert_eq!(said, ["amy@example.com knows 1", "zed@example.com knows 1"]);
    assert_eq!(crm.applied().len(), 2);
}
