//! What the servers on one PostgreSQL journal share, on a real one (a throwaway cluster per
//! test): each reads the rows the others add, once, even those a transaction committed late,
//! and never its own; the run budget is granted from one count for all of them.

#[path = "common/postgres.rs"]
#[allow(dead_code, reason = "each test uses the parts of the cluster it needs")]
mod throwaway;

use postgres::{Client, NoTls};
use std::path::Path;

use weir::serve::db::Db;
use weir::serve::granted;
use weir::serve::journal::Journal;
use weir::serve::shared::{self, Reader};

/// A journal with its tables on a cluster of its own, and its URL; `None` (the test is
/// skipped, saying why) where PostgreSQL is not installed.
fn journal(name: &str) -> Option<(throwaway::Cluster, String)> {
    let (cluster, url) = throwaway::journal_or_skip(name)?;
    // Opening the journal makes its tables.
    drop(Journal::open(Path::new(&url), true).expect("the journal"));
    Some((cluster, url))
}

/// A connection of server `name`.
fn server(url: &str, name: &str) -> Client {
    Client::connect(&format!("{url}?application_name={name}"), NoTls).expect("a connection")
}

/// The journal's own connection type, of server `name`.
fn db(url: &str, name: &str) -> Db {
    weir::serve::db::postgres::open(&format!("{url}?application_name={name}"))
        .expect("a connection")
}

fn link(client: &mut Client, a: &str, b: &str) {
    client
        .execute("INSERT INTO links (a, b) VALUES ($1, $2)", &[&a, &b])
        .unwrap();
}

#[test]
fn a_server_reads_what_the_others_add_once_and_not_what_it_adds() {
    let Some((_cluster, url)) = journal("shared-rows") else {
        return;
    };
    let (mut a, mut b) = (server(&url, "a"), server(&url, "b"));
    let mut reader = Reader::start(&mut a, "a").unwrap();
    b.batch_execute(
        "INSERT INTO actions (key, run, entity, method, record, at)
           VALUES ('i-1/1', 1, 'Crm/contact', 'create', 7, 0);
         INSERT INTO ids (entity, app_id, local) VALUES ('Crm/contact', 'c-3', 7);
         INSERT INTO links (a, b) VALUES ('Shop/order/1', 'Crm/contact/7');
         INSERT INTO ledger (kind, record, fields, print, chain, at)
           VALUES ('created', 'Crm/contact/7', '[]', 42, '[]', 0);",
    )
    .unwrap();
    link(&mut a, "Shop/order/2", "Crm/contact/8");
    let added = reader.read(&mut a).unwrap();
    assert_eq!(added.actions, [("i-1/1".to_string(), 7)]);
    assert_eq!(
        added.ids,
        [("Crm/contact".to_string(), Some("c-3".to_string()), 7)]
    );
    assert_eq!(
        added.links,
        [("Shop/order/1".to_string(), "Crm/contact/7".to_string())]
    );
    assert_eq!(added.ledger.len(), 1);
    assert_eq!(
        (added.ledger[0].print, &*added.ledger[0].kind),
        (42, "created")
    );
    assert!(reader.read(&mut a).unwrap().is_empty(), "read once");
    // An entry written again is read again.
    b.execute(
        "INSERT INTO ids (entity, app_id, local) VALUES ('Crm/contact', 'c-3', 9)
         ON CONFLICT (entity, app_id) DO UPDATE SET local = excluded.local",
        &[],
    )
    .unwrap();
    let again = reader.read(&mut a).unwrap();
    assert_eq!(
        again.ids,
        [("Crm/contact".to_string(), Some("c-3".to_string()), 9)]
    );
}

#[test]
fn a_row_an_older_transaction_commits_late_is_not_missed() {
    let Some((_cluster, url)) = journal("shared-late") else {
        return;
    };
    let mut a = server(&url, "a");
    let mut reader = Reader::start(&mut a, "a").unwrap();
    let mut slow = server(&url, "b");
    let mut fast = server(&url, "b");
    let mut late = slow.transaction().unwrap();
    late.execute(
        "INSERT INTO links (a, b) VALUES ('Shop/order/1', 'Crm/contact/1')",
        &[],
    )
    .unwrap();
    link(&mut fast, "Shop/order/2", "Crm/contact/2");
    let first = reader.read(&mut a).unwrap();
    assert_eq!(first.links.len(), 1);
    assert_eq!(first.links[0].0, "Shop/order/2");
    late.commit().unwrap();
    let second = reader.read(&mut a).unwrap();
    assert_eq!(
        second.links,
        [("Shop/order/1".to_string(), "Crm/contact/1".to_string())],
        "the row committed late is read, and the other not again"
    );
    assert!(reader.read(&mut a).unwrap().is_empty());
}

#[test]
fn the_run_budget_is_granted_from_one_count_and_held_events_counted_for_every_server() {
    let Some((_cluster, url)) = journal("shared-budget") else {
        return;
    };
    let (mut a, mut b) = (server(&url, "a"), server(&url, "b"));
    let window = granted::budget_window(&mut a).unwrap();
    assert_eq!(window % granted::BUDGET_WINDOW_MS, 0);
    // Four servers ask at once, each on its own connection, until nothing is left: together
    // they are granted the budget, not a run more.
    let max = 700;
    let asking: Vec<_> = (0..4)
        .map(|i| {
            let mut client = server(&url, &format!("s{i}"));
            std::thread::spawn(move || {
                let mut granted = 0;
                loop {
                    match granted::grant(&mut client, "notify", window, max).unwrap() {
                        0 => return granted,
                        n => granted += n,
                    }
                }
            })
        })
        .collect();
    let granted: Vec<u64> = asking.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        granted.iter().sum::<u64>(),
        max,
        "granted by server: {granted:?}"
    );
    assert_eq!(granted::grant(&mut a, "notify", window, max).unwrap(), 0);
    // Runs given back are granted again; another workflow has its own count.
    granted::give_back(&mut a, window, &[("notify".into(), 3), ("sync".into(), 0)]).unwrap();
    assert_eq!(
        granted::spent(&mut b, window).unwrap().get("notify"),
        Some(&697)
    );
    assert_eq!(granted::grant(&mut b, "notify", window, max).unwrap(), 1);
    assert_eq!(granted::grant(&mut b, "sync", window, max).unwrap(), 87);
    // A window two before the present is dropped when runs are given back.
    let old = window - granted::BUDGET_WINDOW_MS;
    assert_eq!(granted::grant(&mut b, "notify", old, 16).unwrap(), 2);
    granted::give_back(&mut a, window + granted::BUDGET_WINDOW_MS, &[]).unwrap();
    assert!(granted::spent(&mut b, old).unwrap().is_empty());
    b.batch_execute(
        "INSERT INTO events (app, entity, kind, record, received, status)
           VALUES ('Crm', 'contact', 'updated', '{}', 0, 'held')",
    )
    .unwrap();
    assert_eq!(shared::held(&mut a).unwrap(), 1);
}

#[test]
fn records_are_numbered_once_for_every_server() {
    let Some((_cluster, url)) = journal("shared-numbers") else {
        return;
    };
    let (a, b) = (db(&url, "a"), db(&url, "b"));
    let contact = "Crm/contact";
    let first = shared::number(&a, contact, "c-3", 1).unwrap();
    assert_eq!(first, 1);
    // The same record, met by another server: the same number.
    assert_eq!(shared::number(&b, contact, "c-3", 1).unwrap(), first);
    // Others, on either server: numbers of their own, past what the asking server knows.
    let unnamed = shared::number(&b, contact, "", 1).unwrap();
    let other = shared::number(&a, contact, "c-4", 1).unwrap();
    let far = shared::number(&b, contact, "c-5", 40).unwrap();
    assert_eq!((unnamed, other, far), (2, 3, 40));
    assert_eq!(shared::number(&a, "Crm/deal", "", 1).unwrap(), 1);
    // Threads numbering the same records at once agree on each.
    let numbered: Vec<Vec<u64>> = (0..3)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client = db(&url, &format!("s{i}"));
                (0..20)
                    .map(|n| shared::number(&client, contact, &format!("d-{n}"), 1).unwrap())
                    .collect()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(numbered.iter().all(|n| n == &numbered[0]));
    let mut distinct = numbered[0].clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 20);
    assert!(distinct.iter().all(|n| *n > 40));
}

#[test]
fn a_rate_limits_window_is_opened_by_one_server_of_those_asking_at_once() {
    let Some((_cluster, url)) = journal("shared-windows") else {
        return;
    };
    let start = std::sync::Arc::new(std::sync::Barrier::new(4));
    // Four servers, each running its own event (1 to 4), open one device's window at once.
    let asking: Vec<_> = (1..=4)
        .map(|event| {
            let mut client = server(&url, &format!("s{event}"));
            let start = std::sync::Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let (now, key) = (1000 + event, ("page", "boiler-1"));
                granted::open_window(&mut client, key, now, 3600, event).unwrap()
            })
        })
        .collect();
    let opened: Vec<Option<i64>> = asking.into_iter().map(|t| t.join().unwrap()).collect();
    let first: Vec<&Option<i64>> = opened.iter().filter(|o| o.is_none()).collect();
    assert_eq!(first.len(), 1, "one server opens it: {opened:?}");
    let mut a = server(&url, "a");
    let at: i64 = a
        .query_one("SELECT at FROM limits_seen WHERE key = 'boiler-1'", &[])
        .unwrap()
        .get(0);
    assert!(
        opened.iter().flatten().all(|since| *since == at),
        "{opened:?} {at}"
    );
    let mut open = |key, now, event| granted::open_window(&mut a, ("page", key), now, 3600, event);
    // Another key has its own window.
    assert_eq!(open("boiler-2", 1500, 9).unwrap(), None);
    // Another event within the window is skipped; the event that opened it, run again after
    // its batch was not recorded, opens it again; past the window, any event opens it.
    assert_eq!(open("boiler-1", at + 3599, 9).unwrap(), Some(at));
    assert_eq!(open("boiler-1", at + 60, at - 1000).unwrap(), None);
    assert_eq!(open("boiler-1", at + 60 + 3599, 9).unwrap(), Some(at + 60));
    assert_eq!(open("boiler-1", at + 60 + 3600, 9).unwrap(), None);
}

#[test]
fn a_sync_pair_written_again_or_removed_is_read_again() {
    let Some((_cluster, url)) = journal("shared-pairs") else {
        return;
    };
    let (mut a, mut b) = (server(&url, "a"), server(&url, "b"));
    let mut reader = Reader::start(&mut a, "a").unwrap();
    let write = |client: &mut Client, pair: &str| {
        client
            .execute(
                "INSERT INTO sync_pairs (sync, left_record, pair) VALUES ('t', 'Helpdesk/ticket/1', $1)
                 ON CONFLICT (sync, left_record) DO UPDATE SET pair = excluded.pair",
                &[&pair],
            )
            .unwrap();
    };
    let pairs = |added: shared::Added| -> Vec<String> {
        added.pairs.into_iter().map(|(_, _, pair)| pair).collect()
    };
    write(&mut b, "v1");
    assert_eq!(pairs(reader.read(&mut a).unwrap()), ["v1"]);
    write(&mut b, "v2");
    assert_eq!(
        pairs(reader.read(&mut a).unwrap()),
        ["v2"],
        "written again, read again"
    );
    write(&mut a, "v3");
    assert!(reader.read(&mut a).unwrap().is_empty(), "its own write");
    b.execute("DELETE FROM sync_pairs WHERE sync = 't'", &[])
        .unwrap();
    assert_eq!(
        pairs(reader.read(&mut a).unwrap()),
        [""],
        "removed: an empty pair"
    );
    let journal = Journal::open(Path::new(&url), true).unwrap();
    assert!(journal.sync_pairs().unwrap().is_empty());
}
