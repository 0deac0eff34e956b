//! Reading script files: the checks a user's path must pass before parsing starts.
//!
//! A file is read up to a limit, never whole first: `weir check /dev/zero` says the file is too
//! large instead of filling the memory.

use std::io::Read;
use std::path::Path;

use crate::ast::Script;
use crate::diagnostic::{Diagnostic, Report};
use crate::source::SourceMap;
use crate::syntax;

/// Why a file could not be read as a script.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{0}`: there is no such file")]
    Missing(String),
    #[error("cannot read `{0}`: it is a directory; name the `.weir` files in it")]
    Directory(String),
    #[error(
        "cannot read `{path}`: it is not UTF-8 text (the byte at offset {offset} is not valid); save it as UTF-8"
    )]
    NotUtf8 { path: String, offset: usize },
    #[error("cannot read `{path}`: {reason}")]
    Unreadable { path: String, reason: String },
    #[error(
        "cannot read `{path}`: it is larger than {}, the most weir reads; split it into several files",
        show_size(*.limit)
    )]
    TooLarge { path: String, limit: u64 },
}

/// The largest script weir reads: far beyond any script a person writes (the longest example
/// is a few KiB), small enough that parsing it takes moments.
pub const SCRIPT_LIMIT: u64 = 4 << 20;

/// The largest data file (`--state`) weir reads.
pub const DATA_LIMIT: u64 = 1 << 30;

/// `4 MiB`, `1 GiB`.
pub fn show_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Reads a script's text, with errors that say what is wrong with the path.
pub fn read_text(path: &str) -> Result<String, LoadError> {
    read_text_up_to(path, SCRIPT_LIMIT)
}

/// Reads a file's text, refusing one larger than `limit` bytes (or a device that never ends).
pub fn read_text_up_to(path: &str, limit: u64) -> Result<String, LoadError> {
    let p = Path::new(path);
    if p.is_dir() {
        return Err(LoadError::Directory(path.to_string()));
    }
    let unreadable = |err: std::io::Error| match err.kind() {
        std::io::ErrorKind::NotFound => LoadError::Missing(path.to_string()),
        _ => LoadError::Unreadable {
            path: path.to_string(),
            reason: err.to_string().to_lowercase(),
        },
    };
    let file = std::fs::File::open(p).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            path: path.to_string(),
            limit,
        });
    }
    let text = String::from_utf8(bytes).map_err(|err| LoadError::NotUtf8 {
        path: path.to_string(),
        offset: err.utf8_error().valid_up_to(),
    })?;
    // Some editors start UTF-8 files with a byte-order mark; it is not part of the script.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok(match crate::source::normalize_line_ends(&text) {
        std::borrow::Cow::Owned(normal) => normal,
        std::borrow::Cow::Borrowed(_) => text,
    })
}

/// The scripts of one invocation, parsed, with the syntax errors of those that failed.
pub struct Loaded {
    pub sources: SourceMap,
    pub scripts: Vec<Script>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses texts already read, named as the user named them, and the files they `use`
/// (a text already given is not read again from disk).
pub fn parse_all(texts: Vec<(String, String)>) -> Loaded {
    let mut sources = SourceMap::new();
    let mut scripts = Vec::new();
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for (name, text) in texts {
        let file = sources.add(name, text);
        files.push(file);
        match syntax::parse_script_all(file, sources.text(file)) {
            Ok(script) => scripts.push(script),
            Err(errors) => diagnostics.extend(errors.iter().map(Report::report)),
        }
    }
    let mut follower = crate::uses::Follower::new(&mut sources);
    for file in files {
        follower.already_read(file);
    }
    follower.follow(&mut scripts, &mut diagnostics);
    Loaded {
        sources,
        scripts,
        diagnostics,
    }
}

/// Reads and parses files; the first unreadable one is an error.
pub fn load_files(paths: &[String]) -> Result<Loaded, LoadError> {
    let texts = paths
        .iter()
        .map(|path| Ok((path.clone(), read_text(path)?)))
        .collect::<Result<Vec<_>, LoadError>>()?;
    Ok(parse_all(texts))
}
