//! Reading script files: the checks a user's path must pass before parsing starts.

use std::fmt;
use std::path::Path;

use crate::ast::Script;
use crate::diagnostic::{Diagnostic, Report};
use crate::source::SourceMap;
use crate::syntax;

/// Why a file could not be read as a script.
#[derive(Debug)]
pub enum LoadError {
    Missing(String),
    Directory(String),
    NotUtf8 { path: String, offset: usize },
    Unreadable { path: String, reason: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Missing(path) => write!(f, "cannot read `{path}`: there is no such file"),
            LoadError::Directory(path) => {
                write!(
                    f,
                    "cannot read `{path}`: it is a directory; name the `.weir` files in it"
                )
            }
            LoadError::NotUtf8 { path, offset } => write!(
                f,
                "cannot read `{path}`: it is not UTF-8 text (the byte at offset {offset} is not valid); save it as UTF-8"
            ),
            LoadError::Unreadable { path, reason } => write!(f, "cannot read `{path}`: {reason}"),
        }
    }
}

/// Reads a file's text, with errors that say what is wrong with the path.
pub fn read_text(path: &str) -> Result<String, LoadError> {
    let p = Path::new(path);
    if p.is_dir() {
        return Err(LoadError::Directory(path.to_string()));
    }
    let bytes = std::fs::read(p).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => LoadError::Missing(path.to_string()),
        _ => LoadError::Unreadable {
            path: path.to_string(),
            reason: err.to_string().to_lowercase(),
        },
    })?;
    let text = String::from_utf8(bytes).map_err(|err| LoadError::NotUtf8 {
        path: path.to_string(),
        offset: err.utf8_error().valid_up_to(),
    })?;
    // Some editors start UTF-8 files with a byte-order mark; it is not part of the script.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The scripts of one invocation, parsed, with the syntax errors of those that failed.
pub struct Loaded {
    pub sources: SourceMap,
    pub scripts: Vec<Script>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses texts already read, named as the user named them.
pub fn parse_all(texts: Vec<(String, String)>) -> Loaded {
    let mut sources = SourceMap::new();
    let mut scripts = Vec::new();
    let mut diagnostics = Vec::new();
    for (name, text) in texts {
        let file = sources.add(name, text);
        match syntax::parse_script_all(file, sources.text(file)) {
            Ok(script) => scripts.push(script),
            Err(errors) => diagnostics.extend(errors.iter().map(Report::report)),
        }
    }
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
