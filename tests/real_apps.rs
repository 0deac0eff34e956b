//! Real apps over HTTP and `weir serve`, against real servers on 127.0.0.1: a small REST app
//! started by the tests ([`rest_app`]) and the real `weir serve` process. Ports are chosen by
//! the system, every wait is bounded, and every process is ended by the test that started it.

#[path = "real_apps/rest_app.rs"]
mod rest_app;
#[path = "real_apps/serve.rs"]
mod serve;

#[path = "connectors/mock.rs"]
#[expect(
    dead_code,
    reason = "the connector tests use the rest: forms, queries, headers"
)]
mod mock;

#[path = "real_apps/conflicts.rs"]
mod conflicts;
#[path = "real_apps/connectors.rs"]
mod connectors;
#[path = "real_apps/crash.rs"]
mod crash;
#[path = "real_apps/every.rs"]
mod every;
#[path = "real_apps/failures.rs"]
mod failures;
#[path = "real_apps/reads.rs"]
mod reads;
#[path = "real_apps/records.rs"]
mod records;
#[path = "real_apps/scale.rs"]
mod scale;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use rest_app::{Fault, Hook, RestApp, client, signed};
use serde_json::{Value as Json, json};
use serve::{SECRET, Serve, scratch, text, wait_until, weir};

/// `weir run shop.weir --events orders.jsonl --trace summary`, with more arguments and variables.
fn run_orders(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "run",
        "shop.weir",
        "--events",
        "orders.jsonl",
        "--trace",
        "summary",
    ];
    args.extend_from_slice(extra);
    weir(&args, dir, env)
}

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

workflow rename {{
  on updated order in Shop
  update contact in Crm where email == trigger.email {{ name: upper(customer) }}
}}
"#
    )
}

fn order_line(customer: &str) -> String {
    json!({
        "kind": "new", "app": "Shop", "entity": "order",
        "record": { "customer": customer, "email": format!("{customer}@example.com") },
        "actor": "user"
    })
    .to_string()
}

#[test]
fn retries_503_429_slow_and_dropped_then_writes_once() {
    let crm = RestApp::start();
    crm.fail_next([
        Fault::Status(503, "busy"),
        Fault::TooMany(1),
        Fault::Drop,
        Fault::Slow(Duration::from_millis(1500)),
    ]);
    let dir = scratch("retries");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    std::fs::write(dir.join("orders.jsonl"), order_line("ada") + "\n").unwrap();
    let started = Instant::now();
    let out = run_orders(
        &dir,
        &[
            "--http-timeout",
            "0.5",
            "--backoff-ms",
            "10",
            "--retries",
            "5",
        ],
        &[("CRM_TOKEN", "tk-1")],
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // The 429 asked for a second; the other waits are short.
    assert!(started.elapsed() >= Duration::from_secs(1));
    let contacts = crm.records("contact");
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0]["name"], "ADA");
    assert_eq!(contacts[0]["origin"], "weir");
    let posts: Vec<_> = crm
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert!(posts.len() >= 5, "{posts:?}");
    let key = posts[0].key.clone().expect("an idempotency key");
    assert!(key.ends_with("-1/1"), "{key}");
    for p in &posts {
        assert_eq!(
            p.key.as_deref(),
            Some(key.as_str()),
            "the same key on every try"
        );
        assert_eq!(p.origin.as_deref(), Some("weir"));
        assert_eq!(p.auth.as_deref(), Some("Bearer tk-1"));
    }
}

#[test]
fn other_4xx_fail_at_once_with_the_apps_message() {
    let crm = RestApp::start();
    crm.fail_next([Fault::Status(422, "email is not valid")]);
    let dir = scratch("4xx");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    std::fs::write(dir.join("orders.jsonl"), order_line("bob") + "\n").unwrap();
    let out = run_orders(&dir, &[], &[("CRM_TOKEN", "tk")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[R0302]"), "{stderr}");
    assert!(
        stderr.contains("answered 422 Unprocessable Entity: email is not valid"),
        "{stderr}"
    );
    assert_eq!(crm.seen().len(), 1, "no retry after a 4xx");
    assert!(crm.records("contact").is_empty());
}

#[test]
fn a_missing_token_stops_before_anything_is_sent() {
    let crm = RestApp::start();
    let dir = scratch("token");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    std::fs::write(dir.join("orders.jsonl"), order_line("cy") + "\n").unwrap();
    let out = weir(&["run", "shop.weir", "--events", "orders.jsonl"], &dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error[R0304]: `Crm` authenticates with the environment variable `CRM_TOKEN`, which is not set"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: set it to the app's token"),
        "{stderr}"
    );
    assert!(crm.seen().is_empty());
}

#[test]
fn lookups_ask_the_app_with_equalities() {
    let crm = RestApp::start();
    let dir = scratch("lookup");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let lines = [
        order_line("dee"),
        json!({"kind": "updated", "app": "Shop", "entity": "order",
               "record": {"id": 1, "customer": "deedee", "email": "dee@example.com"},
               "actor": "user"})
        .to_string(),
    ];
    std::fs::write(dir.join("orders.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = run_orders(&dir, &[], &[("CRM_TOKEN", "tk")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = crm.seen();
    assert!(
        seen.iter()
            .any(|s| s.method == "GET" && s.path == "/contact?email=dee%40example.com"),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.method == "PATCH" && s.path == "/contact/r1")
    );
    assert_eq!(crm.records("contact")[0]["name"], "DEEDEE");
}

#[test]
fn test_simulates_real_apps_and_says_so() {
    let dir = scratch("test");
    let script = shop_to_crm("http://127.0.0.1:9")
        + r#"
scenario "an order makes a contact" {
  user creates order in Shop { customer: "eve", email: "eve@example.com" }
  expect 1 contact in Crm where name == "EVE"
}
"#;
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let out = weir(&["test", "shop.weir"], &dir, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(
        "`weir test` simulates every app, so `Crm` declared `at \"url\"` is not contacted"
    ));
}

/// A request that must be refused: status, path, body, headers, and what the error says.
type Case<'a> = (u16, &'a str, String, Vec<(&'static str, String)>, &'a str);

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one server, every way a request is refused, as a table of cases"
)]
fn bad_and_unsigned_requests_are_refused_with_json() {
    let dir = scratch("refused");
    std::fs::write(dir.join("shop.weir"), shop_to_crm("http://127.0.0.1:9")).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let good = json!({"customer": "ada", "email": "a@example.com"}).to_string();
    let cases: Vec<Case> = vec![
        (
            401,
            "/events/Shop/order/new",
            good.clone(),
            vec![],
            "no `X-Weir-Signature`",
        ),
        (
            401,
            "/events/Shop/order/new",
            good.clone(),
            signed("wrong", "/events/Shop/order/new", good.as_bytes(), &[]),
            "does not match",
        ),
        (
            401,
            "/events/Shop/order/new",
            good.clone(),
            vec![("X-Weir-Signature", "v1=zz".into())],
            "64 hex digits",
        ),
        (
            413,
            "/events/Shop/order/new",
            "x".repeat(1_100_000),
            vec![],
            "larger than",
        ),
        (
            404,
            "/events/Shop/ordr/new",
            good.clone(),
            vec![],
            "did you mean",
        ),
        (404, "/nowhere", good.clone(), vec![], "no route"),
        (
            422,
            "/events/Shop/order/new",
            "{\"customer\": ".into(),
            vec![],
            "not a record in JSON",
        ),
        (
            422,
            "/events/Shop/order/new",
            json!({"customer": 7, "email": "x"}).to_string(),
            vec![],
            "`customer` is a text field",
        ),
        (
            422,
            "/events/Shop/order/new",
            json!({"customer": "x"}).to_string(),
            vec![],
            "needs `email`",
        ),
        (
            422,
            "/events/Crm/contact/updated",
            json!({"name": "x", "email": "y"}).to_string(),
            vec![],
            "an `updated` event of `Crm` names its record by the app's id",
        ),
    ];
    for (status, path, body, mut headers, says) in cases {
        if status != 401 && status != 413 {
            headers = signed(SECRET, path, body.as_bytes(), &headers);
        }
        let (got, reply) = serve.post(path, &body, &headers);
        assert_eq!(got, status, "{path}: {reply}");
        let said = format!("{} {}", reply["error"], reply["help"]);
        assert!(said.contains(says), "{path}: {reply}");
        assert!(
            reply["help"].as_str().is_some_and(|h| !h.is_empty()),
            "{reply}"
        );
    }
    let health = serve.health();
    assert_eq!(
        (health["queued"].as_u64(), health["done"].as_u64()),
        (Some(0), Some(0))
    );
    let out = serve.terminate();
    assert!(out.status.success(), "SIGTERM stops weir serve cleanly");
    assert!(text(&out.stdout).contains("stopped"));
}

#[test]
fn an_event_id_is_accepted_once() {
    let crm = RestApp::start();
    let dir = scratch("dedup");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &[]);
    let order = json!({"customer": "fay", "email": "fay@example.com"});
    let first = serve.event("/events/Shop/order/new", &order, Some("shop-1"));
    let again = serve.event("/events/Shop/order/new", &order, Some("shop-1"));
    assert_eq!(first.0, 202, "{first:?}");
    assert_eq!(again.0, 200, "{again:?}");
    assert_eq!(again.1["status"], "duplicate");
    assert_eq!(first.1["event"], again.1["event"]);
    // A real app's `new` event may leave out its id; an update may not (see above).
    let contact = json!({"name": "GUS", "email": "gus@example.com"});
    assert_eq!(
        serve.event("/events/Crm/contact/new", &contact, None).0,
        202
    );
    let health = serve.settle(2);
    assert_eq!(health["done"], 2, "{health}");
    assert_eq!(crm.records("contact").len(), 1);
}

#[test]
fn a_dead_event_runs_again_with_replay_once_the_app_is_back() {
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("dead");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "2"]);
    let order = json!({"customer": "gus", "email": "gus@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    let health = serve.settle(1);
    assert_eq!(health["failed"], 1, "{health}");
    let listed = weir(&["runs", "--journal", "weir.db", "--failed"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("order_to_contact")
            && listing.contains("answered 503 Service Unavailable (tried 3 times)"),
        "{listing}"
    );
    assert!(
        listing.contains("weir replay --journal weir.db EVENT"),
        "{listing}"
    );
    let tries = crm.seen().len();
    assert_eq!(tries, 3);

    crm.set_down(false);
    let replay = weir(&["replay", "--journal", "weir.db", "1"], &dir, &[]);
    assert!(
        replay.status.success(),
        "{}{}",
        text(&replay.stdout),
        text(&replay.stderr)
    );
    assert!(
        text(&replay.stdout).contains("event 1 ran again: done"),
        "{}",
        text(&replay.stdout)
    );
    assert_eq!(crm.records("contact").len(), 1);
    // The replay sent the write with the key of the first tries.
    let keys: Vec<_> = crm.seen().into_iter().filter_map(|s| s.key).collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    let again = weir(&["replay", "--journal", "weir.db", "1"], &dir, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("event 1 is done; only failed and held events are replayed")
    );
    drop(serve);

    // Without a server on the journal, `weir replay` runs the events itself.
    crm.set_down(true);
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "0"]);
    for name in ["hal", "ivy"] {
        let order = json!({"customer": name, "email": format!("{name}@example.com")});
        assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    }
    assert_eq!(serve.settle(3)["failed"], 2);
    drop(serve);
    crm.set_down(false);
    let replay = weir(
        &["replay", "--journal", "weir.db", "--failed"],
        &dir,
        &[("CRM_TOKEN", "tk")],
    );
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(
        said.contains("event 2 ran again: done") && said.contains("event 3 ran again: done"),
        "{said}"
    );
    assert_eq!(crm.records("contact").len(), 3);
    let none = weir(&["replay", "--journal", "weir.db", "--failed"], &dir, &[]);
    assert!(text(&none.stdout).contains("has no failed events"));
}

/// Two real apps whose webhooks call weir back, and workflows that copy notes both ways: a
/// loop the checker sees (so `--no-check`), and that only the write ledger lets the run-time
/// guard see at run time, since every webhook arrives as a new request.
#[test]
fn a_loop_through_real_apps_is_held_by_the_guard() {
    let (a, b) = (RestApp::start(), RestApp::start());
    let dir = scratch("loop");
    let script = rest_app::notes_both_ways(&a.url, &b.url);
    std::fs::write(dir.join("loop.weir"), script).unwrap();
    let serve = Serve::start(&dir, "loop.weir", &["--no-check", "--max-hops", "4"]);
    for (app, name) in [(&a, "Notes"), (&b, "Board")] {
        app.hook_to(Hook {
            weir: serve.url.clone(),
            app: name.into(),
            secret: SECRET.into(),
        });
    }
    a.user_creates("note", json!({"text": "hello"}));
    let held = wait_until(Duration::from_secs(20), || serve.health()["held"] == 1);
    assert!(held, "{}", serve.health());
    // The chain stops: no more notes appear.
    let counted = (a.records("note").len(), b.records("note").len());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(counted, (a.records("note").len(), b.records("note").len()));
    assert_eq!(
        counted,
        (3, 2),
        "four hops: Notes → Board → Notes → Board → Notes"
    );
    let listed = weir(&["runs", "--journal", "weir.db", "--held"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("the run-time guard held a chain after 4 hops, before `to_board` ran on Notes/note/3")
            && listing.contains("trace: a user creates a note in Notes → to_board creates one in Board → to_notes creates one in Notes → to_board …"),
        "{listing}"
    );
    // Released, the held workflow runs as a new chain; its echoes come back as new events,
    // and the guard holds that chain again, four hops on.
    let json = weir(
        &["runs", "--journal", "weir.db", "--held", "--json"],
        &dir,
        &[],
    );
    let first: Json = serde_json::from_str(text(&json.stdout).lines().next().unwrap()).unwrap();
    let event = first["event"].to_string();
    let replay = weir(&["replay", "--journal", "weir.db", &event], &dir, &[]);
    assert!(replay.status.success(), "{}", text(&replay.stdout));
    assert!(text(&replay.stdout).contains(&format!("event {event} ran again: done")));
    assert!(wait_until(Duration::from_secs(10), || {
        serve.health()["held"] == 1 && (a.records("note").len(), b.records("note").len()) == (5, 4)
    }));
}

/// `kill -9` in the middle of a stream of signed events: after a restart, every event that was
/// answered 202 reaches the app exactly once.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one story: a server killed mid-stream, restarted, and the app's records counted"
)]
fn kill_9_in_the_middle_loses_nothing_and_repeats_nothing() {
    let crm = RestApp::start();
    let dir = scratch("crash");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    // Each create takes a while, so that the kill lands while the worker is busy.
    crm.fail_next((0..40).map(|_| Fault::Slow(Duration::from_millis(15))));
    let mut serve = Serve::start(&dir, "shop.weir", &[]);
    let total = 300;
    let order =
        |i: usize| json!({"customer": format!("c{i}"), "email": format!("c{i}@example.com")});
    let accepted = std::sync::Arc::new(std::sync::Mutex::new(vec![false; total]));
    let url = serve.url.clone();
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let (accepted, url) = (std::sync::Arc::clone(&accepted), url.clone());
            std::thread::spawn(move || {
                let client = client();
                for i in (t..total).step_by(4) {
                    let body = order(i).to_string();
                    let path = "/events/Shop/order/new";
                    let id = [
                        ("X-Weir-Event-Id", format!("order-{i}")),
                        ("X-Weir-Actor", "user".to_string()),
                    ];
                    let mut request = client
                        .post(format!("{url}{path}"))
                        .timeout(Duration::from_secs(5));
                    for (k, v) in signed(SECRET, path, body.as_bytes(), &id) {
                        request = request.header(k, v);
                    }
                    let response = request.body(body).send();
                    match response {
                        Ok(r) if r.status().as_u16() == 202 => accepted.lock().unwrap()[i] = true,
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(20), || {
            let acked = accepted.lock().unwrap().iter().filter(|a| **a).count();
            acked >= total / 2 && !crm.records("contact").is_empty()
        }),
        "the stream and the worker got going"
    );
    serve.child.kill().expect("SIGKILL");
    let _ = serve.child.wait();
    for s in senders {
        let _ = s.join();
    }
    let acked: Vec<usize> = accepted
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, a)| **a)
        .map(|(i, _)| i)
        .collect();
    let reached = crm.records("contact").len();
    eprintln!(
        "before the kill: {} accepted, {reached} reached the app",
        acked.len()
    );
    assert!(
        acked.len() < total,
        "the kill came in the middle of the stream"
    );
    drop(serve);

    let serve = Serve::start(&dir, "shop.weir", &[]);
    // A sender tries again what it got no 202 for; ids already accepted are duplicates.
    for i in 0..total {
        if !accepted.lock().unwrap()[i] {
            let (status, reply) = serve.event(
                "/events/Shop/order/new",
                &order(i),
                Some(&format!("order-{i}")),
            );
            assert!(status == 202 || status == 200, "{status} {reply}");
        }
    }
    let health = serve.settle(total as u64);
    assert_eq!(health["done"], total as u64, "{health}");
    let contacts = crm.records("contact");
    let mut names: Vec<String> = contacts
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut expected: Vec<String> = (0..total).map(|i| format!("C{i}")).collect();
    expected.sort();
    assert_eq!(names, expected, "every event reached the app exactly once");
}

#[test]
fn the_r0304_page_shows_what_weir_says() {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors/R0304.md"))
            .unwrap();
    let block = |fence: &str, from: &str| -> String {
        let rest = &page[page.find(from).unwrap()..];
        let body = &rest[rest.find(fence).unwrap() + fence.len()..];
        body[..body.find("```").unwrap()].to_string()
    };
    let script = block("```weir\n", "## Wrong");
    let said = block("```text\n", "## Wrong");
    let dir = scratch("r0304");
    std::fs::write(dir.join("tracker.weir"), script).unwrap();
    std::fs::write(dir.join("none.jsonl"), "").unwrap();
    let args = [
        "run",
        "tracker.weir",
        "--events",
        "none.jsonl",
        "--trace",
        "summary",
    ];
    let wrong = weir(&args, &dir, &[]);
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = text(&wrong.stderr);
    for line in said.lines() {
        assert!(stderr.contains(line.trim()), "{line:?} in\n{stderr}");
    }
    let fixed = weir(&args, &dir, &[("TRACKER_TOKEN", "tk_live_1")]);
    assert!(fixed.status.success(), "{}", text(&fixed.stderr));
}

#[test]
fn runs_and_replay_name_a_missing_journal() {
    let dir = scratch("nojournal");
    for args in [
        &["runs", "--journal", "gone.db"][..],
        &["replay", "--journal", "gone.db", "3"],
    ] {
        let out = weir(args, &dir, &[]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("cannot use the journal `gone.db`: there is no such file"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn notifications_are_posted_to_the_notify_url() {
    let hub = RestApp::start();
    hub.fail_next([Fault::Status(503, "busy")]);
    let dir = scratch("notify");
    let script = r#"app Shop { order { customer: text } }

workflow tell {
  on new order in Shop
  notify "desk" "New order from {customer}"
}
"#;
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let line =
        json!({"kind": "new", "app": "Shop", "entity": "order", "record": {"customer": "ida"}});
    std::fs::write(dir.join("orders.jsonl"), line.to_string() + "\n").unwrap();
    let url = format!("{}/notify", hub.url);
    let out = run_orders(&dir, &["--notify-url", &url, "--backoff-ms", "10"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sent = hub.records("notify");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["channel"], "desk");
    assert_eq!(sent[0]["text"], "New order from ida");
}

/// SIGTERM sent the moment `weir serve` says it listens still stops it cleanly: the handler is
/// in place before that line is written.
#[test]
fn sigterm_right_after_the_listening_line_stops_cleanly() {
    let crm = RestApp::start();
    let dir = scratch("term-at-once");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    for _ in 0..5 {
        let serve = Serve::start(&dir, "shop.weir", &[]);
        let out = serve.terminate();
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains("stopped"));
    }
}

/// Serves `script` of `dir` until one order has failed (its app is down), then stops.
fn one_failed_order(dir: &Path, script: &str) {
    let serve = Serve::start(dir, script, &["--retries", "0"]);
    let order = json!({"customer": "gus", "email": "gus@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    assert_eq!(serve.settle(1)["failed"], 1);
}

/// A script served with the files it `use`s is replayed with those files as they were served:
/// changing or removing them on disk afterwards changes nothing for the journal's events.
#[test]
fn replay_runs_the_used_files_as_they_were_served() {
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("replay-uses");
    let whole = shop_to_crm(&crm.url);
    let split = whole.find("workflow order_to_contact").unwrap();
    std::fs::write(dir.join("apps.weir"), &whole[..split]).unwrap();
    std::fs::write(
        dir.join("flows.weir"),
        format!("use \"apps.weir\"\n\n{}", &whole[split..]),
    )
    .unwrap();
    one_failed_order(&dir, "flows.weir");

    std::fs::remove_file(dir.join("apps.weir")).unwrap();
    crm.set_down(false);
    let replay = weir(
        &["replay", "--journal", "weir.db", "1"],
        &dir,
        &[("CRM_TOKEN", "tk")],
    );
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(said.contains("event 1 ran again: done"), "{said}");
    assert_eq!(crm.records("contact").len(), 1);
}

/// `weir replay` runs the script its journal was served with through the check pipeline: one
/// whose names or types are wrong is refused, with its errors, and nothing is sent.
#[test]
fn replay_refuses_a_served_script_whose_types_are_wrong() {
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("replay-refused");
    std::fs::write(dir.join("shop.weir"), shop_to_crm(&crm.url)).unwrap();
    one_failed_order(&dir, "shop.weir");

    // As if the journal had been served with a script that does not check.
    let broken = shop_to_crm(&crm.url).replace("upper(customer)", "upper(1)");
    let journal = weir::serve::journal::Journal::open(&dir.join("weir.db"), false).unwrap();
    journal.set_meta("script", &broken).unwrap();
    drop(journal);
    crm.set_down(false);
    let replay = weir(
        &["replay", "--journal", "weir.db", "1"],
        &dir,
        &[("CRM_TOKEN", "tk")],
    );
    let said = text(&replay.stderr);
    assert_eq!(replay.status.code(), Some(1), "{said}");
    assert!(said.contains("error[E0201]"), "{said}");
    assert!(crm.records("contact").is_empty());
}

/// An app with its own HTTP mapping under `weir serve`: a write its app refuses leaves the
/// event dead, `weir runs` says why, and `weir replay` sends it again through the same mapping
/// (its own path, its own auth) once the app is back.
#[test]
fn a_mapped_apps_refused_write_is_kept_dead_and_replayed_through_its_mapping() {
    let crm = RestApp::start();
    crm.set_down(true);
    let dir = scratch("mapped-dead");
    let script = format!(
        r#"app Shop {{
  reports actor
  order {{ customer: text, email: text }}
}}

app Crm at "{}" auth bearer env CRM_TOKEN {{
  contact {{ name: text, email: text }}
  http contact {{
    create POST "/people"
  }}
}}

workflow order_to_contact {{
  on new order in Shop
  create contact in Crm {{ name: customer, email: email }}
}}
"#,
        crm.url
    );
    std::fs::write(dir.join("shop.weir"), script).unwrap();
    let serve = Serve::start(&dir, "shop.weir", &["--retries", "1"]);
    let order = json!({"customer": "gus", "email": "gus@example.com"});
    assert_eq!(serve.event("/events/Shop/order/new", &order, None).0, 202);
    assert_eq!(serve.settle(1)["failed"], 1);
    let listed = weir(&["runs", "--journal", "weir.db", "--failed"], &dir, &[]);
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("order_to_contact") && listing.contains("503"),
        "{listing}"
    );
    // Every try went to the mapping's path, never to weir's own `/contact`.
    let tried = crm.seen();
    assert!(!tried.is_empty());
    assert!(
        tried.iter().all(|s| s.path.ends_with("/people")),
        "{tried:?}"
    );
    drop(serve);

    crm.set_down(false);
    let replay = weir(
        &["replay", "--journal", "weir.db", "1"],
        &dir,
        &[("CRM_TOKEN", "tk")],
    );
    let said = text(&replay.stdout);
    assert!(replay.status.success(), "{said}{}", text(&replay.stderr));
    assert!(said.contains("event 1 ran again: done"), "{said}");
    assert_eq!(crm.records("people").len(), 1);
    assert!(crm.records("contact").is_empty());
    let last = crm.seen().pop().unwrap();
    assert_eq!(last.auth.as_deref(), Some("Bearer tk"));
}
