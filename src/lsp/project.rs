//! Which files are checked together: a document and the files it `use`s, as `weir check` on
//! that document reads them (`use "apps.weir"`, a path relative to the file that says it, and
//! the files those use in turn). A file the editor has open is read as the editor has it, the
//! others from the disk. Files are named in the program by their path, so the paths of `use`
//! resolve as they do on the command line.
//!
//! A file that several open files use is checked with each of them (see
//! [`super::documents::Documents::programs`]); a file that nothing open uses is checked on its
//! own, with what it uses.

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

/// The name a file has in a program: its path when it is a file on the disk (so the paths of
/// its `use`s are read from its folder), else its URI.
pub fn name_of(uri: &Uri) -> String {
    match path_of(uri) {
        Some(path) => path.to_string_lossy().into_owned(),
        None => uri.as_str().to_string(),
    }
}

/// The URI of a file a program read, from its name ([`name_of`]): a connector shipped with
/// weir (`<connector github>`) is `weir-connector:github`.
pub fn uri_of_name(name: &str) -> Option<Uri> {
    if let Some(connector) = name
        .strip_prefix("<connector ")
        .and_then(|n| n.strip_suffix('>'))
    {
        return format!("weir-connector:{connector}").parse().ok();
    }
    if name.starts_with('/') {
        return uri_of(Path::new(name));
    }
    name.parse().ok()
}

/// The files a text names with `use "PATH"`, as URIs: a quick look at the lines that start
/// with `use`, so a file need not parse to be followed. A `use` this misses is still read
/// (from the disk) when the program is checked.
pub fn uses(uri: &Uri, text: &str) -> Vec<Uri> {
    let Some(path) = path_of(uri) else {
        return Vec::new();
    };
    let from = path.to_string_lossy();
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("use")?.trim_start();
            let quoted = rest.strip_prefix('"')?;
            let written = &quoted[..quoted.find('"')?];
            uri_of(&crate::uses::relative_to(&from, written))
        })
        .collect()
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

    #[test]
    fn uses_are_read_relative_to_the_file() {
        let uri: Uri = "file:///p/flows/main.weir".parse().unwrap();
        let text =
            "# use \"no.weir\"\nuse \"apps.weir\"\n  use \"../shared/x.weir\" # both\nuse github\n";
        let found: Vec<String> = uses(&uri, text)
            .iter()
            .map(|u| u.as_str().to_string())
            .collect();
        assert_eq!(
            found,
            ["file:///p/flows/apps.weir", "file:///p/shared/x.weir"]
        );
        assert_eq!(
            uri_of_name("<connector github>").unwrap().as_str(),
            "weir-connector:github"
        );
    }
}
