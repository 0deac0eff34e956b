//! Starting and stopping `weir serve` for the benchmarks that drive it (`serve`, `serve_scale`):
//! each includes this module (`mod serving;`), so both start it the same way, read the address
//! it listens on the same way, and end it however the benchmark ends.

pub mod memory;
#[allow(dead_code, reason = "only the benchmarks against real apps use it")]
pub mod slow_app;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Ends a child process started here, by its id, when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `weir serve` started by a benchmark: stopped when dropped.
pub struct Serving {
    /// `http://127.0.0.1:PORT`, as its first line said.
    pub base: String,
    pub pid: u32,
    _child: Reaped,
}

impl Serving {
    /// Starts `weir serve SCRIPT --listen 127.0.0.1:0 --journal bench.db ARGS` in `dir`, with
    /// `env` set, and waits for the line that says where it listens. `errors`: whether its
    /// standard error shows (else it is dropped).
    pub fn start(
        dir: &Path,
        script: &str,
        args: &[&str],
        env: &[(&str, &str)],
        errors: bool,
    ) -> Serving {
        Serving::start_on(dir, script, "bench.db", args, env, errors)
    }

    /// [`Serving::start`] on the journal `journal` (a file, or a PostgreSQL URL).
    pub fn start_on(
        dir: &Path,
        script: &str,
        journal: &str,
        args: &[&str],
        env: &[(&str, &str)],
        errors: bool,
    ) -> Serving {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .args([
                "serve",
                script,
                "--listen",
                "127.0.0.1:0",
                "--journal",
                journal,
            ])
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(if errors {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("weir serve starts");
        let pid = child.id();
        let out = child.stdout.take().expect("its output");
        let child = Reaped(child);
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("weir serve says where it listens");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("expected an address in {line:?}"))
            .trim_end_matches(',')
            .to_string();
        Serving {
            base,
            pid,
            _child: child,
        }
    }
}

/// The machine's load averages (1, 5 and 15 minutes), to print beside figures: the machine
/// may be busy with other work.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The most memory a process has held, in KiB (the same reading `throughput` takes of itself).
pub fn peak_kib(pid: u32) -> u64 {
    memory::peak_kib(&pid.to_string())
}
