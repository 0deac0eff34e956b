//! A throwaway PostgreSQL cluster for one test: `initdb` in a folder of its own, a free
//! loopback port, stopped (and its folder removed) when the test lets go of it.
//!
//! PostgreSQL refuses to run as root: where the tests run as root, the cluster's folder is
//! given to the `postgres` user and every PostgreSQL program runs as that user through
//! `runuser`. Where PostgreSQL is not installed, [`Cluster::start`] says so, and the test says
//! it is skipped (`.ci/run` installs it with apt where it is missing).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// A new cluster, running, with fsync off (a test's cluster never outlives its machine).
    pub fn start(name: &str) -> Result<Cluster, String> {
        Cluster::start_with(name, &["-c", "fsync=off"], false)
    }

    /// A new cluster that syncs its commits to disk as a real one does, for benchmarks.
    pub fn start_durable(name: &str) -> Result<Cluster, String> {
        Cluster::start_with(name, &[], false)
    }

    /// A new cluster that takes TLS, with a certificate for `127.0.0.1` and `localhost`
    /// signed by a certificate authority of its own ([`Cluster::ca`]), made by `openssl`.
    pub fn start_tls(name: &str) -> Result<Cluster, String> {
        Cluster::start_with(name, &["-c", "fsync=off", "-c", "ssl=on"], true)
    }

    /// The certificate of the authority that signed a TLS cluster's certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn start_with(name: &str, settings: &[&str], tls: bool) -> Result<Cluster, String> {
        let bin = binaries().ok_or_else(|| {
            "PostgreSQL is not installed here (no `initdb` on PATH or in \
             /usr/lib/postgresql/*/bin); `apt-get install postgresql` installs it"
                .to_string()
        })?;
        let as_postgres = running_as_root();
        let dir = std::env::temp_dir().join(format!("weir-pg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let mut cluster = Cluster {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        if as_postgres {
            let owned = Command::new("chown")
                .arg("postgres:")
                .arg(&cluster.dir)
                .output();
            check("chown postgres:", owned)?;
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        if tls {
            cluster.make_certificates()?;
        }
        cluster.port = free_port()?;
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            cluster.port,
            cluster.dir.display()
        );
        for setting in settings {
            options.push(' ');
            options.push_str(setting);
        }
        let log = cluster.dir.join("log").display().to_string();
        cluster.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-w", "-o", &options, "start"],
        )?;
        if TcpStream::connect(("127.0.0.1", cluster.port)).is_err() {
            return Err(format!(
                "PostgreSQL started but does not answer on 127.0.0.1:{}",
                cluster.port
            ));
        }
        Ok(cluster)
    }

    /// The port the cluster listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` (made by [`Cluster::create_database`], or `postgres`).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A new empty database.
    pub fn create_database(&self, db: &str) -> Result<(), String> {
        let port = self.port.to_string();
        self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", db],
        )
        .map(|_| ())
    }

    /// Stops the cluster at once, as a crash would, and starts it again on its port: every
    /// connection to it is lost.
    pub fn restart(&self) -> Result<(), String> {
        let (data, log) = (self.data(), self.dir.join("log").display().to_string());
        let args = ["-D", &data, "-l", &log, "-m", "immediate", "-w", "restart"];
        self.run("pg_ctl", &args).map(|_| ())
    }

    /// The process id of the cluster's server (the first line of `postmaster.pid`).
    pub fn pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(Path::new(&self.data()).join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// An authority, and the server's key and certificate in its data folder, where
    /// `ssl=on` finds them (`server.key`, `server.crt`), the key readable by the server only.
    fn make_certificates(&self) -> Result<(), String> {
        let dir = &self.dir;
        std::fs::write(
            dir.join("san.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .map_err(|e| format!("cannot write san.ext: {e}"))?;
        let data = Path::new(&self.data()).to_path_buf();
        let (key, crt) = (data.join("server.key"), data.join("server.crt"));
        // An EC key each: quick to make.
        let new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        let steps = [
            format!(
                "req -x509 {new_key} -keyout ca.key -out ca.pem -days 2 -subj /CN=weir-test-ca"
            ),
            format!(
                "req {new_key} -keyout {} -out server.csr -subj /CN=localhost",
                key.display()
            ),
            format!(
                "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                 -extfile san.ext -out {}",
                crt.display()
            ),
        ];
        for args in steps {
            // The folders are the test's own, made without spaces.
            let made = Command::new("openssl")
                .args(args.split_whitespace())
                .current_dir(dir)
                .stdin(Stdio::null())
                .output();
            check("openssl", made)?;
        }
        if self.as_postgres {
            let owned = Command::new("chown")
                .arg("postgres:")
                .arg(&key)
                .arg(&crt)
                .output();
            check("chown postgres:", owned)?;
        }
        let private = Command::new("chmod").arg("600").arg(&key).output();
        check("chmod 600", private).map(|_| ())
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// Runs one of PostgreSQL's programs, as `postgres` where the tests run as root.
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, String> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        // The user `postgres` may not be able to enter the test's folder.
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        check(program, command.output())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let pid = self.pid();
        let data = self.data();
        let stopped = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        if stopped.is_err()
            && let Some(pid) = pid
        {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn check(what: &str, output: std::io::Result<Output>) -> Result<Output, String> {
    let output = output.map_err(|e| format!("cannot run `{what}`: {e}"))?;
    if output.status.success() {
        return Ok(output);
    }
    Err(format!(
        "`{what}` failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The folder of `initdb`, `pg_ctl` and `createdb`: on PATH, or Debian's versioned folder.
fn binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>());
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin"));
    // `/usr/local/bin/initdb` may be a link into Debian's folder, which holds the rest.
    on_path
        .chain(debian)
        .map(|dir| dir.join("initdb"))
        .find(|initdb| initdb.is_file())
        .and_then(|initdb| initdb.canonicalize().ok())
        .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
        .filter(|dir| dir.join("pg_ctl").is_file())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A cluster of its own with an empty database `journal`, and that database's URL; `None`
/// where PostgreSQL is not installed, the test saying it is skipped and why.
pub fn journal_or_skip(name: &str) -> Option<(Cluster, String)> {
    let cluster = match Cluster::start(name) {
        Ok(cluster) => cluster,
        Err(why) => {
            eprintln!("skipped: {why}");
            return None;
        }
    };
    cluster.create_database("journal").expect("a database");
    let url = cluster.url("journal");
    Some((cluster, url))
}
