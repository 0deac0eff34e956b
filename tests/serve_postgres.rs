//! `weir serve`, `weir runs` and `weir replay` on a PostgreSQL journal (`--journal
//! postgres://…`), each test on a throwaway cluster of its own ([`postgres::Cluster`]) and a
//! real app on 127.0.0.1 ([`rest_app`]). Where PostgreSQL is not installed, each test says it
//! is skipped.

#[path = "common/postgres.rs"]
#[expect(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod postgres;
#[path = "real_apps/rest_app.rs"]
#[expect(
    dead_code,
    reason = "the real-app tests use the rest: hooks, faults, reads"
)]
mod rest_app;
#[path = "real_apps/serve.rs"]
#[expect(
    dead_code,
    reason = "the real-app tests use the rest: their own starts"
)]
mod serve;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rest_app::{Fault, RestApp};
use serde_json::json;
use serve::{Serve, scratch, text, wait_until, weir};

/// Orders in a simulated shop become contacts in a real CRM.
fn shop_to_crm(crm: &str) -> String {
    format!(
        r#"engine weir

app Shop {{
  reports actor
  order {{ customer: text, email: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  contact {{ name: text, email: text, origin: stamp }}
}}

workflow order_to_contact {{
  on new order in Shop
  unless origin == weir
  create contact in Crm {{ name: upper(customer), email: email }}
}}
"#
    )
}

/// A cluster with an empty database `journal`, and the journal's URL (with a password the
/// cluster does not ask for, so that the tests see it is never shown); `None` where
/// PostgreSQL is missing.
fn journal(name: &str) -> Option<(postgres::Cluster, String)> {
    let cluster = match postgres::Cluster::start(name) {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!("skipped: {why}");
            return None;
        }
    };
    cluster.create_database("journal").expect("a database");
    let url = format!(
        "postgres://postgres:{PASSWORD}@127.0.0.1:{}/journal",
        cluster.port()
    );
    Some((cluster, url))
}

const PASSWORD: &str = "hunter2-not-shown";

/// `weir serve` on the journal at `url`, with `extra`.
fn serve_on(dir: &Path, url: &str, extra: &[&str]) -> Result<Serve, std::process::Output> {
    let mut args = vec![
        "serve",
        "shop.weir",
        "--listen",
        "127.0.0.1:0",
        "--journal",
        url,
        "--secret-env",
        "WEIR_TEST_SECRET",
        "--read-token-env",
        "WEIR_TEST_READ",
        "--backoff-ms",
        "10",
    ];
    args.extend_from_slice(extra);
    Serve::launch(dir, &args, &[])
}

fn order(i: usize) -> serde_json::Value {
    json!({"customer": format!("c{i}"), "email": format!("c{i}@example.com")})
}

#[test]
fn events_accepted_on_postgres_run_and_are_listed() {
    let Some((_cluster, url)) = journal("accepted") else {
        return;
    };
    let crm = RestApp::start();
    let dir = scratch("pg-accepted");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let serve = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    for i in 0..3 {
        let id = format!("order-{i}");
        let (status, reply) = serve.event("/events/Shop/order/new", &order(i), Some(&id));
        assert_eq!(status, 202, "{reply}");
    }
    // The same event id again is a duplicate, as on SQLite.
    let (status, reply) = serve.event("/events/Shop/order/new", &order(0), Some("order-0"));
    assert_eq!(status, 200, "{reply}");
    let health = serve.settle(3);
    assert_eq!(health["done"], 3, "{health}");
    assert_eq!(crm.records("contact").len(), 3);
    let said = serve.terminate();
    let out = text(&said.stdout);
    assert!(said.status.success(), "{out}{}", text(&said.stderr));
    assert!(!dir.join("weir.db").exists(), "no SQLite file is made");

    let listed = weir(&["runs", "--journal", &url], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(listed.status.success(), "{listing}{}", text(&listed.stderr));
    assert_eq!(listing.matches("order_to_contact").count(), 3, "{listing}");
    assert!(
        listing.contains("events: 0 queued, 3 done, 0 failed, 0 held"),
        "{listing}"
    );
    for shown in [&listing, &text(&listed.stderr), &text(&said.stderr)] {
        assert!(!shown.contains(PASSWORD), "the password is shown: {shown}");
    }
}

#[test]
fn the_listening_line_names_the_journal_without_its_password() {
    let Some((_cluster, url)) = journal("named") else {
        return;
    };
    let crm = RestApp::start();
    let dir = scratch("pg-named");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let serve = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    let out = serve.terminate();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(PASSWORD), "{all}");
    // The first line was read by the start; the last says where what is queued waits.
    assert!(all.contains("weir serve: stopped;"), "{all}");
    let wrong = url.replace("/journal", "/nowhere");
    let refused = weir(&["runs", "--journal", &wrong], &dir, &[]);
    let said = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(
        said.contains("postgres://postgres:***@127.0.0.1:") && said.contains("/nowhere"),
        "{said}"
    );
    assert!(!said.contains(PASSWORD), "{said}");
}

#[test]
fn a_second_server_on_the_same_postgres_journal_shares_it() {
    let Some((_cluster, url)) = journal("second") else {
        return;
    };
    let crm = RestApp::start();
    let dir = scratch("pg-second");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let first = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    let second = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!("a second server did not start: {}", text(&out.stderr));
    });
    for (i, server) in [&first, &second, &first, &second].into_iter().enumerate() {
        let (status, reply) = server.event(
            "/events/Shop/order/new",
            &order(i),
            Some(&format!("order-{i}")),
        );
        assert_eq!(status, 202, "{reply}");
    }
    assert!(
        wait_until(Duration::from_secs(20), || crm.records("contact").len()
            >= 4),
        "the events ran"
    );
    let mut names: Vec<String> = crm
        .records("contact")
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["C0", "C1", "C2", "C3"], "each event ran once");
}

/// `kill -9` while events stream in and writes are being sent: after a restart on the same
/// PostgreSQL journal, every event answered 202 reached the app, and no idempotency key was
/// written twice.
#[test]
fn kill_9_on_postgres_loses_nothing_and_writes_nothing_twice() {
    let Some((_cluster, url)) = journal("crash") else {
        return;
    };
    let crm = RestApp::start();
    let dir = scratch("pg-crash");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    crm.fail_next((0..40).map(|_| Fault::Slow(Duration::from_millis(15))));
    let mut serve = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    let total = 200;
    let mut accepted = vec![false; total];
    for (i, done) in accepted.iter_mut().enumerate() {
        let (status, _) = serve.event(
            "/events/Shop/order/new",
            &order(i),
            Some(&format!("order-{i}")),
        );
        *done = status == 202;
        if i == total / 2 {
            assert!(
                wait_until(Duration::from_secs(20), || !crm
                    .records("contact")
                    .is_empty()),
                "the worker got going"
            );
            serve.child.kill().expect("SIGKILL");
            let _ = serve.child.wait();
            break;
        }
    }
    let acked = accepted.iter().filter(|a| **a).count();
    assert!(acked > 0 && acked < total, "the kill came mid-stream");
    drop(serve);

    let serve = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!("weir serve did not start again: {}", text(&out.stderr));
    });
    for (i, done) in accepted.iter().enumerate() {
        if !done {
            let id = format!("order-{i}");
            let (status, reply) = serve.event("/events/Shop/order/new", &order(i), Some(&id));
            assert!(status == 202 || status == 200, "{status} {reply}");
        }
    }
    let health = serve.settle(total as u64);
    assert_eq!(health["done"], total as u64, "{health}");
    let mut names: Vec<String> = crm
        .records("contact")
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut expected: Vec<String> = (0..total).map(|i| format!("C{i}")).collect();
    expected.sort();
    assert_eq!(names, expected, "every event reached the app exactly once");
    let mut writes: HashMap<String, usize> = HashMap::new();
    for applied in crm.applied() {
        *writes.entry(applied.key.unwrap_or_default()).or_default() += 1;
    }
    assert_eq!(writes.len(), total, "one key per order");
    let twice: Vec<_> = writes.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "written twice: {twice:?}");
}

#[test]
fn a_failed_event_on_postgres_is_replayed_once_the_app_is_back() {
    let Some((_cluster, url)) = journal("replay") else {
        return;
    };
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("pg-replay");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let serve = serve_on(&dir, &url, &["--retries", "0"]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    let (status, _) = serve.event("/events/Shop/order/new", &order(1), None);
    assert_eq!(status, 202);
    assert_eq!(serve.settle(1)["failed"], 1);
    let listed = weir(&["runs", "--journal", &url, "--failed"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("order_to_contact") && listing.contains("503"),
        "{listing}"
    );
    assert!(!listing.contains(PASSWORD), "{listing}");

    crm.set_down(false);
    // With the server running on the journal, it runs what `weir replay` releases.
    let replay = weir(&["replay", "--journal", &url, "1"], &dir, &[]);
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(
        said.contains("released event 1; the `weir serve` on"),
        "{said}"
    );
    assert!(said.contains("event 1 ran again: done"), "{said}");
    assert_eq!(crm.records("contact").len(), 1);
    let health = serve.health();
    assert_eq!(health["failed"], 0, "{health}");
    assert_eq!(health["done"], 1, "{health}");
}
