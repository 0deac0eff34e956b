//! Which files are checked together: a document and the files of its project.
//!
//! The rule: a `.weir` file is checked with the other `.weir` files of its folder, as
//! `weir check *.weir` run in that folder checks them, so an app declared in `apps.weir` is
//! known in `flows.weir` beside it. A file the editor has open is read as the editor has it,
//! the others from the disk. A document that is not a file on the disk (an unsaved buffer) is
//! checked on its own.

use std::path::{Path, PathBuf};

use lsp_types::Uri;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// The path of a `file:` URI.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file:///tmp/a.weir`, or `file://localhost/tmp/a.weir`.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    let path = path.split(['?', '#']).next()?;
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    decoded.starts_with('/').then(|| PathBuf::from(&*decoded))
}

/// What a path must escape to be part of a URI: controls, spaces and the characters URIs give
/// a meaning to.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The `file:` URI of an absolute path.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    format!("file://{}", utf8_percent_encode(text, PATH))
        .parse()
        .ok()
}

/// The files checked with `uri`, itself included, in a fixed order (by URI): the `.weir` files
/// of its folder on the disk, and the open documents of that folder not yet saved there.
pub fn members<'a>(uri: &Uri, open: impl Iterator<Item = &'a Uri>) -> Vec<Uri> {
    let Some(folder) = path_of(uri).and_then(|p| p.parent().map(Path::to_path_buf)) else {
        return vec![uri.clone()];
    };
    // Open documents by path: a client may spell a file's URI differently than `uri_of` does,
    // and its own spelling is the one it knows the document by.
    let open: Vec<(PathBuf, Uri)> = open
        .filter_map(|other| Some((path_of(other)?, other.clone())))
        .filter(|(path, _)| path.parent() == Some(&*folder))
        .collect();
    let on_disk = std::fs::read_dir(&folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let weir = path.extension().is_some_and(|e| e == "weir") && path.is_file();
            weir.then_some(path)
        });
    let mut found: Vec<Uri> = on_disk
        .filter_map(|path| match open.iter().find(|(p, _)| *p == path) {
            Some((_, uri)) => Some(uri.clone()),
            None => uri_of(&path),
        })
        .collect();
    found.extend(open.into_iter().map(|(_, uri)| uri));
    found.push(uri.clone());
    found.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_and_paths_go_both_ways() {
        let uri: Uri = "file:///tmp/my%20flows/a%23b.weir".parse().unwrap();
        let path = path_of(&uri).unwrap();
        assert_eq!(path, PathBuf::from("/tmp/my flows/a#b.weir"));
        assert_eq!(uri_of(&path).unwrap(), uri);
        assert_eq!(path_of(&"untitled:Untitled-1".parse().unwrap()), None);
    }
}
