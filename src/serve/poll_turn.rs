//! Which server polls the apps when several share a PostgreSQL journal: the one that holds a
//! session advisory lock on a connection of its own. The others try to take it at each tick of
//! their poller, so that when the server that polls stops or dies (its connection closes, and
//! PostgreSQL lets the lock go), another takes over, at once polling what is due.
//!
//! ```text
//! server a starts → takes the lock → polls     weir serve: this server (weir-71-…) polls the apps
//! server b starts → the lock is a's → waits    weir serve: another server polls the apps; …
//! a is killed     → the lock goes   → b takes it at its next tick, and polls
//! ```
//!
//! A poll's events have keys, so two servers polling at once would run nothing twice; the lock
//! spares the apps the second server's requests. A server on a SQLite journal is alone, and
//! always polls.

use std::path::Path;
use std::time::Duration;

use postgres::Client;

use super::cluster;
use super::db::postgres::{POLLING, connect, url_of};

/// How long the server that polls waits for its connection to answer before it takes it for
/// lost (and the lock with it).
const ALIVE: Duration = Duration::from_secs(5);

/// Whether this server polls: always when alone on its journal (`None`), while it holds the
/// lock when it shares it.
pub struct PollTurn(Option<Shared>);

/// The lock's side of a shared journal.
struct Shared {
    url: String,
    /// This server's name, in what it says.
    name: String,
    /// The connection the lock is tried on, and held by once taken.
    client: Option<Client>,
    held: bool,
    /// What was said last: that this server polls, or that another does.
    said: Option<bool>,
    /// Whether the last try failed (said once, not at every tick).
    failing: bool,
}

impl PollTurn {
    /// The turn of the server serving `journal`: shared on PostgreSQL.
    pub fn of(journal: &Path) -> PollTurn {
        let shared = url_of(journal)
            .and_then(|_| cluster::url_and_name(journal))
            .map(|(url, name)| Shared {
                url,
                name,
                client: None,
                held: false,
                said: None,
                failing: false,
            });
        PollTurn(shared)
    }

    /// Whether this server polls now, the lock taken if it is free; a change is said on
    /// standard output.
    pub fn ours(&mut self) -> bool {
        self.0.as_mut().is_none_or(Shared::ours)
    }
}

impl Shared {
    fn ours(&mut self) -> bool {
        match self.hold() {
            Ok(held) => {
                self.held = held;
                self.failing = false;
            }
            Err(err) => {
                // A connection lost lets go of the lock: tried again on a new one.
                self.client = None;
                self.held = false;
                if !self.failing {
                    eprintln!(
                        "warning: `{}` cannot take or keep the polls' lock, and tries again: {err}",
                        self.name
                    );
                }
                self.failing = true;
            }
        }
        if self.said != Some(self.held) {
            self.said = Some(self.held);
            if self.held {
                super::say(format_args!(
                    "weir serve: this server ({}) polls the apps",
                    self.name
                ));
            } else {
                super::say(format_args!(
                    "weir serve: another server polls the apps; this one ({}) takes over if it stops",
                    self.name
                ));
            }
        }
        self.held
    }

    /// Whether this server holds the lock: kept if it did and its connection still answers,
    /// else taken if it is free.
    fn hold(&mut self) -> Result<bool, String> {
        if self.client.is_none() {
            self.client = Some(connect(&self.url)?);
        }
        let Some(client) = &mut self.client else {
            return Ok(false);
        };
        if self.held {
            return client
                .is_valid(ALIVE)
                .map(|()| true)
                .map_err(|e| e.to_string());
        }
        client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&POLLING])
            .and_then(|row| row.try_get(0))
            .map_err(|e| e.to_string())
    }
}
