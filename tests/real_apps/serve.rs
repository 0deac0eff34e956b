//! `weir serve` and `weir` as processes for the tests: a scratch folder, a command run to its
//! end, and a server started on a free loopback port, killed when the test drops it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::rest_app::{client, signed};

pub const SECRET: &str = "test-secret";
pub const READ_TOKEN: &str = "test-read-token";

/// A fresh folder for one test, removed when the test is over.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("weir-real-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    Scratch(dir)
}

pub fn weir(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CRM_TOKEN")
        .env_remove("TRACKER_TOKEN")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("weir runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// Waits (at most `limit`) until `done` says yes.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// A `weir serve` process, killed when dropped.
pub struct Serve {
    pub child: Child,
    pub url: String,
    /// What it said on standard output after its first line, read all along.
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Serve {
    /// `weir serve SCRIPT` on a free port with the test secret and read token, and `extra`.
    pub fn start(dir: &Path, script: &str, extra: &[&str]) -> Serve {
        Serve::start_with(dir, script, extra, &[])
    }

    /// [`Serve::start`] with these variables in its environment too.
    pub fn start_with(dir: &Path, script: &str, extra: &[&str], env: &[(&str, &str)]) -> Serve {
        let args = Serve::args(script, "weir.db", extra);
        Serve::launch(dir, &args, env).unwrap_or_else(|out| {
            panic!("weir serve did not start: {}", text(&out.stderr));
        })
    }

    /// [`Serve::start`] on the journal `journal`: a SQLite file or a PostgreSQL URL.
    #[allow(
        dead_code,
        reason = "the real-app tests serve only the default journal"
    )]
    pub fn start_on(dir: &Path, script: &str, journal: &str, extra: &[&str]) -> Serve {
        Serve::launch(dir, &Serve::args(script, journal, extra), &[]).unwrap_or_else(|out| {
            panic!("weir serve did not start: {}", text(&out.stderr));
        })
    }

    /// The arguments of `weir serve SCRIPT` on `journal`, a free port, the test secret and
    /// read token, and `extra`.
    pub fn args<'a>(script: &'a str, journal: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "serve",
            script,
            "--listen",
            "127.0.0.1:0",
            "--journal",
            journal,
            "--secret-env",
            "WEIR_TEST_SECRET",
            "--read-token-env",
            "WEIR_TEST_READ",
            "--backoff-ms",
            "10",
        ];
        args.extend_from_slice(extra);
        args
    }

    /// `weir ARGS` (a `serve`), with the test secret, read token and CRM token in its
    /// environment: the server once it says where it listens, or what it said when it stopped
    /// without listening.
    pub fn launch(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Serve, Output> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
        command
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env("WEIR_TEST_SECRET", SECRET)
            .env("WEIR_TEST_READ", READ_TOKEN)
            .env("CRM_TOKEN", "tk")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("weir serve starts");
        // Its standard error is read all along (so that it never blocks), kept and shown.
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().unwrap();
        let kept = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut pipe, &mut chunk) {
                if n == 0 {
                    break;
                }
                eprint!("{}", String::from_utf8_lossy(&chunk[..n]));
                kept.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let said = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&said);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stdout, &mut chunk) {
                if n == 0 {
                    break;
                }
                kept.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(|w| w.trim_end_matches(',').to_string());
        let serve = Serve {
            child,
            url: url.clone().unwrap_or_default(),
            stdout: said,
            stderr,
        };
        match url {
            Some(_) => Ok(serve),
            None => Err(serve.terminate()),
        }
    }

    pub fn post(&self, path: &str, body: &str, headers: &[(&str, String)]) -> (u16, Json) {
        let client = client();
        let mut request = client
            .post(format!("{}{path}", self.url))
            .timeout(Duration::from_secs(10))
            .body(body.to_string());
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        match request.send() {
            Ok(response) => {
                let status = response.status().as_u16();
                (
                    status,
                    serde_json::from_slice(&response.bytes().unwrap_or_default())
                        .unwrap_or(Json::Null),
                )
            }
            Err(_) => (0, Json::Null),
        }
    }

    /// Posts a signed event, as a person's change: apps that `reports actor` must say so
    /// (R0305).
    pub fn event(&self, path: &str, record: &Json, id: Option<&str>) -> (u16, Json) {
        let body = record.to_string();
        let mut headers: Vec<_> = id
            .map(|id| ("X-Weir-Event-Id", id.to_string()))
            .into_iter()
            .collect();
        headers.push(("X-Weir-Actor", "user".to_string()));
        self.post(
            path,
            &body,
            &signed(SECRET, path, body.as_bytes(), &headers),
        )
    }

    /// What it said on standard output so far, after the line that says where it listens.
    #[allow(
        dead_code,
        reason = "read by the tests of several servers only; each test file builds this module"
    )]
    pub fn said(&self) -> String {
        text(&self.stdout.lock().unwrap())
    }

    /// What it said on standard error so far.
    #[allow(
        dead_code,
        reason = "read by the tests of several servers only; each test file builds this module"
    )]
    pub fn complained(&self) -> String {
        text(&self.stderr.lock().unwrap())
    }

    pub fn health(&self) -> Json {
        client()
            .get(format!("{}/health", self.url))
            .bearer_auth(READ_TOKEN)
            .timeout(Duration::from_secs(5))
            .send()
            .and_then(|r| r.bytes())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Json::Null)
    }

    /// Waits until every accepted event has run.
    pub fn settle(&self, events: u64) -> Json {
        let mut last = Json::Null;
        wait_until(Duration::from_secs(30), || {
            last = self.health();
            let finished = ["done", "failed", "held"]
                .iter()
                .map(|k| last[k].as_u64().unwrap_or(0))
                .sum::<u64>();
            last["queued"] == 0 && finished >= events
        });
        last
    }

    pub fn terminate(mut self) -> Output {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = wait_until(Duration::from_secs(20), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        let _ = self.child.kill();
        let status = self.child.wait().expect("weir serve ends");
        // The readers of its outputs end with the process.
        let _ = wait_until(Duration::from_secs(5), || {
            Arc::strong_count(&self.stdout) == 1 && Arc::strong_count(&self.stderr) == 1
        });
        Output {
            status,
            stdout: self.stdout.lock().unwrap().clone(),
            stderr: self.stderr.lock().unwrap().clone(),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
