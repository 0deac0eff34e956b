//! `use`: one program from several files.
//!
//! A script names the files it needs (`use "apps.weir"`, a path relative to the file that says
//! it) and the connectors shipped with weir it needs (`use github`). Loading follows those names
//! until every file is read, each once however many files name it, so two files may use each
//! other. What a file declares belongs to the whole program: there are no namespaces, and a
//! name declared twice across files is the same error as twice in one file.
//!
//! A file that cannot be read is an error at the `use` that names it (E0005), not a failure of
//! the whole command: the other files are still checked.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::ast::{AuthDecl, Item, Moved, Script, UseTarget};
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic};
use crate::load::{self, LoadError};
use crate::source::SourceMap;
use crate::span::{FileId, Span};
use crate::{connectors, syntax};

/// The most files one program may be made of: far beyond a real project, small enough that a
/// generated chain of `use`s is refused quickly.
pub const FILE_LIMIT: usize = 256;

/// Follows the `use`s of scripts already parsed, reading what they name into one program.
pub struct Follower<'a> {
    sources: &'a mut SourceMap,
    /// Every file read so far, by [`key`], so that each is read once.
    seen: HashSet<String>,
}

impl<'a> Follower<'a> {
    pub fn new(sources: &'a mut SourceMap) -> Follower<'a> {
        Follower {
            sources,
            seen: HashSet::new(),
        }
    }

    /// Marks a file as read, so that a `use` naming it again reads nothing.
    pub fn already_read(&mut self, file: FileId) {
        let name = self.sources.name(file).to_string();
        self.seen.insert(key(&name));
    }

    /// Reads every file the `scripts` use, and every file those use, parsing each: the scripts
    /// read are added to `scripts`, after those given, and what could not be read or parsed to
    /// `diagnostics`.
    pub fn follow(&mut self, scripts: &mut Vec<Script>, diagnostics: &mut Vec<Diagnostic>) {
        let mut waiting: Vec<(FileId, UseTarget, Span)> =
            scripts.iter().flat_map(uses_of).collect();
        waiting.reverse();
        while let Some((from, target, span)) = waiting.pop() {
            let Some((name, text)) = self.read(from, &target, span, diagnostics) else {
                continue;
            };
            let file = self.sources.add(name, text);
            match syntax::parse_script_all(file, self.sources.text(file)) {
                Ok(script) => {
                    let mut more = uses_of(&script);
                    more.reverse();
                    // Depth first, so that files are read in the order a reader meets them.
                    waiting.extend(more);
                    scripts.push(script);
                }
                Err(errors) => {
                    diagnostics.extend(errors.iter().map(diagnostic::Report::report));
                }
            }
        }
        move_connectors(scripts, self.sources, diagnostics);
    }

    /// The name and text of what a `use` names, or `None` when it was read already or cannot
    /// be (then the reason is in `diagnostics`).
    fn read(
        &mut self,
        from: FileId,
        target: &UseTarget,
        span: Span,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<(String, String)> {
        let from_name = self.sources.name(from).to_string();
        let (name, text) = match target {
            UseTarget::Connector(name) => {
                let shown = connectors::file_name(&name.node);
                if !self.seen.insert(key(&shown)) {
                    return None;
                }
                match connectors::shipped(&name.node) {
                    Some(text) => (shown, text.to_string()),
                    None => {
                        diagnostics.push(unknown_connector(&name.node, name.span));
                        return None;
                    }
                }
            }
            UseTarget::File(path) => {
                if connectors::is_shipped_name(&from_name) {
                    diagnostics.push(file_from_connector(&path.node, path.span));
                    return None;
                }
                let joined = relative_to(&from_name, &path.node);
                let name = joined.to_string_lossy().into_owned();
                if !self.seen.insert(key(&name)) {
                    return None;
                }
                match load::read_text(&name) {
                    Ok(text) => (name, text),
                    Err(err) => {
                        let typed = from_name == crate::source::REPL;
                        diagnostics.push(unreadable(&path.node, &name, &err, path.span, typed));
                        return None;
                    }
                }
            }
        };
        if self.seen.len() > FILE_LIMIT {
            diagnostics.push(
                diagnostic::new(
                    Code::E0005,
                    format!("this program is made of more than {FILE_LIMIT} files"),
                )
                .with_labels(vec![diagnostic::primary(span, "one file too many")])
                .with_notes(vec![diagnostic::help(
                    "join small files into larger ones; a file may hold any number of apps and workflows",
                )]),
            );
            return None;
        }
        Some((name, text))
    }
}

/// Every `use` of a script: the file it stands in, what it names, and where.
fn uses_of(script: &Script) -> Vec<(FileId, UseTarget, Span)> {
    script
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Use(used) => Some((script.file, used.target.clone(), used.span)),
            _ => None,
        })
        .collect()
}

/// Moves the connectors that a `use … at` or `token` moves, once every file is read: a
/// connector's text may have been given rather than read (`weir replay` gives the files it
/// was served with), and it is moved all the same. The first `use` that moves a connector
/// says where it is.
fn move_connectors(scripts: &mut [Script], sources: &SourceMap, diagnostics: &mut Vec<Diagnostic>) {
    let mut moves: Vec<(Arc<str>, Moved)> = Vec::new();
    for item in scripts.iter().flat_map(|s| &s.items) {
        if let Item::Use(used) = item
            && let UseTarget::Connector(name) = &used.target
            && used.moved != Moved::default()
            && !moves.iter().any(|(moved, _)| *moved == name.node)
        {
            moves.push((name.node.clone(), used.moved.clone()));
        }
    }
    for (name, moved) in moves {
        let file = connectors::file_name(&name);
        if let Some(script) = scripts.iter_mut().find(|s| sources.name(s.file) == file) {
            move_apps(script, &name, &moved, diagnostics);
        }
    }
}

/// `use github at "url" token "url"`: the connector's apps answer at `url`, and fetch OAuth2
/// tokens from the other; both keep the spans of the `use`, so a mistake in them is shown
/// there. A `token` for a connector that fetches no token is an error: it would be ignored.
fn move_apps(script: &mut Script, name: &str, moved: &Moved, diagnostics: &mut Vec<Diagnostic>) {
    let mut token_moved = false;
    for item in &mut script.items {
        let Item::App(app) = item else { continue };
        let Some(location) = &mut app.location else {
            continue;
        };
        if let Some(at) = &moved.at {
            location.url = at.clone();
        }
        if let (Some(token), Some(AuthDecl::OAuth2 { token_url, .. })) =
            (&moved.token, &mut location.auth)
        {
            *token_url = token.clone();
            token_moved = true;
        }
    }
    if let (Some(token), false) = (&moved.token, token_moved) {
        diagnostics.push(
            diagnostic::new(
                Code::E0005,
                format!("the connector `{name}` fetches no OAuth2 token, so it has no token endpoint to move"),
            )
            .with_labels(vec![diagnostic::primary(token.span, "no token is fetched")])
            .with_notes(vec![diagnostic::help(format!(
                "remove `token \"{}\"` from this `use`",
                token.node
            ))]),
        );
    }
}

/// The path a `use` in `from` names: relative to the folder `from` is in.
pub fn relative_to(from: &str, path: &str) -> PathBuf {
    let folder = Path::new(from).parent().unwrap_or(Path::new(""));
    normal(&folder.join(path))
}

/// A file's identity across `use`s: its path with `.` and `a/..` taken out, so that
/// `./apps.weir` and `flows/../apps.weir` are one file.
fn key(name: &str) -> String {
    normal(Path::new(name)).to_string_lossy().into_owned()
}

fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_name =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_name {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// E0005 for a file that cannot be read; `typed` when the `use` was typed at the REPL, whose
/// paths are read from the folder weir was started in.
fn unreadable(
    written: &str,
    resolved: &str,
    err: &LoadError,
    span: Span,
    typed: bool,
) -> Diagnostic {
    let from = if typed {
        "the folder weir was started in"
    } else {
        "the folder of the file that names it"
    };
    let (why, fix) = match err {
        LoadError::Missing(_) if written == resolved => (
            "there is no such file".to_string(),
            format!("a path in `use` is read from {from}; correct the path or create the file"),
        ),
        LoadError::Missing(_) => (
            format!("there is no file `{resolved}`"),
            format!("a path in `use` is read from {from}; correct the path or create the file"),
        ),
        LoadError::Directory(_) => (
            format!("`{resolved}` is a folder"),
            format!(
                "name one `.weir` file in it, e.g. `use \"{}/apps.weir\"`",
                written.trim_end_matches('/')
            ),
        ),
        other => (
            other.to_string().replacen("cannot read ", "", 1),
            "fix the file, or remove this `use`".to_string(),
        ),
    };
    diagnostic::new(Code::E0005, format!("cannot use `{written}`: {why}"))
        .with_labels(vec![diagnostic::primary(span, "this file cannot be read")])
        .with_notes(vec![diagnostic::help(fix)])
}

fn unknown_connector(name: &str, span: Span) -> Diagnostic {
    let names = connectors::names();
    let close = crate::suggest::closest(name, names.iter().copied());
    let message = format!("weir ships no connector named `{name}`");
    let fix = match close {
        Some(close) => format!("did you mean `use {close}`?"),
        None if names.is_empty() => format!(
            "declare the app yourself, or in a file of its own and `use \"{name}.weir\"` (with quotes) to read it"
        ),
        None => format!(
            "the connectors shipped with weir are {}; to read a file of your own, quote its path: `use \"{name}.weir\"`",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    diagnostic::new(Code::E0005, message)
        .with_labels(vec![diagnostic::primary(span, "no such connector")])
        .with_notes(vec![diagnostic::help(fix)])
}

fn file_from_connector(path: &str, span: Span) -> Diagnostic {
    diagnostic::new(
        Code::E0005,
        format!("a connector shipped with weir cannot use the file `{path}`"),
    )
    .with_labels(vec![diagnostic::primary(span, "a file of your own")])
    .with_notes(vec![diagnostic::help(
        "use the file from your own script instead",
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_from_the_folder_of_the_file_that_names_them() {
        assert_eq!(
            relative_to("flows/main.weir", "apps.weir"),
            PathBuf::from("flows/apps.weir")
        );
        assert_eq!(
            relative_to("main.weir", "lib/apps.weir"),
            PathBuf::from("lib/apps.weir")
        );
        assert_eq!(
            relative_to("flows/main.weir", "../apps.weir"),
            PathBuf::from("apps.weir")
        );
        assert_eq!(
            relative_to("repl", "./apps.weir"),
            PathBuf::from("apps.weir")
        );
        assert_eq!(
            relative_to("main.weir", "../up.weir"),
            PathBuf::from("../up.weir")
        );
        assert_eq!(
            relative_to("/srv/main.weir", "/etc/apps.weir"),
            PathBuf::from("/etc/apps.weir")
        );
    }

    #[test]
    fn one_file_has_one_key_however_it_is_named() {
        assert_eq!(key("./apps.weir"), key("flows/../apps.weir"));
        assert_ne!(key("apps.weir"), key("flows/apps.weir"));
    }
}
