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
    // The cluster trusts loopback, so a password in the URL is only there to be hidden.
    let (cluster, url) = postgres::journal_or_skip(name)?;
    let url = url.replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{PASSWORD}@"),
        1,
    );
    Some((cluster, url))
}

const PASSWORD: &str = "hunter2-not-shown";

/// `weir serve` on the journal at `url`, with `extra`.
fn serve_on(dir: &Path, url: &str, extra: &[&str]) -> Result<Serve, std::process::Output> {
    Serve::launch(dir, &Serve::args("shop.weir", url, extra), &[])
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
    // Its shop is simulated: on a journal other servers may share, that is said.
    assert!(
        text(&said.stderr).contains("warning: `Shop` is simulated in this server's memory"),
        "{}",
        text(&said.stderr)
    );
}

#[test]
fn the_listening_line_names_the_journal_without_its_password() {
    let Some((_cluster, url)) = journal("named") else {
        return;
    };
    let crm = RestApp::start();
    let dir = scratch("pg-named");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args([
            "serve",
            "shop.weir",
            "--listen",
            "127.0.0.1:0",
            "--journal",
            &url,
        ])
        .current_dir(&*dir)
        .env("CRM_TOKEN", "tk")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("weir serve starts");
    let mut first = String::new();
    let read = std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(read.is_ok(), "the first line reads");
    // Shown with the name the server gives its connections, among the servers on it.
    assert!(
        first.contains(&format!("journal {}?application_name=weir-", shown(&url))),
        "{first}"
    );
    assert!(!first.contains(PASSWORD), "{first}");

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
    // The server counts the event once its sender has recorded the write, just after the
    // journal says it is done.
    let mut health = serve.health();
    wait_until(Duration::from_secs(5), || {
        health = serve.health();
        health["done"] == 1
    });
    assert_eq!(health["failed"], 0, "{health}");
    assert_eq!(health["done"], 1, "{health}");

    // With no server on the journal, `weir replay` runs the event itself.
    crm.set_down(true);
    assert_eq!(
        serve.event("/events/Shop/order/new", &order(2), None).0,
        202
    );
    assert_eq!(serve.settle(2)["failed"], 1);
    drop(serve);
    crm.set_down(false);
    let replay = weir(
        &["replay", "--journal", &url, "2"],
        &dir,
        &[("CRM_TOKEN", "tk")],
    );
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(!said.contains("released event"), "{said}");
    assert!(said.contains("event 2 ran again: done"), "{said}");
    assert_eq!(crm.records("contact").len(), 2);
}

/// A SQLite journal with events in every status (failed and done by a server, held and queued
/// written in as a guard and a stop leave them), copied into PostgreSQL: `weir runs` reads the
/// same from both, a second copy is refused, and a server on the copy goes on from it.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one story: a journal made, copied, listed from both, and served on"
)]
fn a_sqlite_journal_migrated_to_postgres_lists_the_same_runs() {
    let Some((_cluster, url)) = journal("migrate") else {
        return;
    };
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("pg-migrate");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let serve = serve_on(&dir, "weir.db", &["--retries", "0"]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    assert_eq!(
        serve.event("/events/Shop/order/new", &order(1), None).0,
        202
    );
    assert_eq!(serve.settle(1)["failed"], 1);
    crm.set_down(false);
    for i in 2..4 {
        assert_eq!(
            serve.event("/events/Shop/order/new", &order(i), None).0,
            202
        );
    }
    assert_eq!(serve.settle(3)["done"], 2);
    assert!(serve.terminate().status.success());
    {
        let db = rusqlite::Connection::open(dir.join("weir.db")).unwrap();
        db.execute_batch(
            "INSERT INTO events (id, app, entity, kind, record, actor, received, status,
               run_base, message, finished)
             VALUES (4, 'Shop', 'order', 'new', '{\"customer\": \"c4\", \"email\": \"c4@example.com\"}',
               'user', 1, 'held', 40, 'held by the guard', 2);
             INSERT INTO runs (event, seq, run, by, status, message)
             VALUES (4, 0, 40, 'order_to_contact', 'held', 'the chain came back');
             INSERT INTO held (event, json) VALUES (4, '{}');
             INSERT INTO events (id, app, entity, kind, record, actor, received)
             VALUES (5, 'Shop', 'order', 'new', '{\"customer\": \"c5\", \"email\": \"c5@example.com\"}',
               'user', 3);",
        )
        .unwrap();
    }

    let migrated = weir(
        &["journal", "migrate", "--from", "weir.db", "--to", &url],
        &dir,
        &[],
    );
    let said = text(&migrated.stdout);
    assert!(
        migrated.status.success(),
        "{said}{}",
        text(&migrated.stderr)
    );
    assert!(said.contains("  events: 5\n"), "{said}");
    assert!(said.contains("  runs: 4\n"), "{said}");
    assert!(said.contains("  held: 1\n"), "{said}");
    assert!(!said.contains(PASSWORD), "{said}");
    for filter in [&[][..], &["--failed"], &["--held"], &["--json"]] {
        let runs = |journal: &str| {
            let mut args = vec!["runs", "--journal", journal];
            args.extend_from_slice(filter);
            let out = weir(&args, &dir, &[]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            text(&out.stdout)
        };
        let from_sqlite = runs("weir.db");
        let from_postgres = runs(&url).replace(&shown(&url), "weir.db");
        assert_eq!(from_sqlite, from_postgres, "weir runs {filter:?}");
    }
    let listed = weir(&["runs", "--journal", &url], &dir, &[]);
    assert!(
        text(&listed.stdout).contains("events: 1 queued, 2 done, 1 failed, 1 held"),
        "{}",
        text(&listed.stdout)
    );

    let again = weir(
        &["journal", "migrate", "--from", "weir.db", "--to", &url],
        &dir,
        &[],
    );
    let refused = text(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{refused}");
    assert!(
        refused.contains("it is not empty (the table `") && refused.contains("has rows)"),
        "{refused}"
    );

    // A server on the copy runs the queued event, and numbers new ones after the copied.
    let serve = serve_on(&dir, &url, &[]).unwrap_or_else(|out| {
        panic!(
            "weir serve did not start on the copy: {}",
            text(&out.stderr)
        );
    });
    assert_eq!(
        serve.event("/events/Shop/order/new", &order(6), None).0,
        202
    );
    let health = serve.settle(6);
    assert_eq!(health["done"], 4, "{health}");
    drop(serve);
    let listed = text(&weir(&["runs", "--journal", &url, "--json"], &dir, &[]).stdout);
    assert!(listed.contains("\"event\":6"), "{listed}");
}

/// The journal's URL as weir shows it: without its password.
fn shown(url: &str) -> String {
    url.replace(PASSWORD, "***")
}

/// A write refused after its run raises a failed run, a step's rate-limit window and a
/// schedule's last time are kept: on PostgreSQL as on SQLite, and across a restart.
fn shop_crm_desk(crm: &str, desk: &str) -> String {
    format!(
        r#"app Shop {{
  order {{ customer: text, email: text }}
}}

app Crm at "{crm}" auth bearer env CRM_TOKEN {{
  contact {{ name: text, email: text }}
}}

app Desk at "{desk}" auth bearer env CRM_TOKEN {{
  ticket {{ title: text }}
  page {{ title: text }}
  beat {{ due: time }}
}}

workflow order_to_contact {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
}}

workflow ticket_on_failure {{
  on failed run of order_to_contact
  create ticket in Desk {{ title: "{{error.workflow}} failed for {{customer}}" }}
}}

workflow greet {{
  on new order in Shop
  create page in Desk {{ title: customer }} at most once per 1h per email
}}

workflow heartbeat {{
  on every 1s
  create beat in Desk {{ due: now() }}
}}
"#
    )
}

#[test]
fn failed_runs_rate_windows_and_schedules_are_kept_on_postgres() {
    let Some((_cluster, url)) = journal("kept") else {
        return;
    };
    let (crm, desk) = (RestApp::start(), RestApp::start());
    crm.fail_next([Fault::Status(422, "email is not valid")]);
    let dir = scratch("pg-kept");
    std::fs::write(dir.join("shop.weir"), shop_crm_desk(&crm.url, &desk.url)).unwrap();
    let serve = serve_on(&dir, &url, &["--retries", "0"]).unwrap_or_else(|out| {
        panic!("weir serve did not start: {}", text(&out.stderr));
    });
    let zed = json!({"customer": "Zed", "email": "not an email"});
    assert_eq!(serve.event("/events/Shop/order/new", &zed, None).0, 202);
    assert!(
        wait_until(Duration::from_secs(30), || desk.records("ticket").len()
            == 1),
        "the failed run opened a ticket: {:?}",
        desk.records("ticket")
    );
    assert_eq!(
        desk.records("ticket")[0]["title"],
        "order_to_contact failed for Zed"
    );
    for name in ["Ada", "Ada again"] {
        let order = json!({"customer": name, "email": "ada@example.com"});
        assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    }
    assert!(
        wait_until(Duration::from_secs(30), || crm.records("contact").len()
            == 2),
        "the orders ran"
    );
    assert!(
        wait_until(Duration::from_secs(10), || desk.records("beat").len() >= 2),
        "the schedule fired"
    );
    let out = serve.terminate();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(pages(&desk), ["Ada"], "the window skipped the second");

    let serve = serve_on(&dir, &url, &["--retries", "0"]).unwrap_or_else(|out| {
        panic!("weir serve did not start again: {}", text(&out.stderr));
    });
    let third = json!({"customer": "Ada once more", "email": "ada@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &third, None).0, 202);
    let bo = json!({"customer": "Bo", "email": "bo@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &bo, None).0, 202);
    assert!(
        wait_until(Duration::from_secs(30), || crm.records("contact").len()
            == 4),
        "the orders after the restart ran"
    );
    assert!(
        wait_until(Duration::from_secs(10), || pages(&desk).len() == 2),
        "Bo has a window of his own: {:?}",
        pages(&desk)
    );
    drop(serve);
    assert_eq!(pages(&desk), ["Ada", "Bo"], "a restart keeps Ada's window");
    assert_eq!(
        desk.records("ticket").len(),
        1,
        "the failed run is raised once"
    );
}

/// The pages greeting customers, but Zed's: an event whose write failed may or may not send
/// its other writes.
fn pages(desk: &RestApp) -> Vec<String> {
    desk.records("page")
        .iter()
        .filter_map(|p| p["title"].as_str())
        .filter(|t| *t != "Zed")
        .map(str::to_string)
        .collect()
}

/// `weir runs` with `--journal` and more variables in its environment, and without those
/// that say where trusted certificates are.
fn weir_trusting(args: &[&str], dir: &Path, ca: Option<&Path>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .stdin(std::process::Stdio::null());
    if let Some(ca) = ca {
        command.env("SSL_CERT_FILE", ca);
    }
    command.output().expect("weir runs")
}

/// `sslmode=require`: weir speaks TLS (rustls) and checks the server's certificate against
/// the authorities it trusts, `SSL_CERT_FILE` among them; an unknown authority is refused.
#[test]
fn a_journal_over_tls_is_reached_only_with_a_trusted_certificate() {
    let cluster = match postgres::Cluster::start_tls("tls") {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    cluster.create_database("journal").expect("a database");
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/journal?sslmode=require",
        cluster.port()
    );
    let dir = scratch("pg-tls");
    let trusted = weir_trusting(&["runs", "--journal", &url], &dir, Some(&cluster.ca()));
    assert!(
        trusted.status.success(),
        "{}{}",
        text(&trusted.stdout),
        text(&trusted.stderr)
    );
    assert!(
        text(&trusted.stdout).contains("no runs in"),
        "{}",
        text(&trusted.stdout)
    );
    let unknown = weir_trusting(&["runs", "--journal", &url], &dir, None);
    let said = text(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2), "{said}");
    assert!(
        said.contains("certificate") && said.contains("`SSL_CERT_FILE`"),
        "{said}"
    );
    // A server's every connection (its claims, its leases, its grants) goes by TLS too.
    let crm = RestApp::start();
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let ca = cluster.ca().display().to_string();
    let args = Serve::args("shop.weir", &url, &[]);
    let serve = Serve::launch(&dir, &args, &[("SSL_CERT_FILE", &ca)])
        .unwrap_or_else(|out| panic!("weir serve did not start: {}", text(&out.stderr)));
    let (status, reply) = serve.event("/events/Shop/order/new", &order(1), Some("order-1"));
    assert_eq!(status, 202, "{reply}");
    let health = serve.settle(1);
    assert_eq!(health["done"], 1, "{health}");
    assert_eq!(crm.records("contact").len(), 1);
}
