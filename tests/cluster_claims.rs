//! Claims on a real PostgreSQL journal (a throwaway cluster per test): several claimers in
//! threads finish every event once and every record's events in order; a claimer that stops
//! leaves its events to the others once its leases run out; run numbers never meet.

#[path = "common/postgres.rs"]
#[allow(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod throwaway;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use postgres::{Client, NoTls};
use weir::serve::claims::{self, Claim, Claimer, RUN_BLOCK};
use weir::serve::journal::{Accepted, Journal, NewEvent};
use weir::serve::status::EventStatus;

/// A journal with its tables, on a cluster of its own; `None` (the test is skipped, saying
/// why) where PostgreSQL is not installed.
fn journal(name: &str) -> Option<(throwaway::Cluster, String)> {
    let (cluster, url) = throwaway::journal_or_skip(name)?;
    // Opening the journal makes its tables.
    drop(Journal::open(Path::new(&url), true).expect("the journal"));
    let mut client = connect(&url);
    client
        .batch_execute(
            "CREATE TABLE finishes (
               seq BIGINT GENERATED ALWAYS AS IDENTITY, event BIGINT NOT NULL,
               record TEXT, owner TEXT NOT NULL)",
        )
        .expect("the test's table");
    Some((cluster, url))
}

fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).expect("a connection to the journal")
}

/// Accepts events as `weir serve` does.
fn accept(url: &str, events: &[NewEvent]) -> Vec<Accepted> {
    let mut journal = Journal::open(Path::new(url), true).expect("the journal");
    journal.accept(events).expect("the events accepted")
}

/// An event about record `id` of `Crm/contact` (none: a record without an id).
fn event(id: Option<u32>, n: u32) -> NewEvent {
    let record = match id {
        Some(id) => format!(r#"{{"id": "c-{id}", "n": {n}}}"#),
        None => format!(r#"{{"n": {n}}}"#),
    };
    NewEvent {
        key: Some(format!("Crm/contact/updated id:{n}")),
        app: "Crm".into(),
        entity: "contact".into(),
        kind: "updated".into(),
        record,
        actor: None,
        changed: None,
    }
}

fn ids(accepted: &[Accepted]) -> Vec<i64> {
    accepted
        .iter()
        .map(|a| match a {
            Accepted::New(id) => *id,
            Accepted::Duplicate(id) => panic!("event {id} accepted twice"),
        })
        .collect()
}

fn claimed(claims: &[Claim]) -> Vec<i64> {
    claims.iter().map(|c| c.event.id).collect()
}

/// Finishes a claim as a server would: the event's write and its status in one transaction
/// that checks the lease first; whether the take was still the claimer's.
fn finish(client: &mut Client, claimer: &Claimer, claim: &Claim) -> bool {
    let mut tx = client.transaction().unwrap();
    if !claimer.holds(&mut tx, claim).unwrap() {
        return false;
    }
    let record: String = claim.event.record.clone();
    tx.execute(
        "INSERT INTO finishes (event, record, owner) VALUES ($1, $2::TEXT::JSON->>'id', $3)",
        &[&claim.event.id, &record, &claimer.owner()],
    )
    .unwrap();
    claims::finished(&mut tx, claim.event.id, EventStatus::Done).unwrap();
    tx.commit().unwrap();
    true
}

/// Claims and finishes until no event is left queued (bounded in rounds): some events first
/// go through `ran` (their writes in the outbox) and finish at the claimer's next round.
fn serve(url: &str, owner: &str) -> Vec<u64> {
    let mut client = connect(url);
    let claimer = Claimer::new(owner, Duration::from_secs(30));
    let mut bases = Vec::new();
    let mut sending: Vec<Claim> = Vec::new();
    for round in 0..20_000 {
        for claim in std::mem::take(&mut sending) {
            assert!(finish(&mut client, &claimer, &claim));
        }
        let claims = claimer.claim(&mut client, 3).unwrap();
        if claims.is_empty() {
            let left: i64 = client
                .query_one("SELECT COUNT(*) FROM events WHERE status = 'queued'", &[])
                .unwrap()
                .get(0);
            if left == 0 {
                return bases;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        for claim in claims {
            assert!(
                !claim.sending,
                "no claimer stopped, so none sends another's writes"
            );
            bases.push(claim.run_base);
            if (claim.event.id + round) % 3 == 0 {
                assert!(claimer.ran(&mut client, &claim, EventStatus::Done).unwrap());
                sending.push(claim);
            } else {
                assert!(finish(&mut client, &claimer, &claim));
            }
        }
    }
    panic!("{owner} did not see every event finished in 20000 rounds");
}

fn claimers_in_threads(servers: usize) {
    let Some((_cluster, url)) = journal(&format!("claims-{servers}")) else {
        return;
    };
    let mut client = connect(&url);
    // 8 records, 6 events each, interleaved, and 6 events about no record, in 4 batches.
    let events: Vec<NewEvent> = (0..54)
        .map(|n| event((n % 9 != 8).then_some(n % 9), n))
        .collect();
    let mut accepted = Vec::new();
    for batch in events.chunks(14) {
        accepted.extend(ids(&accept(&url, batch)));
    }
    let threads: Vec<_> = (0..servers)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || serve(&url, &format!("server-{i}")))
        })
        .collect();
    let bases: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a claimer"))
        .collect();

    let rows = client
        .query(
            "SELECT event, record, owner FROM finishes ORDER BY seq",
            &[],
        )
        .unwrap();
    let mut finished = Vec::new();
    let mut by_record: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut owners = HashSet::new();
    for row in &rows {
        let (event, record, owner): (i64, Option<String>, String) =
            (row.get(0), row.get(1), row.get(2));
        finished.push(event);
        owners.insert(owner);
        if let Some(record) = record {
            by_record.entry(record).or_default().push(event);
        }
    }
    let mut once = finished.clone();
    once.sort_unstable();
    assert_eq!(once, accepted, "every event finished exactly once");
    assert_eq!(by_record.len(), 8);
    for (record, events) in &by_record {
        let mut sorted = events.clone();
        sorted.sort_unstable();
        assert_eq!(
            events, &sorted,
            "the events of {record} finished out of order"
        );
        assert_eq!(events.len(), 6);
    }
    assert_eq!(bases.len(), accepted.len(), "each event claimed once");
    let distinct: HashSet<u64> = bases.iter().copied().collect();
    assert_eq!(distinct.len(), bases.len(), "run bases met: {bases:?}");
    assert!(bases.iter().all(|b| b % RUN_BLOCK == 1));
    let open: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM events WHERE status <> 'done' OR lease_owner IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(open, 0, "every event done and let go of");
    eprintln!(
        "{servers} claimers: {} of them finished events",
        owners.len()
    );
}

#[test]
fn two_claimers_finish_every_event_once_and_each_record_in_order() {
    claimers_in_threads(2);
}

#[test]
fn three_claimers_finish_every_event_once_and_each_record_in_order() {
    claimers_in_threads(3);
}

#[test]
fn a_claimer_that_stops_leaves_its_events_to_another_once_its_lease_runs_out() {
    let Some((_cluster, url)) = journal("claims-lease") else {
        return;
    };
    let mut client = connect(&url);
    let events = [event(Some(1), 1), event(Some(2), 2), event(Some(1), 3)];
    let [first, second, later] = ids(&accept(&url, &events))[..] else {
        panic!("three events");
    };
    let gone = Claimer::new("gone", Duration::from_millis(300));
    let taken = gone.claim(&mut client, 10).unwrap();
    assert_eq!(
        claimed(&taken),
        [first, second],
        "the record's later event waits"
    );
    let other = Claimer::new("other", Duration::from_secs(30));
    assert_eq!(
        claimed(&other.claim(&mut client, 10).unwrap()),
        [] as [i64; 0]
    );
    // `gone` stops without finishing: its leases run out, on the database's clock.
    let retaken = (0..100)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            other.claim(&mut client, 10).unwrap()
        })
        .find(|c| !c.is_empty())
        .expect("the events taken again within 5 s");
    assert_eq!(claimed(&retaken), [first, second]);
    for (again, before) in retaken.iter().zip(&taken) {
        assert_eq!(
            again.run_base, before.run_base,
            "a run again keeps its numbers"
        );
        assert_eq!((before.take, again.take), (1, 2));
    }
    // `gone` comes back: its takes are no longer its own.
    assert!(
        !gone
            .finish(&mut client, &taken[0], EventStatus::Done)
            .unwrap()
    );
    assert_eq!(gone.renew(&mut client).unwrap(), [] as [i64; 0]);
    assert!(
        other
            .finish(&mut client, &retaken[0], EventStatus::Done)
            .unwrap()
    );
    assert_eq!(claimed(&other.claim(&mut client, 10).unwrap()), [later]);
}

#[test]
fn an_event_with_writes_to_send_holds_back_its_records_later_events() {
    let Some((_cluster, url)) = journal("claims-outbox") else {
        return;
    };
    let mut client = connect(&url);
    let events = [event(Some(1), 1), event(Some(1), 2), event(None, 3)];
    let [first, second, alone] = ids(&accept(&url, &events))[..] else {
        panic!("three events");
    };
    let a = Claimer::new("a", Duration::from_secs(30));
    let b = Claimer::new("b", Duration::from_secs(30));
    let taken = a.claim(&mut client, 1).unwrap();
    assert_eq!(claimed(&taken), [first]);
    assert!(a.ran(&mut client, &taken[0], EventStatus::Done).unwrap());
    assert_eq!(claimed(&b.claim(&mut client, 10).unwrap()), [alone]);
    assert_eq!(a.renew(&mut client).unwrap(), [first]);
    assert!(a.finish(&mut client, &taken[0], EventStatus::Done).unwrap());
    assert_eq!(claimed(&b.claim(&mut client, 10).unwrap()), [second]);
}

#[test]
fn a_stopped_server_lets_go_and_its_sends_are_taken_up() {
    let Some((_cluster, url)) = journal("claims-let-go") else {
        return;
    };
    let mut client = connect(&url);
    let [first] = ids(&accept(&url, &[event(Some(4), 1)]))[..] else {
        panic!("one event");
    };
    let a = Claimer::new("a", Duration::from_secs(30));
    let taken = a.claim(&mut client, 1).unwrap();
    assert!(a.ran(&mut client, &taken[0], EventStatus::Failed).unwrap());
    assert_eq!(a.let_go(&mut client).unwrap(), 1);
    let b = Claimer::new("b", Duration::from_secs(30));
    let resumed = b.claim(&mut client, 1).unwrap();
    assert_eq!(claimed(&resumed), [first]);
    assert!(resumed[0].sending, "only its writes are left to send");
    assert_eq!(resumed[0].run_base, taken[0].run_base);
}

#[test]
fn a_duplicate_is_accepted_once_and_a_write_confirmed_twice_is_recorded_once() {
    let Some((_cluster, url)) = journal("claims-once") else {
        return;
    };
    let mut client = connect(&url);
    let once = accept(&url, &[event(Some(1), 1)]);
    let again = accept(&url, &[event(Some(1), 1)]);
    let [Accepted::New(id)] = once[..] else {
        panic!("a new event: {once:?}");
    };
    assert_eq!(again, [Accepted::Duplicate(id)]);
    let confirm = |client: &mut Client| {
        claims::confirmed(client, "i-1/1", 1, "Crm/contact", "create", 3).unwrap()
    };
    assert!(confirm(&mut client));
    assert!(!confirm(&mut client));
}

#[test]
fn a_batch_not_run_is_let_go_of_and_taken_by_another() {
    let Some((_cluster, url)) = journal("claims-error") else {
        return;
    };
    let mut client = connect(&url);
    let events = [event(Some(1), 1), event(Some(2), 2)];
    let [first, second] = ids(&accept(&url, &events))[..] else {
        panic!("two events");
    };
    let a = Claimer::new("a", Duration::from_secs(30));
    let taken = a.claim(&mut client, 10).unwrap();
    assert!(a.ran(&mut client, &taken[0], EventStatus::Done).unwrap());
    // The batch failed: the event not run is let go of; the one run, with writes, is kept.
    assert_eq!(a.let_go_of(&mut client, &[first, second]).unwrap(), 1);
    let b = Claimer::new("b", Duration::from_secs(30));
    assert_eq!(claimed(&b.claim(&mut client, 10).unwrap()), [second]);
    assert_eq!(a.renew(&mut client).unwrap(), [first]);
}

#[test]
fn renewing_skips_an_event_being_recorded_rather_than_wait_for_it() {
    let Some((_cluster, url)) = journal("claims-renew") else {
        return;
    };
    let mut client = connect(&url);
    let events = [event(Some(1), 1), event(Some(2), 2)];
    let [first, second] = ids(&accept(&url, &events))[..] else {
        panic!("two events");
    };
    let a = Claimer::new("a", Duration::from_secs(30));
    let taken = a.claim(&mut client, 10).unwrap();
    // Another connection of the same server records the first event, its row locked.
    let mut recording = connect(&url);
    let mut tx = recording.transaction().unwrap();
    assert!(a.holds(&mut tx, &taken[0]).unwrap());
    assert_eq!(a.renew(&mut client).unwrap(), [second]);
    tx.commit().unwrap();
    let mut renewed = a.renew(&mut client).unwrap();
    renewed.sort_unstable();
    assert_eq!(renewed, [first, second]);
}

/// `weir replay` asks for events to run again; the servers look for its releases at once, and
/// each release is taken by one of them only.
#[test]
fn a_release_is_taken_by_one_server() {
    let Some((_cluster, url)) = journal("claims-releases") else {
        return;
    };
    connect(&url)
        .batch_execute("INSERT INTO releases (event) SELECT generate_series(1, 400)")
        .expect("the releases");
    let start = std::sync::Arc::new(std::sync::Barrier::new(4));
    let servers: Vec<_> = (0..4)
        .map(|_| {
            let (url, start) = (url.clone(), std::sync::Arc::clone(&start));
            std::thread::spawn(move || {
                let mut journal = Journal::open(Path::new(&url), true).expect("the journal");
                start.wait();
                let mut taken = Vec::new();
                while taken.len() < 400 {
                    let more = journal.take_releases().expect("the releases taken");
                    if more.is_empty() {
                        break;
                    }
                    taken.extend(more);
                }
                taken
            })
        })
        .collect();
    let mut taken: Vec<i64> = servers
        .into_iter()
        .flat_map(|s| s.join().expect("a server"))
        .collect();
    taken.sort_unstable();
    assert_eq!(
        taken,
        (1..=400).collect::<Vec<i64>>(),
        "each release taken once"
    );
}

/// A server whose lease ran out while it sent an event's writes does not settle the event:
/// the server that took it over does.
#[test]
fn only_the_server_holding_an_event_settles_it() {
    let Some((_cluster, url)) = journal("claims-settle") else {
        return;
    };
    let mut client = connect(&url);
    let [first] = ids(&accept(&url, &[event(Some(5), 1)]))[..] else {
        panic!("one event");
    };
    let a = Claimer::new("a", Duration::from_millis(1));
    let taken = a.claim(&mut client, 1).unwrap();
    assert!(a.ran(&mut client, &taken[0], EventStatus::Done).unwrap());
    std::thread::sleep(Duration::from_millis(20));
    let b = Claimer::new("b", Duration::from_secs(30));
    assert_eq!(claimed(&b.claim(&mut client, 1).unwrap()), [first]);
    let server = |name: &str| {
        weir::serve::db::postgres::open(&format!("{url}?application_name={name}"))
            .expect("a connection")
    };
    let settle = |name: &str| weir::serve::outbox::settle_event(&server(name), first, None);
    assert_eq!(
        settle("a").unwrap(),
        None,
        "a's lease ran out: not a's to settle"
    );
    assert_eq!(settle("b").unwrap(), Some(EventStatus::Done));
    assert_eq!(settle("b").unwrap(), None, "settled once");
}
