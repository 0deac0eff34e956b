//! The worker's loop on a PostgreSQL journal, which any number of `weir serve` share: it runs
//! the events it claims ([`super::claims`]), after taking in what the other servers added
//! ([`super::shared`]), rather than every queued event in order.
//!
//! ```text
//! weir serve shop.weir --listen 10.0.0.1:8080 --journal postgres://weir@db/weir   # server a
//! weir serve shop.weir --listen 10.0.0.2:8080 --journal postgres://weir@db/weir   # server b
//!     # a load balancer spreads webhooks over both; each event runs once, on one of them,
//!     # every record's events in order; kill one, and the other takes its events over
//!     # once their leases run out (LEASE)
//! ```
//!
//! Each server names itself (`weir-PID-RANDOM`) and gives every connection to the journal that
//! name (`application_name`): its leases are held under it, and the rows it adds are known as
//! its own by it. A thread renews its leases every third of [`LEASE`]. At a clean stop it lets
//! go of the events it holds, whose writes not sent are then sent by another server.
//!
//! Each batch runs in a window of the cluster's run budget, whose runs the engine is granted a
//! few at a time and gives back unused at the batch's end ([`prepare`], [`conclude`]). Every
//! second the server counts the journal's events for `/health` and `--max-queued`. A connection
//! lost (the database restarted) is made again at the next turn of the loop; a server whose
//! journal cannot number a record stops, its events left to the others.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use postgres::Client;

use super::claims::{Claim, Claimer};
use super::db::postgres::connect;
use super::granted;
use super::shared::{self, Reader};
use super::worker::{self, Worker};
use crate::program::Program;

/// How long a server's claim on an event lasts unless renewed: how long the others wait for
/// the events of a server that was killed.
pub const LEASE: Duration = Duration::from_secs(10);

/// Events claimed at once.
const BATCH: i64 = 64;

/// The writes planned and not sent past which the worker waits to run more.
const BACKLOG: usize = 50_000;

/// A new name for this server, unique among the servers of a journal.
pub fn name() -> String {
    format!("weir-{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// The journal's URL with its connections named `name` (any name the URL gave is replaced:
/// each server needs its own).
pub fn named(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("application_name="))
        .collect();
    let own = format!("application_name={name}");
    pairs.push(&own);
    format!("{base}?{}", pairs.join("&"))
}

/// The server's name in a URL made by [`named`].
fn name_in(url: &str) -> Option<&str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|p| p.strip_prefix("application_name="))
}

/// The warning for a script with simulated apps, served on a journal several servers may
/// share: each server keeps its own copy of their records.
pub fn simulated_apps(program: &Program) -> Option<String> {
    let names: Vec<String> = program
        .apps
        .iter()
        .filter(|a| a.declared && a.location.is_none())
        .map(|a| format!("`{}`", a.name))
        .collect();
    let (last, rest) = names.split_last()?;
    let (named, are, their) = match rest {
        [] => (last.clone(), "is", "its"),
        _ => (format!("{} and {last}", rest.join(", ")), "are", "their"),
    };
    Some(format!(
        "warning: {named} {are} simulated in this server's memory: each server on a shared journal keeps its own copy of {their} records\nhelp: serve this script from one server only, or give each such app the address of a real one (`app NAME at \"https://…\"`)"
    ))
}

/// Runs the events this server claims until told to stop, then lets go of those it holds;
/// why it could not go on, if it stopped before it was told to.
pub fn drain(
    worker: &mut Worker,
    wake: &mpsc::Receiver<()>,
    stop: &Arc<AtomicBool>,
) -> Result<(), String> {
    let location = worker.journal().location().to_path_buf();
    let journal = worker.journal().path().to_string();
    let fail = |what: &str, err: &dyn std::fmt::Display| {
        format!("cannot use the journal `{journal}`: {what}: {err}")
    };
    let (url, owner) = url_and_name(&location)
        .ok_or_else(|| fail("it names no server", &"it is not a PostgreSQL URL"))?;
    let mut client = connect(&url).map_err(|e| fail("cannot connect", &e))?;
    let mut reader = Reader::start(&mut client, &owner)
        .map_err(|e| fail("cannot read what the other servers add", &e))?;
    worker.set_claimed();
    let granting = share_grants(worker, &url).map_err(|e| fail("cannot connect", &e))?;
    let claimer = Claimer::new(owner, LEASE);
    let done = Arc::new(AtomicBool::new(false));
    let renewing = renew(url.clone(), claimer.clone(), Arc::clone(&done));
    let mut stopped = Ok(());
    // Events of a batch that failed, to let go of (again, once the journal is back).
    let mut let_go: Vec<i64> = Vec::new();
    let mut next_count = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if Instant::now() >= next_count {
            let started = Instant::now();
            count(worker);
            // A count of a large journal takes a while: it is then made less often.
            next_count = Instant::now() + COUNTED.max(started.elapsed() * 10);
        }
        if client.is_closed() {
            // The journal restarted, or the network was cut: connected again once it is back.
            match connect(&url) {
                Ok(again) => client = again,
                Err(err) => {
                    eprintln!("error: {}", fail("cannot connect again", &err));
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            }
        }
        let claims = claimer.claim(&mut client, BATCH).unwrap_or_else(|err| {
            eprintln!("error: {}", fail("cannot claim events", &err));
            Vec::new()
        });
        if claims.is_empty() {
            // Events accepted here wake the worker; those accepted by others are polled for.
            let _ = wake.recv_timeout(Duration::from_millis(100));
            while wake.try_recv().is_ok() {}
            if let Err(err) = run_releases(worker, &mut client, &mut reader, &granting) {
                if let Some(why) = unnumbered(worker) {
                    stopped = Err(why);
                    break;
                }
                eprintln!("error: {}", fail("cannot run the events released", &err));
            }
            continue;
        }
        let taken: Vec<i64> = claims.iter().map(|c| c.event.id).collect();
        if let Err(err) = run_claimed(worker, &mut client, &mut reader, &granting, claims, stop) {
            if worker.unnumbered().is_none() {
                eprintln!("error: {}", fail("cannot run the events claimed", &err));
            }
            // Those not recorded go to whichever server claims them next.
            worker.forget_unrecorded();
            let_go.extend(taken);
            if let Some(why) = unnumbered(worker) {
                stopped = Err(why);
                break;
            }
            // Not at once again: what failed may take a moment to come back.
            std::thread::sleep(Duration::from_millis(200));
        }
        let_go_of(&claimer, &mut client, &mut let_go, &fail);
    }
    if let Err(err) = worker.save_simulator() {
        eprintln!("error: {err}");
    }
    let_go_of(&claimer, &mut client, &mut let_go, &fail);
    if let Err(err) = claimer.let_go(&mut client) {
        eprintln!("error: {}", fail("cannot let go of its events", &err));
    }
    done.store(true, Ordering::SeqCst);
    let _ = renewing.join();
    stopped
}

/// Why this server stops, where its journal gave no number to a record.
fn unnumbered(worker: &Worker) -> Option<String> {
    let why = worker.unnumbered()?;
    Some(format!("{why}; its events go to the other servers"))
}

/// Lets go of the events of batches that failed, for any server to claim; those it could not
/// (the journal is away) are tried again at the next turn, as the lease thread would otherwise
/// renew them for as long as this server runs.
fn let_go_of(
    claimer: &Claimer,
    client: &mut Client,
    events: &mut Vec<i64>,
    fail: &dyn Fn(&str, &dyn std::fmt::Display) -> String,
) {
    if events.is_empty() || client.is_closed() {
        return;
    }
    match claimer.let_go_of(client, events) {
        Ok(_) => events.clear(),
        Err(err) => eprintln!("error: {}", fail("cannot let go of its events", &err)),
    }
}

/// How often a server counts the journal's events, which every server moves on: every second,
/// or ten times as long as a count takes.
const COUNTED: Duration = Duration::from_secs(1);

/// Sets the counts of `/health` (and of `--max-queued`) to those of the journal, for the whole
/// cluster: each server counts only what it accepts and finishes itself.
fn count(worker: &Worker) {
    let Some(counters) = worker.counters() else {
        return;
    };
    match worker.journal().tally() {
        Ok(tally) => counters.set(&tally),
        Err(err) => eprintln!("error: {err}"),
    }
}

/// What the journal grants this server's engine ([`granted`]): the window of the run budget,
/// which the server sets for each batch, and the connection it is granted on.
struct Granting {
    window: Arc<AtomicI64>,
    link: granted::Link,
}

/// Lets the worker's engine be granted runs from the cluster's run budget and have the windows
/// of its rate limits opened once for the cluster, on a connection of its own.
fn share_grants(worker: &mut Worker, url: &str) -> Result<Granting, String> {
    let window = Arc::new(AtomicI64::new(i64::MIN));
    let link = granted::Link::new(url)?;
    let (program, running) = (worker.program(), worker.running());
    let engine = worker.engine_mut();
    let runs = granted::Granted::new(link.clone(), &program, Arc::clone(&window));
    engine.share_budget(Box::new(runs));
    let windows = granted::Opened::new(link.clone(), &program, running);
    engine.share_limits(Box::new(windows));
    Ok(Granting { window, link })
}

/// The journal's URL and this server's name in it.
pub(super) fn url_and_name(location: &Path) -> Option<(String, String)> {
    let url = location.to_str()?;
    Some((url.to_string(), name_in(url)?.to_string()))
}

/// Before a batch: what the others added taken in, and the run budget renewed when a new
/// window began; the window.
fn prepare(
    worker: &mut Worker,
    client: &mut Client,
    reader: &mut Reader,
    granting: &Granting,
) -> Result<i64, String> {
    let added = reader.read(client).map_err(|e| e.to_string())?;
    shared::take_in(worker, &worker.program(), &added);
    let window = granted::budget_window(client).map_err(|e| e.to_string())?;
    if granting.window.swap(window, Ordering::SeqCst) != window {
        worker.renew_budget();
    }
    // A question of the last batch left unanswered is that batch's, not this one's.
    let _ = granting.link.failure();
    Ok(window)
}

/// After a batch: the runs the engine was granted and did not start go back to the budget.
fn conclude(worker: &mut Worker, client: &mut Client, window: i64) -> Result<(), String> {
    let unused = granted::unused(worker, &worker.program());
    granted::give_back(client, window, &unused).map_err(|e| e.to_string())
}

/// Runs the events `weir replay` released that this server took off its list, as a batch.
fn run_releases(
    worker: &mut Worker,
    client: &mut Client,
    reader: &mut Reader,
    granting: &Granting,
) -> Result<(), String> {
    let ids = worker.take_releases().map_err(|e| e.to_string())?;
    if ids.is_empty() {
        return Ok(());
    }
    let ran = prepare(worker, client, reader, granting).and_then(|window| {
        let ran = worker.run_released(&ids).map_err(|e| e.to_string());
        let ran = ran.and_then(|_| granting.link.failure().map_or(Ok(()), Err));
        conclude(worker, client, window).and(ran)
    });
    if ran.is_err() {
        // Asked for again, for this server or another to run once the journal answers (one
        // that ran and was recorded is done, and is passed over then).
        worker.forget_unrecorded();
        for id in &ids {
            let _ = worker.journal().request_release(*id);
        }
    }
    ran.map(|_| ())
}

/// Runs a batch of claims ([`prepare`], [`conclude`]); events taken over with only writes
/// left have those writes sent.
fn run_claimed(
    worker: &mut Worker,
    client: &mut Client,
    reader: &mut Reader,
    granting: &Granting,
    claims: Vec<Claim>,
    stop: &AtomicBool,
) -> Result<(), String> {
    let window = prepare(worker, client, reader, granting)?;
    let (sending, running): (Vec<Claim>, Vec<Claim>) = claims.into_iter().partition(|c| c.sending);
    if !sending.is_empty() {
        let events: Vec<i64> = sending.iter().map(|c| c.event.id).collect();
        let rows = worker.rows_of(&events).map_err(|e| e.to_string())?;
        worker.send_again(rows);
    }
    for claim in &running {
        // Writes not sent are bounded: a slow app slows the runs rather than fill memory.
        while worker.backlog() > BACKLOG && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if stop.load(Ordering::SeqCst) {
            // Not run: let go of at the stop, for another server.
            break;
        }
        let finished = worker.run(&claim.event, false);
        if let Some(why) = worker.unnumbered() {
            return Err(why.to_string());
        }
        if let Some(why) = granting.link.failure() {
            // A run granted or limited without the journal's word: the batch runs again.
            return Err(format!("cannot ask the journal for runs or windows: {why}"));
        }
        worker.hold(finished);
        if worker.writing() >= worker::GROUP {
            worker.commit(&[]).map_err(|e| e.to_string())?;
        }
    }
    worker.commit(&[]).map_err(|e| e.to_string())?;
    conclude(worker, client, window)
}

/// Renews this server's leases every third of [`LEASE`] on a connection of its own, which also
/// holds the server's share of the serving lock, until the worker is done.
fn renew(url: String, claimer: Claimer, done: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut client = None;
        let mut last = Instant::now();
        while !done.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            if last.elapsed() < LEASE / 3 {
                continue;
            }
            last = Instant::now();
            if client.is_none() {
                // The serving lock too, on each new connection: a database that restarted let
                // go of the one taken at the start, which `weir replay` looks at.
                client = connect(&url).ok().and_then(|mut c| {
                    super::db::postgres::share_serving(&mut c).ok()?;
                    Some(c)
                });
            }
            if let Some(c) = &mut client
                && let Err(err) = claimer.renew(c)
            {
                eprintln!(
                    "warning: the leases of `{}` were not renewed: {err}",
                    claimer.owner()
                );
                client = None;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_with_simulated_apps_is_warned_of_on_a_shared_journal() {
        let program = |script: &str| {
            let loaded = crate::load::parse_all(vec![("s.weir".into(), script.into())]);
            crate::check::check(&loaded.scripts, &loaded.sources).program
        };
        let real = program("app Crm at \"http://127.0.0.1:9\" { contact { name: text } }\n");
        assert_eq!(simulated_apps(&real), None);
        let two = program(
            "app Shop { order { name: text } }\napp Crm { contact { name: text } }\n\
             app Desk at \"http://127.0.0.1:9\" { ticket { name: text } }\n",
        );
        let warning = simulated_apps(&two).unwrap_or_default();
        assert!(
            warning.starts_with("warning: `Shop` and `Crm` are simulated in this server's memory"),
            "{warning}"
        );
    }

    #[test]
    fn each_server_names_its_connections_itself() {
        assert_eq!(
            named("postgres://weir@db/weir", "weir-1-a"),
            "postgres://weir@db/weir?application_name=weir-1-a"
        );
        let given = "postgres://weir@db/weir?sslmode=disable&application_name=shared";
        let url = named(given, "weir-2-b");
        assert_eq!(
            url,
            "postgres://weir@db/weir?sslmode=disable&application_name=weir-2-b"
        );
        assert_eq!(name_in(&url), Some("weir-2-b"));
        assert_ne!(name(), name());
    }
}
