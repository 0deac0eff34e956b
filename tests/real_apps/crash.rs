//! `kill -9` of `weir serve` with a simulated app beside a real one: the simulated records, their
//! ids and their links come back as the journal left them, so that after a restart no id is
//! given twice and no `update … linked` reaches another customer's record; and, over rounds of
//! kills at random points, every event's writes reach the app once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::reads::helpdesk_sync;
use super::rest_app::{Applied, RestApp};
use super::serve::{Scratch, Serve, scratch, wait_until};

/// Orders of a simulated shop become contacts in a real CRM, and follow their order's renames.
fn shop_links_crm(crm: &str) -> String {
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

workflow rename {{
  on updated order in Shop
  update contact in Crm linked {{ name: customer }}
}}
"#
    )
}

fn order(customer: &str, email: &str, id: Option<u64>) -> Json {
    let mut record = json!({ "customer": customer, "email": email });
    if let Some(id) = id {
        record["id"] = json!(id);
    }
    record
}

fn start(dir: &Scratch) -> Serve {
    Serve::start(dir, "shop.weir", &[])
}

/// Ends a `weir serve` as a crash would.
fn kill_9(mut serve: Serve) {
    serve.child.kill().expect("SIGKILL");
    let _ = serve.child.wait();
}

fn post(serve: &Serve, kind: &str, record: &Json, id: &str) {
    let (status, reply) = serve.event(&format!("/events/Shop/order/{kind}"), record, Some(id));
    assert!(status == 202 || status == 200, "{status} {reply}");
}

/// The writes the app made to each contact path (`/contact/r2`), in order.
fn patches(applied: &[Applied]) -> BTreeMap<String, Vec<Json>> {
    let mut out: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for a in applied.iter().filter(|a| a.method == "PATCH") {
        out.entry(a.path.clone()).or_default().push(a.body.clone());
    }
    out
}

#[test]
fn after_kill_9_a_new_simulated_record_takes_a_new_id_and_its_own_link() {
    let crm = RestApp::start();
    let dir = scratch("crash-ids");
    std::fs::write(dir.join("shop.weir"), shop_links_crm(&crm.url)).unwrap();
    let serve = start(&dir);
    post(&serve, "new", &order("ada", "ada@example.com", None), "1");
    assert_eq!(serve.settle(1)["done"], 1);
    kill_9(serve);

    let serve = start(&dir);
    post(&serve, "new", &order("bob", "bob@example.com", None), "2");
    // Bob's order is Shop/order/2: Shop/order/1 (Ada's) was made before the crash.
    post(
        &serve,
        "updated",
        &order("Bob B", "bob@example.com", Some(2)),
        "3",
    );
    post(
        &serve,
        "updated",
        &order("Ada A", "ada@example.com", Some(1)),
        "4",
    );
    let health = serve.settle(4);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(4), &json!(0)),
        "{health}"
    );

    let written = patches(&crm.applied());
    let names = |path: &str| -> Vec<Json> {
        written
            .get(path)
            .into_iter()
            .flatten()
            .map(|b| b["name"].clone())
            .collect()
    };
    assert_eq!(names("/contact/r1"), [json!("Ada A")], "{written:?}");
    assert_eq!(names("/contact/r2"), [json!("Bob B")], "{written:?}");
    let contacts = crm.records("contact");
    assert_eq!(contacts.len(), 2);
    for contact in contacts {
        let email = contact["email"].as_str().unwrap();
        let name = contact["name"].as_str().unwrap().to_lowercase();
        assert!(
            email.starts_with(&name[..3]),
            "{contact} has another's name"
        );
    }
}

/// The sync ledger and the ids of deleted records are journaled with their events too: after
/// `kill -9` a rename still reaches the partner, and a new ticket takes a new id.
#[test]
fn after_kill_9_the_sync_ledger_and_deleted_ids_are_kept() {
    let tracker = RestApp::start();
    let dir = scratch("crash-sync");
    std::fs::write(dir.join("sync.weir"), helpdesk_sync(&tracker.url)).unwrap();
    let send = |serve: &Serve, kind: &str, record: Json, id: &str| {
        let path = format!("/events/Helpdesk/ticket/{kind}");
        let (status, reply) = serve.event(&path, &record, Some(id));
        assert_eq!(status, 202, "{reply}");
    };
    let serve = Serve::start(&dir, "sync.weir", &[]);
    send(&serve, "new", json!({ "title": "printer" }), "1");
    send(&serve, "new", json!({ "title": "scanner" }), "2");
    send(&serve, "deleted", json!({ "id": 2 }), "3");
    assert_eq!(serve.settle(3)["done"], 3);
    kill_9(serve);

    let serve = Serve::start(&dir, "sync.weir", &[]);
    send(
        &serve,
        "updated",
        json!({ "id": 1, "title": "printer on fire" }),
        "4",
    );
    // Helpdesk/ticket/2 was deleted before the crash: the fax is ticket 3.
    send(&serve, "new", json!({ "title": "fax" }), "5");
    send(
        &serve,
        "updated",
        json!({ "id": 3, "title": "fax jam" }),
        "6",
    );
    let health = serve.settle(6);
    assert_eq!(
        (&health["done"], &health["failed"]),
        (&json!(6), &json!(0)),
        "{health}"
    );
    let titles: Vec<(Json, Json)> = tracker
        .records("ticket")
        .into_iter()
        .map(|t| (t["id"].clone(), t["title"].clone()))
        .collect();
    assert_eq!(
        titles,
        [
            (json!("r1"), json!("printer on fire")),
            (json!("r3"), json!("fax jam"))
        ]
    );
}

/// A small seeded generator (splitmix64), so that a failing round can be run again.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One event the test sends: a new order, or the `n`th rename of order `i`.
#[derive(Clone, Copy, Debug)]
enum Step {
    New(u64),
    Rename(u64, u32),
}

/// The stream: every order is made, then renamed 0 to 2 times, interleaved at random.
fn stream(rng: &mut Rng, orders: u64) -> Vec<Step> {
    let mut renames = vec![0u32; orders as usize];
    let mut pending: Vec<u64> = Vec::new();
    let mut steps = Vec::new();
    let mut next = 0;
    while next < orders || !pending.is_empty() {
        if next < orders && (pending.is_empty() || rng.below(2) == 0) {
            steps.push(Step::New(next));
            for _ in 0..rng.below(3) {
                pending.push(next);
            }
            next += 1;
        } else {
            let i = pending.swap_remove(rng.below(pending.len() as u64) as usize);
            renames[i as usize] += 1;
            steps.push(Step::Rename(i, renames[i as usize]));
        }
    }
    steps
}

fn customer(i: u64, rename: u32) -> String {
    if rename == 0 {
        format!("c{i}")
    } else {
        format!("c{i}-v{rename}")
    }
}

fn email(i: u64) -> String {
    format!("c{i}@example.com")
}

/// The seed of a fault test: `WEIR_FAULT_SEED`, or a fixed one.
fn fault_seed() -> u64 {
    let seed = std::env::var("WEIR_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee_u64);
    eprintln!("fault test seed: {seed} (WEIR_FAULT_SEED={seed} runs it again)");
    seed
}

/// Sends event `n` to a `weir serve`; says whether it was accepted.
type Sender<'a> = &'a (dyn Fn(&Serve, usize) -> bool + Sync);

/// Sends `total` events to `weir serve` on `script`, over `rounds` rounds each ended by
/// `kill -9`, then the rest to a last start; the last start's health once all have run.
/// `send` sends event `n` and says whether it was accepted (202, or 200 for one accepted
/// before its answer was lost). Every event must make exactly one write in `app`.
fn rounds_of_kill_9(
    dir: &Scratch,
    script: &str,
    app: &RestApp,
    (rng, seed): (&mut Rng, u64),
    rounds: usize,
    (total, send): (usize, Sender),
) -> Json {
    let mut sent = 0;
    for round in 0..rounds {
        let serve = Serve::start(dir, script, &[]);
        let pid = serve.child.id().to_string();
        let made = app.applied().len();
        // Rounds reach through the stream: round r stops by about (r + 1) / (rounds + 1) of it.
        let end = ((round + 1) * total / (rounds + 1) + rng.below(total as u64 / 12) as usize)
            .clamp(sent + 1, total);
        // The kill comes after one of the writes still to make, chosen at random: while the
        // app holds back its answer (weir does not know the write was made), or a moment after
        // the answer (weir is recording it, or on to the next event, or still taking events in).
        let target = (made < end).then(|| made + 1 + rng.below((end - made) as u64) as usize);
        let in_flight = rng.below(2) == 0;
        let pause = Duration::from_millis(rng.below(20));
        app.hold_write(target.filter(|_| in_flight));
        let acked = std::thread::scope(|scope| {
            let poster = scope.spawn(|| (sent..end).find(|n| !send(&serve, *n)).unwrap_or(end));
            if let Some(target) = target {
                let reached = wait_until(Duration::from_secs(20), || app.applied().len() >= target);
                assert!(
                    reached,
                    "seed {seed}, round {round}: write {target} was not made"
                );
            }
            if !in_flight {
                std::thread::sleep(pause);
            }
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            assert!(killed.is_ok_and(|s| s.success()), "kill -9 {pid}");
            app.hold_write(None);
            poster.join().expect("the poster ends")
        });
        kill_9(serve);
        let when = if in_flight {
            "while the app held back its answer to"
        } else {
            "just after"
        };
        eprintln!(
            "round {round}: events {sent}..{acked} of {total} accepted; kill -9 {when} write {target:?}"
        );
        sent = acked;
    }
    // A sender sends again what it got no answer for; what was accepted is a duplicate.
    let serve = Serve::start(dir, script, &[]);
    for n in sent..total {
        assert!(send(&serve, n), "seed {seed}: event {n} was not accepted");
    }
    let health = serve.settle(total as u64);
    assert_eq!(health["done"], json!(total), "seed {seed}: {health}");
    assert_eq!(health["failed"], json!(0), "seed {seed}: {health}");
    let applied = app.applied();
    let keys: BTreeSet<&str> = applied.iter().filter_map(|a| a.key.as_deref()).collect();
    assert_eq!(
        keys.len(),
        applied.len(),
        "seed {seed}: a key was applied twice"
    );
    health
}

/// The fault test: a CRM that answers every write late (after making it) and honours
/// idempotency keys; `weir serve` killed with `kill -9` at random points of its work, five
/// times, and started again each time. Then, per event: the contact made once, every rename
/// applied once and to its own contact, nothing lost. Set `WEIR_FAULT_SEED` to run a failing
/// seed again.
#[test]
fn kill_9_at_random_points_loses_no_write_repeats_none_and_misdirects_none() {
    let seed = fault_seed();
    let mut rng = Rng(seed);
    let crm = RestApp::start();
    crm.set_slow(Duration::from_millis(3));
    let dir = scratch("crash-rounds");
    std::fs::write(dir.join("shop.weir"), shop_links_crm(&crm.url)).unwrap();
    let orders = 100;
    let steps = stream(&mut rng, orders);
    let send = |serve: &Serve, n: usize| -> bool {
        let (kind, record) = match steps[n] {
            Step::New(i) => ("new", order(&customer(i, 0), &email(i), None)),
            // Order `i` is the simulator's Shop/order/{i + 1}: orders are made in this order.
            Step::Rename(i, k) => ("updated", order(&customer(i, k), &email(i), Some(i + 1))),
        };
        let path = format!("/events/Shop/order/{kind}");
        let (status, _) = serve.event(&path, &record, Some(&format!("event-{n}")));
        status == 202 || status == 200
    };
    rounds_of_kill_9(
        &dir,
        "shop.weir",
        &crm,
        (&mut rng, seed),
        5,
        (steps.len(), &send),
    );

    let applied = crm.applied();

    // Each order's contact, made once.
    let mut contact_of: BTreeMap<String, String> = BTreeMap::new();
    for contact in crm.records("contact") {
        let email = contact["email"].as_str().unwrap().to_string();
        let id = contact["id"].as_str().unwrap().to_string();
        assert!(
            contact_of.insert(email.clone(), id).is_none(),
            "seed {seed}: two contacts for {email}"
        );
    }
    let posts = applied.iter().filter(|a| a.method == "POST").count();
    assert_eq!(posts as u64, orders, "seed {seed}: contacts made");
    assert_eq!(
        contact_of.len() as u64,
        orders,
        "seed {seed}: contacts kept"
    );

    // Each rename, applied once, in order, to its own order's contact.
    let written = patches(&applied);
    for i in 0..orders {
        let path = format!("/contact/{}", contact_of[&email(i)]);
        let expected = renames_of(&steps, i, "name");
        let got = written.get(&path).cloned().unwrap_or_default();
        assert_eq!(
            got, expected,
            "seed {seed}: the renames of order {i} ({path})"
        );
    }
    let renames = rename_count(&steps);
    assert_eq!(
        applied.len(),
        orders as usize + renames,
        "seed {seed}: every write once, none elsewhere"
    );
}

/// The fault test again through a sync: tickets of a simulated helpdesk made and renamed, each
/// a ticket or a `PATCH` in a real tracker, with `kill -9` at random points. The sync's ledger
/// and the simulator come back as the journal left them: each ticket made once, each rename
/// written once to its own partner.
#[test]
fn kill_9_at_random_points_in_a_sync_keeps_every_pair() {
    let seed = fault_seed() ^ 0x5eed;
    let mut rng = Rng(seed);
    let tracker = RestApp::start();
    tracker.set_slow(Duration::from_millis(3));
    let dir = scratch("crash-sync-rounds");
    std::fs::write(dir.join("sync.weir"), helpdesk_sync(&tracker.url)).unwrap();
    let tickets = 40;
    let steps = stream(&mut rng, tickets);
    let send = |serve: &Serve, n: usize| -> bool {
        let (kind, record) = match steps[n] {
            Step::New(i) => ("new", json!({ "title": customer(i, 0) })),
            // Ticket `i` is Helpdesk/ticket/{i + 1}: tickets are made in this order.
            Step::Rename(i, k) => ("updated", json!({ "id": i + 1, "title": customer(i, k) })),
        };
        let path = format!("/events/Helpdesk/ticket/{kind}");
        let (status, _) = serve.event(&path, &record, Some(&format!("event-{n}")));
        status == 202 || status == 200
    };
    rounds_of_kill_9(
        &dir,
        "sync.weir",
        &tracker,
        (&mut rng, seed),
        4,
        (steps.len(), &send),
    );

    let applied = tracker.applied();
    // The app numbers its records in the order they are made: the jth POST made r{j + 1}.
    let posts: Vec<&Applied> = applied.iter().filter(|a| a.method == "POST").collect();
    assert_eq!(posts.len() as u64, tickets, "seed {seed}: tickets made");
    let written = patches(&applied);
    for (j, post) in posts.iter().enumerate() {
        let first = post.body["title"].as_str().unwrap_or_default();
        let i: u64 = first
            .trim_start_matches('c')
            .parse()
            .expect("a ticket's first title");
        let path = format!("/ticket/r{}", j + 1);
        let expected = renames_of(&steps, i, "title");
        let got = written.get(&path).cloned().unwrap_or_default();
        assert_eq!(
            got, expected,
            "seed {seed}: the renames of ticket {i} ({path})"
        );
    }
    let renames = rename_count(&steps);
    assert_eq!(
        applied.len(),
        tickets as usize + renames,
        "seed {seed}: every write once"
    );
}

/// The writes the renames of record `i` should make, in order: `{FIELD: new name}` each.
fn renames_of(steps: &[Step], i: u64, field: &str) -> Vec<Json> {
    steps
        .iter()
        .filter_map(|s| match *s {
            Step::Rename(j, k) if j == i => Some(json!({ field: customer(i, k) })),
            _ => None,
        })
        .collect()
}

/// How many renames the steps hold.
fn rename_count(steps: &[Step]) -> usize {
    steps
        .iter()
        .filter(|s| matches!(s, Step::Rename(..)))
        .count()
}
