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

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use super::claims::{Claim, Claimer};
use super::shared::{self, Reader};
use super::worker::{self, Worker};

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

/// A connection of its own to the journal at `url`.
pub(super) fn connect(url: &str) -> Result<Client, String> {
    let config: postgres::Config = url.parse().map_err(|e: postgres::Error| e.to_string())?;
    config.connect(NoTls).map_err(|e| e.to_string())
}

/// Runs the events this server claims until told to stop, then lets go of those it holds.
pub fn drain(worker: &mut Worker, wake: &mpsc::Receiver<()>, stop: &Arc<AtomicBool>) {
    let location = worker.journal().location().to_path_buf();
    let journal = worker.journal().path().to_string();
    let report = |what: &str, err: &dyn std::fmt::Display| {
        eprintln!("error: cannot use the journal `{journal}`: {what}: {err}");
    };
    let Some((url, owner)) = url_and_name(&location) else {
        report("it names no server", &"it is not a PostgreSQL URL");
        return;
    };
    let mut client = match connect(&url) {
        Ok(client) => client,
        Err(err) => return report("cannot connect", &err),
    };
    let mut reader = match Reader::start(&mut client, &owner) {
        Ok(reader) => reader,
        Err(err) => return report("cannot read what the other servers add", &err),
    };
    worker.set_claimed();
    let claimer = Claimer::new(owner, LEASE);
    let renewing = renew(url, claimer.clone(), Arc::clone(stop));
    while !stop.load(Ordering::SeqCst) {
        let claims = match claimer.claim(&mut client, BATCH) {
            Ok(claims) => claims,
            Err(err) => {
                report("cannot claim events", &err);
                Vec::new()
            }
        };
        if claims.is_empty() {
            // Events accepted here wake the worker; those accepted by others are polled for.
            let _ = wake.recv_timeout(Duration::from_millis(100));
            while wake.try_recv().is_ok() {}
            if let Err(err) = worker.run_releases() {
                eprintln!("error: {err}");
            }
            continue;
        }
        let taken: Vec<i64> = claims.iter().map(|c| c.event.id).collect();
        if let Err(err) = run_claimed(worker, &mut client, &mut reader, claims, stop) {
            report("cannot run the events claimed", &err);
            // Those not recorded go to whichever server claims them next.
            if let Err(err) = claimer.let_go_of(&mut client, &taken) {
                report("cannot let go of its events", &err);
            }
        }
    }
    if let Err(err) = worker.save_simulator() {
        eprintln!("error: {err}");
    }
    if let Err(err) = claimer.let_go(&mut client) {
        report("cannot let go of its events", &err);
    }
    let _ = renewing.join();
}

/// The journal's URL and this server's name in it.
pub(super) fn url_and_name(location: &Path) -> Option<(String, String)> {
    let url = location.to_str()?;
    Some((url.to_string(), name_in(url)?.to_string()))
}

/// Runs a batch of claims: what the others added taken in first, the run budget set to the
/// cluster's; events taken over with only writes left have those writes sent.
fn run_claimed(
    worker: &mut Worker,
    client: &mut Client,
    reader: &mut Reader,
    claims: Vec<Claim>,
    stop: &AtomicBool,
) -> Result<(), String> {
    let program = worker.program();
    let added = reader.read(client).map_err(|e| e.to_string())?;
    shared::take_in(worker, &program, &added);
    let window = shared::budget_window(client).map_err(|e| e.to_string())?;
    let spent = shared::spent(client, window).map_err(|e| e.to_string())?;
    shared::set_runs_spent(worker, &program, &spent);
    let before = shared::runs_spent(worker, &program);
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
        worker.hold(finished);
        if worker.writing() >= worker::GROUP {
            worker.commit(&[]).map_err(|e| e.to_string())?;
        }
    }
    worker.commit(&[]).map_err(|e| e.to_string())?;
    let after = shared::runs_spent(worker, &program);
    let made: Vec<(String, u64)> = after
        .into_iter()
        .zip(before)
        .map(|((name, now), (_, was))| (name, now.saturating_sub(was)))
        .collect();
    shared::spend(client, window, &made).map_err(|e| e.to_string())
}

/// Renews this server's leases every third of [`LEASE`] on a connection of its own, until
/// told to stop.
fn renew(url: String, claimer: Claimer, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut client = None;
        let mut last = Instant::now();
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            if last.elapsed() < LEASE / 3 {
                continue;
            }
            last = Instant::now();
            if client.is_none() {
                client = connect(&url).ok();
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
