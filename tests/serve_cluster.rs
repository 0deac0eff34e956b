//! Two and three `weir serve` on one PostgreSQL journal (a throwaway cluster per test), with
//! no balancer in front: posters spread each record's events over the servers, one is killed
//! with `kill -9` while writes are being sent, and the app (which honours idempotency keys)
//! must have made every record's writes once each, in order. Where PostgreSQL is not
//! installed, each test says it is skipped.

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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rest_app::RestApp;
use serde_json::json;
use serve::{Serve, scratch, text, wait_until};

/// Orders of a real shop, each with its own id, become notes in a real CRM, one a change: a
/// note's name says which order and which change (`o3-v2`).
fn shop_to_notes(app: &str) -> String {
    format!(
        r#"app Shop at "{app}" {{
  order {{ name: text }}
}}

app Crm at "{app}" auth bearer env CRM_TOKEN {{
  note {{ name: text }}
}}

workflow note_each_change {{
  on updated order in Shop
  create note in Crm {{ name: name }}
}}
"#
    )
}

const RECORDS: usize = 12;
const CHANGES: usize = 8;

fn serve_on(dir: &Path, url: &str) -> Serve {
    serve_with(dir, url, &[])
}

/// A server with more arguments than [`serve_on`] gives.
fn serve_with(dir: &Path, url: &str, more: &[&str]) -> Serve {
    Serve::start_on(dir, "shop.weir", url, more)
}

/// Posts change `k` of record `r` to the servers in turn from `first`, until one takes it
/// (a killed server answers nothing); whether one did.
fn post(servers: &[Arc<Serve>], first: usize, r: usize, k: usize) -> bool {
    let record = json!({"id": format!("o-{r}"), "name": format!("o{r}-v{k}")});
    let id = format!("order-{r}-{k}");
    (0..servers.len() * 3).any(|turn| {
        let server = &servers[(first + turn) % servers.len()];
        let (status, _) = server.event("/events/Shop/order/updated", &record, Some(&id));
        status == 202 || status == 200
    })
}

/// `o3-v2` → (3, 2).
fn change(name: &str) -> Option<(usize, usize)> {
    let (r, k) = name.strip_prefix('o')?.split_once("-v")?;
    Some((r.parse().ok()?, k.parse().ok()?))
}

fn several_servers_and_one_killed(count: usize) {
    let Some((_cluster, url)) = postgres::journal_or_skip(&format!("serve-{count}")) else {
        return;
    };
    let app = RestApp::start();
    app.set_slow(Duration::from_millis(20));
    let dir = scratch(&format!("pg-cluster-{count}"));
    std::fs::write(dir.join("shop.weir"), shop_to_notes(&app.url)).unwrap();
    let servers: Vec<Arc<Serve>> = (0..count).map(|_| Arc::new(serve_on(&dir, &url))).collect();
    let victim = servers[0].child.id();
    // One poster per record, each change to the next server: a record's changes go to all.
    let posters: Vec<_> = (0..RECORDS)
        .map(|r| {
            let servers = servers.clone();
            std::thread::spawn(move || (0..CHANGES).all(|k| post(&servers, r + k, r, k)))
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(30), || app.applied().len() >= 10),
        "the servers got going"
    );
    let killed = std::process::Command::new("kill")
        .args(["-9", &victim.to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -9 {victim}");
    for poster in posters {
        assert!(poster.join().expect("a poster"), "a change no server took");
    }
    let total = RECORDS * CHANGES;
    // The killed server's events wait for its leases to run out (10 s).
    let all = wait_until(Duration::from_secs(60), || app.applied().len() >= total);
    let applied = app.applied();
    let mut by_record: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for write in &applied {
        *keys
            .entry(write.key.clone().unwrap_or_default())
            .or_default() += 1;
        let name = write.body["name"].as_str().unwrap_or_default();
        let (r, k) = change(name).unwrap_or_else(|| panic!("a note of no change: {name}"));
        by_record.entry(r).or_default().push(k);
    }
    let twice: Vec<_> = keys.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "keys written twice: {twice:?}");
    let expected: Vec<usize> = (0..CHANGES).collect();
    for r in 0..RECORDS {
        assert_eq!(
            by_record.get(&r),
            Some(&expected),
            "record o-{r}: every change once, in order"
        );
    }
    assert!(all, "{} of {total} writes made", applied.len());
    drop(servers);
}

#[test]
fn two_servers_one_killed_lose_no_write_write_none_twice_and_keep_each_records_order() {
    several_servers_and_one_killed(2);
}

#[test]
fn three_servers_one_killed_lose_no_write_write_none_twice_and_keep_each_records_order() {
    several_servers_and_one_killed(3);
}

/// Orders of a real shop become contacts in a real CRM, and their changes update the contact
/// linked: a record's later events run on other servers than its first.
#[test]
fn a_contact_made_on_one_server_is_updated_by_another() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-linked") else {
        return;
    };
    let app = RestApp::start();
    let dir = scratch("pg-cluster-linked");
    let script = format!(
        r#"app Shop at "{0}" {{
  order {{ name: text }}
}}

app Crm at "{0}" auth bearer env CRM_TOKEN {{
  contact {{ name: text }}
}}

workflow make {{
  on new order in Shop
  create contact in Crm {{ name: name }}
}}

workflow follow {{
  on updated order in Shop
  update contact in Crm linked {{ name: name }}
}}
"#,
        app.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let servers: Vec<Arc<Serve>> = (0..2).map(|_| Arc::new(serve_on(&dir, &url))).collect();
    for r in 0..4 {
        for k in 0..3 {
            let kind = if k == 0 { "new" } else { "updated" };
            let record = json!({"id": format!("o-{r}"), "name": format!("o{r}-v{k}")});
            let id = format!("order-{r}-{k}");
            let (status, reply) = servers[(r + k) % 2].event(
                &format!("/events/Shop/order/{kind}"),
                &record,
                Some(&id),
            );
            assert_eq!(status, 202, "{reply}");
        }
    }
    let done = wait_until(Duration::from_secs(30), || app.applied().len() >= 12);
    let applied = app.applied();
    let methods: Vec<&str> = applied.iter().map(|a| a.method.as_str()).collect();
    assert!(done, "{} of 12 writes made: {methods:?}", applied.len());
    let mut names: Vec<String> = app
        .records("contact")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["o0-v2", "o1-v2", "o2-v2", "o3-v2"],
        "each contact made once, then updated"
    );
}

/// The journal's events by status, once none is queued.
fn settled(url: &str) -> Option<BTreeMap<String, i64>> {
    let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).ok()?;
    let rows = client
        .query("SELECT status, COUNT(*) FROM events GROUP BY status", &[])
        .ok()?;
    let counts: BTreeMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    (!counts.contains_key("queued")).then_some(counts)
}

/// Two servers with `--max-runs 10` take 40 orders between them in one minute: 10 run, on
/// either server, and 30 are held, the budget counted for both together; `/health` on each
/// counts the events of both.
#[test]
fn the_run_budget_holds_for_every_server_together() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-budget") else {
        return;
    };
    // The budget renews each minute on the database's clock: start well inside one.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 60);
    if second > 35 {
        std::thread::sleep(Duration::from_secs(61 - second));
    }
    let app = RestApp::start();
    let dir = scratch("pg-cluster-budget");
    std::fs::write(dir.join("shop.weir"), shop_to_notes(&app.url)).unwrap();
    let budget = ["--max-runs", "10"];
    let servers: Vec<Arc<Serve>> = (0..2)
        .map(|_| Arc::new(serve_with(&dir, &url, &budget)))
        .collect();
    for r in 0..40 {
        assert!(post(&servers, r, r, 0), "order {r} was not taken");
    }
    let mut counts = None;
    wait_until(Duration::from_secs(30), || {
        counts = settled(&url);
        counts.is_some()
    });
    let counts = counts.expect("every event finished");
    assert_eq!(counts.get("done"), Some(&10), "{counts:?}");
    assert_eq!(counts.get("held"), Some(&30), "{counts:?}");
    assert_eq!(app.applied().len(), 10);
    // Each server's `/health` counts the events of both.
    let both = |s: &Serve| {
        let health = s.health();
        (health["done"].as_u64(), health["held"].as_u64()) == (Some(10), Some(30))
    };
    let counted = wait_until(Duration::from_secs(10), || servers.iter().all(|s| both(s)));
    let said: Vec<_> = servers.iter().map(|s| s.health()).collect();
    assert!(counted, "{said:?}");
}

/// A server whose journal can no longer number records stops, saying why, without a panic;
/// the event it could not run stays queued for another server.
#[test]
fn a_server_whose_journal_numbers_no_record_stops_and_says_why() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-unnumbered") else {
        return;
    };
    let app = RestApp::start();
    let dir = scratch("pg-cluster-unnumbered");
    std::fs::write(dir.join("shop.weir"), shop_to_notes(&app.url)).unwrap();
    let mut server = serve_on(&dir, &url);
    let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    client
        .batch_execute("ALTER TABLE local_numbers RENAME TO local_numbers_gone")
        .unwrap();
    let record = json!({"id": "o-1", "name": "o1-v1"});
    let (status, reply) = server.event("/events/Shop/order/updated", &record, Some("o-1"));
    assert_eq!(status, 202, "{reply}");
    let ended = wait_until(Duration::from_secs(30), || {
        matches!(server.child.try_wait(), Ok(Some(_)))
    });
    let out = server.terminate();
    let stderr = text(&out.stderr);
    assert!(ended, "the server went on: {stderr}");
    assert!(!out.status.success());
    assert!(
        stderr.contains("error: the worker of `weir serve` stopped: the journal")
            && stderr.contains("gave no number to a record of Shop/order")
            && stderr.contains("its events go to the other servers"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let queued: i64 = client
        .query_one("SELECT COUNT(*) FROM events WHERE status = 'queued'", &[])
        .unwrap()
        .get(0);
    assert_eq!(queued, 1);
    assert!(app.applied().is_empty());
}

/// Two real apps whose webhooks go to different servers, and workflows that copy notes both
/// ways: each echo of one server's write reaches the other server, which knows it from the
/// shared write ledger, so the run-time guard holds the chain after four hops as one server
/// would.
#[test]
fn a_loop_through_two_servers_is_held_by_the_guard() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-loop") else {
        return;
    };
    let (a, b) = (RestApp::start(), RestApp::start());
    let dir = scratch("pg-cluster-loop");
    let script = rest_app::notes_both_ways(&a.url, &b.url);
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let guarded = ["--no-check", "--max-hops", "4"];
    let servers: Vec<Serve> = (0..2).map(|_| serve_with(&dir, &url, &guarded)).collect();
    for (app, name, server) in [(&a, "Notes", &servers[0]), (&b, "Board", &servers[1])] {
        app.hook_to(rest_app::Hook {
            weir: server.url.clone(),
            app: name.into(),
            secret: serve::SECRET.into(),
        });
    }
    a.user_creates("note", json!({"text": "hello"}));
    let held = wait_until(Duration::from_secs(20), || {
        settled(&url).is_some_and(|c| c.get("held") == Some(&1))
    });
    assert!(held, "{:?}", settled(&url));
    let counted = (a.records("note").len(), b.records("note").len());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(counted, (a.records("note").len(), b.records("note").len()));
    assert_eq!(
        counted,
        (3, 2),
        "four hops: Notes → Board → Notes → Board → Notes"
    );
}

/// The database restarts under two servers, every connection to it lost: the servers connect
/// again, take events again, and every record's writes are made once each, in order.
#[test]
fn two_servers_go_on_after_the_database_restarts() {
    let Some((cluster, url)) = postgres::journal_or_skip("serve-restart") else {
        return;
    };
    let app = RestApp::start();
    let dir = scratch("pg-cluster-restart");
    std::fs::write(dir.join("shop.weir"), shop_to_notes(&app.url)).unwrap();
    let servers: Vec<Arc<Serve>> = (0..2).map(|_| Arc::new(serve_on(&dir, &url))).collect();
    let records = 4;
    let mut changes = 0;
    let mut post_round = |servers: &[Arc<Serve>]| {
        let k = changes;
        changes += 1;
        (0..records).all(|r| wait_until(Duration::from_secs(20), || post(servers, r, r, k)))
    };
    assert!(post_round(&servers) && post_round(&servers));
    assert!(wait_until(Duration::from_secs(20), || app.applied().len()
        >= 2 * records));
    cluster.restart().expect("the database restarted");
    assert!(
        post_round(&servers) && post_round(&servers),
        "no server took the changes"
    );
    // The servers hold their share of the serving lock again, which `weir replay` looks at.
    let serving = wait_until(Duration::from_secs(20), || {
        weir::serve::db::postgres::open(&url)
            .is_ok_and(|db| weir::serve::db::postgres::someone_serving(&db).unwrap_or(false))
    });
    assert!(
        serving,
        "no server holds the serving lock after the restart"
    );
    let all = wait_until(Duration::from_secs(30), || {
        app.applied().len() >= 4 * records
    });
    let mut by_record: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for write in app.applied() {
        let name = write.body["name"].as_str().unwrap_or_default();
        let (r, k) = change(name).unwrap_or_else(|| panic!("a note of no change: {name}"));
        by_record.entry(r).or_default().push(k);
    }
    assert!(all, "{by_record:?}");
    for r in 0..records {
        assert_eq!(by_record.get(&r), Some(&vec![0, 1, 2, 3]), "record o-{r}");
    }
}

/// Orders of one customer reach two servers at once, and a workflow makes a note at most once
/// an hour per customer, another at most one reminder step: each window is opened once for
/// both servers, so each customer gets one note and one reminder.
#[test]
fn a_rate_limit_holds_for_every_server_together() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-limits") else {
        return;
    };
    let app = RestApp::start();
    let dir = scratch("pg-cluster-limits");
    let script = format!(
        r#"app Shop at "{0}" {{
  order {{ name: text }}
}}

app Crm at "{0}" auth bearer env CRM_TOKEN {{
  note {{ name: text }}
}}

workflow first_of_each {{
  on new order in Shop at most once per 1h per name
  create note in Crm {{ name: name }}
}}

workflow remind {{
  on new order in Shop
  create note in Crm {{ name: "reminder" }} at most once per 1h per name
}}
"#,
        app.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let servers: Vec<Arc<Serve>> = (0..2).map(|_| Arc::new(serve_on(&dir, &url))).collect();
    let posters: Vec<_> = (0..24)
        .map(|i| {
            let server = Arc::clone(&servers[i % 2]);
            std::thread::spawn(move || {
                let record = json!({"id": format!("o-{i}"), "name": format!("c{}", i % 3)});
                let id = format!("order-{i}");
                server.event("/events/Shop/order/new", &record, Some(&id)).0
            })
        })
        .collect();
    for poster in posters {
        assert_eq!(poster.join().expect("a poster"), 202);
    }
    let done = wait_until(Duration::from_secs(30), || {
        settled(&url).is_some_and(|c| c.get("done") == Some(&24))
    });
    assert!(done, "{:?}", settled(&url));
    let mut names: Vec<String> = app
        .records("note")
        .iter()
        .map(|n| n["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["c0", "c1", "c2", "reminder", "reminder", "reminder"],
        "one note and one reminder per customer"
    );
}

/// A ticket synced between two real apps whose webhooks reach different servers: the pair one
/// server made is known to the other, so a rename on either side updates the other side's
/// ticket, and neither app gets a second ticket.
#[test]
fn a_sync_pair_made_on_one_server_is_kept_by_the_other() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-sync") else {
        return;
    };
    let (helpdesk, tracker) = (RestApp::start(), RestApp::start());
    let dir = scratch("pg-cluster-sync");
    let script = format!(
        r#"app Helpdesk at "{}" {{ ticket {{ title: text }} }}
app Tracker at "{}" {{ ticket {{ title: text }} }}

sync ticket between Helpdesk and Tracker as tickets {{
  title <-> title
}}
"#,
        helpdesk.url, tracker.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let servers: Vec<Serve> = (0..2).map(|_| serve_on(&dir, &url)).collect();
    for (app, name, server) in [
        (&helpdesk, "Helpdesk", &servers[0]),
        (&tracker, "Tracker", &servers[1]),
    ] {
        app.hook_to(rest_app::Hook {
            weir: server.url.clone(),
            app: name.into(),
            secret: serve::SECRET.into(),
        });
    }
    let titles = |app: &RestApp| -> Vec<String> {
        let tickets = app.records("ticket");
        tickets
            .iter()
            .map(|t| t["title"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let both = |title: &str| {
        wait_until(Duration::from_secs(20), || {
            settled(&url).is_some() && titles(&helpdesk) == [title] && titles(&tracker) == [title]
        })
    };
    let id = helpdesk.user_creates("ticket", json!({"title": "printer"}));
    assert!(
        both("printer"),
        "{:?} {:?}",
        titles(&helpdesk),
        titles(&tracker)
    );
    let rename = |app: &RestApp, id: &str, title: &str| {
        let renamed = rest_app::client()
            .patch(format!("{}/ticket/{id}", app.url))
            .header("content-type", "application/json")
            .body(json!({ "title": title }).to_string())
            .send()
            .expect("the app answers");
        assert!(renamed.status().is_success());
    };
    let tracked = tracker.records("ticket")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    rename(&tracker, &tracked, "printer jam");
    assert!(
        both("printer jam"),
        "{:?} {:?}",
        titles(&helpdesk),
        titles(&tracker)
    );
    rename(&helpdesk, &id, "printer fixed");
    assert!(
        both("printer fixed"),
        "{:?} {:?}",
        titles(&helpdesk),
        titles(&tracker)
    );
    let counts = settled(&url).unwrap_or_default();
    assert_eq!(counts.get("failed"), None, "{counts:?}");
}

/// The journal cannot grant runs for a while (its budget's table is away): the events are not
/// held for it, but run again until it can, then once each.
#[test]
fn events_the_journal_cannot_grant_runs_for_run_once_it_can() {
    let Some((_cluster, url)) = postgres::journal_or_skip("serve-ungranted") else {
        return;
    };
    let app = RestApp::start();
    let dir = scratch("pg-cluster-ungranted");
    std::fs::write(dir.join("shop.weir"), shop_to_notes(&app.url)).unwrap();
    let server = serve_on(&dir, &url);
    let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    client
        .batch_execute("ALTER TABLE run_budget RENAME TO run_budget_away")
        .unwrap();
    let servers = [Arc::new(server)];
    for r in 0..3 {
        assert!(post(&servers, 0, r, 0), "order {r} was not taken");
    }
    let failed = wait_until(Duration::from_secs(20), || {
        servers[0]
            .complained()
            .contains("cannot ask the journal for runs or windows")
    });
    assert!(failed, "{}", servers[0].complained());
    let held: i64 = client
        .query_one("SELECT COUNT(*) FROM events WHERE status <> 'queued'", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        held, 0,
        "no event is held or finished without its runs granted"
    );
    client
        .batch_execute("ALTER TABLE run_budget_away RENAME TO run_budget")
        .unwrap();
    let done = wait_until(Duration::from_secs(20), || {
        settled(&url).is_some_and(|c| c.get("done") == Some(&3))
    });
    assert!(done, "{:?}", settled(&url));
    assert_eq!(app.applied().len(), 3);
}
