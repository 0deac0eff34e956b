//! The journal's marker: a small file beside the journal (`weir.db.id`) that says what the
//! journal held, so that a journal reset, replaced, cut short or corrupted is noticed at start
//! instead of silently starting again.
//!
//! ```text
//! weir.db.id:  weir journal marker v1 / instance 5f0c… / events 41
//! weir.db holds events #1–#41                  → serves
//! weir.db truncated to 0 bytes (or deleted)    → refused: 41 accepted events are missing
//! weir.db-wal deleted after a kill -9          → refused: events #38–#41 are missing
//! weir.db with damaged pages                   → refused: SQLite's check names the damage
//! ```
//!
//! The marker is written after every group of accepted events is synced (in place, see
//! [`Writer`]), so it never counts an event the journal does not have; it is not synced itself, so after a power cut it may
//! count fewer, which only makes the check less strict. A journal without a marker (made by an
//! older weir, or the marker removed) is taken as it is, and gets one.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// What the marker remembers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub instance: String,
    /// The highest event number accepted into the journal.
    pub events: i64,
}

/// The marker's file: the journal's name with `.id` added.
pub fn path_of(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".id");
    PathBuf::from(name)
}

const HEADER: &str = "weir journal marker v1";

/// Reads the marker of a journal, if it has one that can be read.
pub fn read(journal: &Path) -> Option<Marker> {
    let text = std::fs::read_to_string(path_of(journal)).ok()?;
    let mut lines = text.lines();
    (lines.next()? == HEADER).then_some(())?;
    let instance = lines.next()?.strip_prefix("instance ")?.to_string();
    let events = lines.next()?.strip_prefix("events ")?.parse().ok()?;
    Some(Marker { instance, events })
}

/// Writes the marker (to a new file, then renamed over the old one, readable by the owner
/// only).
pub fn write(journal: &Path, marker: &Marker) -> std::io::Result<()> {
    use std::io::Write;
    let target = path_of(journal);
    let mut temporary = target.clone().into_os_string();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(text(marker).as_bytes())?;
    drop(file);
    std::fs::rename(&temporary, &target)
}

/// Keeps the marker's file open to write it again after every group of accepted events: one
/// write in place, with no new file and no rename on the path that answers requests. The text
/// only grows (the count goes up), so it never leaves old bytes behind; a write cut short by a
/// power cut leaves a marker that does not read, taken as no marker.
pub struct Writer {
    /// None for a PostgreSQL journal, which has no file to lose.
    file: Option<std::fs::File>,
    marker: Marker,
}

impl Writer {
    /// Writes the marker anew (see [`write`]) and keeps it open.
    pub fn create(journal: &Path, marker: Marker) -> std::io::Result<Writer> {
        write(journal, &marker)?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path_of(journal))?;
        Ok(Writer {
            file: Some(file),
            marker,
        })
    }

    /// A writer that keeps no file (a PostgreSQL journal).
    pub fn none(marker: Marker) -> Writer {
        Writer { file: None, marker }
    }

    /// Records that events up to `last` were accepted.
    pub fn accepted(&mut self, last: i64) -> std::io::Result<()> {
        use std::io::{Seek, Write};
        if last <= self.marker.events {
            return Ok(());
        }
        self.marker.events = last;
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        file.seek(std::io::SeekFrom::Start(0))?;
        file.write_all(text(&self.marker).as_bytes())
    }
}

fn text(marker: &Marker) -> String {
    format!(
        "{HEADER}\ninstance {}\nevents {}\n",
        marker.instance, marker.events
    )
}

/// A warning for a journal that others may read: one made by an older weir, or opened up by
/// hand. weir leaves its mode as the operator set it (new journals are `0600`), but says so.
pub fn open_to_others(journal: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(journal).ok()?.permissions().mode() & 0o777;
        let name = journal.display();
        (mode & 0o077 != 0).then(|| {
            format!(
                "warning: the journal `{name}` can be read by other users of this machine (mode {mode:o}), and it holds records\nhelp: make it private with `chmod 600 {name}`"
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = journal;
        None
    }
}

/// What is wrong with a journal, in one sentence, with what was lost where that is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub what: String,
    /// Accepted events that are not in the journal.
    pub missing: Option<i64>,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

/// Checks a journal against its marker before anything opens it for writing: SQLite's
/// `quick_check`, then whether it still holds every event and the instance key the marker
/// counts.
pub fn check(journal: &Path) -> Result<(), Damage> {
    let name = journal.display();
    let marker = read(journal);
    if !journal.exists() {
        return match marker {
            Some(m) if m.events > 0 => Err(Damage {
                what: format!(
                    "the journal `{name}` is gone, but {} accepted events were in it (its marker `{}` says so)",
                    m.events,
                    path_of(journal).display()
                ),
                missing: Some(m.events),
            }),
            _ => Ok(()),
        };
    }
    let damaged = |reason: String| Damage {
        what: format!("the journal `{name}` is damaged: {reason}"),
        missing: None,
    };
    let conn = Connection::open_with_flags(
        journal,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| damaged(e.to_string().to_lowercase()))?;
    quick_check(&conn).map_err(damaged)?;
    let Some(marker) = marker else {
        return Ok(());
    };
    let read = |e: rusqlite::Error| damaged(e.to_string().to_lowercase());
    // A journal reset to nothing has no tables: read as no events and no instance key.
    let last: i64 = match has_table(&conn, "events").map_err(read)? {
        true => conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))
            .map_err(read)?,
        false => 0,
    };
    if last < marker.events {
        let missing = marker.events - last;
        let which = if last == 0 {
            format!("it holds no events, but {missing} were accepted into it")
        } else {
            format!(
                "it ends at event #{last}, but events up to #{} were accepted: {missing} accepted event{} missing (#{}–#{})",
                marker.events,
                if missing == 1 { " is" } else { "s are" },
                last + 1,
                marker.events
            )
        };
        return Err(Damage {
            what: format!("the journal `{name}` was reset or cut short: {which}"),
            missing: Some(missing),
        });
    }
    let instance: Option<String> = match has_table(&conn, "meta").map_err(read)? {
        true => conn
            .query_row("SELECT value FROM meta WHERE key = 'instance'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(read)?,
        false => None,
    };
    if let Some(instance) = instance
        && instance != marker.instance
    {
        return Err(Damage {
            what: format!(
                "the journal `{name}` is not the one its marker `{}` belongs to (instance `{instance}`, not `{}`): it was replaced",
                path_of(journal).display(),
                marker.instance
            ),
            missing: None,
        });
    }
    Ok(())
}

/// SQLite's own check of the journal's file: the first of its problems, and how many.
fn quick_check(conn: &Connection) -> Result<(), String> {
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| e.to_string().to_lowercase())?;
    if problems.first().map(String::as_str) == Some("ok") {
        return Ok(());
    }
    // One row may hold several problems, a line each, under a `*** in database … ***`
    // heading: count and quote the lines that are problems.
    let problems: Vec<&str> = problems
        .iter()
        .flat_map(|row| row.lines())
        .filter(|line| !line.trim().is_empty() && !line.starts_with("*** "))
        .collect();
    let first = problems.first().copied().unwrap_or("no detail");
    Err(format!(
        "SQLite's check finds {} problem{}, the first: {first}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    ))
}

fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_counts_up_in_place_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("weir-marker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let journal = dir.join("weir.db");
        let start = Marker {
            instance: "ab12".into(),
            events: 9,
        };
        let mut writer = Writer::create(&journal, start.clone()).unwrap();
        assert_eq!(read(&journal), Some(start));
        for last in [10, 4, 100] {
            writer.accepted(last).unwrap();
        }
        let now = read(&journal).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(now.events, 100);
    }
}
