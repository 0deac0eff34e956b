//! GitHub's issues connector against Prism (`@stoplight/prism-cli`) mocking GitHub's own
//! OpenAPI description (`@octokit/openapi`): Prism checks every request weir sends against
//! the description (path, query, body) and answers with GitHub's documented examples.
//!
//! The packages live outside the repository, in `$WEIR_NPM_DIR` (default
//! `$TMPDIR/weir-npm`), where `.ci/run` installs them when npm is there:
//! `npm install --prefix "$WEIR_NPM_DIR" @octokit/openapi @stoplight/prism-cli`.
//! Without them the test says so and passes.
//!
//! The description is cut to the issue operations, and each `oneOf` in them is opened to any
//! value: Prism 5 silently skips validating a request body whose schema has a `oneOf` (as
//! `title`, `milestone` and `labels` do), and validating the rest beats validating nothing.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Map, Value as Json};

pub struct Prism {
    pub url: String,
    child: Child,
    pub log: mpsc::Receiver<String>,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn npm_dir() -> PathBuf {
    std::env::var_os("WEIR_NPM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("weir-npm"))
}

/// `oneOf` opened to any value, everywhere below.
fn open_one_of(json: Json) -> Json {
    match json {
        Json::Object(map) if map.contains_key("oneOf") => Json::Object(Map::new()),
        Json::Object(map) => {
            Json::Object(map.into_iter().map(|(k, v)| (k, open_one_of(v))).collect())
        }
        Json::Array(items) => Json::Array(items.into_iter().map(open_one_of).collect()),
        other => other,
    }
}

/// Prism on a free port of 127.0.0.1 with GitHub's issue operations, or why it cannot run.
pub fn start(scratch: &std::path::Path) -> Result<Prism, String> {
    let dir = npm_dir();
    let prism = dir.join("node_modules/.bin/prism");
    let spec = dir.join("node_modules/@octokit/openapi/generated/api.github.com.deref.json");
    if !prism.exists() || !spec.exists() {
        return Err(format!(
            "skipped: `@stoplight/prism-cli` and `@octokit/openapi` are not installed in {} (`npm install --prefix {} @octokit/openapi @stoplight/prism-cli`, as .ci/run does)",
            dir.display(),
            dir.display()
        ));
    }
    let full: Json = serde_json::from_slice(&std::fs::read(&spec).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut paths = Map::new();
    for path in [
        "/repos/{owner}/{repo}/issues",
        "/repos/{owner}/{repo}/issues/{issue_number}",
    ] {
        paths.insert(path.to_string(), open_one_of(full["paths"][path].clone()));
    }
    let cut = serde_json::json!({
        "openapi": full["openapi"], "info": full["info"], "servers": full["servers"], "paths": paths
    });
    let file = scratch.join("github-issues.json");
    std::fs::write(&file, cut.to_string()).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = Command::new(&prism)
        .args([
            "mock",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("prism did not start: {e}"))?;
    let stdout = child.stdout.take().expect("prism's output");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let prism = Prism {
        url: format!("http://127.0.0.1:{port}"),
        child,
        log: rx,
    };
    // Bounded: a minute for Node to start and read the description.
    for _ in 0..600 {
        match prism.log.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains("Prism is listening") => return Ok(prism),
            _ => {}
        }
    }
    Err("prism did not say it was listening within a minute".to_string())
}
