//! `weir serve FILE`: take webhooks, keep them in a journal, run them.

use std::sync::Arc;

use clap::Args;

use super::run::HttpArgs;
use crate::diagnostic::{self, Report};
use crate::load;
use crate::program::Program;
use crate::run::Options;
use crate::serve::{self, Config, ServeError, worker::StartError};

/// Take events as webhooks, write each to a journal before answering, and run them through the
/// workflows; apps declared `at "url"` are real and reached over HTTP.
#[derive(Args)]
#[command(after_help = "Routes:\n  \
POST /events/{app}/{entity}/{kind}   the record as JSON; headers X-Weir-Event-Id, X-Weir-Actor,\n                                       X-Weir-Changed: a,b, and with a secret X-Weir-Timestamp\n                                       and X-Weir-Signature: v1=… (docs/real-apps.md)\n  \
GET  /health                         up, and (with the read token) counts of events by state\n  \
GET  /runs?status=failed|held        recent runs (with the read token: Authorization: Bearer …)\n\n\
Examples:\n  weir serve shop.weir --listen 127.0.0.1:8080\n  \
weir serve shop.weir --listen 0.0.0.0:8080 --journal /var/lib/weir/shop.db \\\n    --secret-env WEIR_SECRET --read-token-env WEIR_READ_TOKEN")]
pub struct ServeArgs {
    /// The script to serve.
    file: String,
    /// The address to listen on, as in 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", required_unless_present = "poll_once")]
    listen: Option<String>,
    /// Poll each entity the script polls (`poll … every …`) once, run what changed, and stop,
    /// without listening: for tests and cron.
    #[arg(long)]
    poll_once: bool,
    /// The journal: an SQLite file, made if it does not exist, or a PostgreSQL database
    /// (`postgres://user@host:port/db`), its tables made if it has none.
    #[arg(long, value_name = "FILE", default_value = "weir.db")]
    journal: String,
    /// The environment variable holding the webhook secret; every event must then carry
    /// `X-Weir-Timestamp` and `X-Weir-Signature: v1=<hex HMAC-SHA256>` of the method, path,
    /// event id, actor, changed fields and body (docs/real-apps.md).
    #[arg(long, value_name = "NAME")]
    secret_env: Option<String>,
    /// How far (in seconds) a signed request's `X-Weir-Timestamp` may be from this clock.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    signature_tolerance: u64,
    /// The environment variable holding the token `GET /runs` and the counts of `GET /health`
    /// need (`Authorization: Bearer <token>`). With a secret and no read token, `/runs` is off.
    #[arg(long, value_name = "NAME")]
    read_token_env: Option<String>,
    /// Let the error messages kept in the journal (and shown by `weir runs`, `GET /runs`)
    /// quote record values; without it they name fields and kinds of values only.
    #[arg(long)]
    log_values: bool,
    /// Serve on a journal that is damaged, or holds fewer events than were accepted into it
    /// (its marker `FILE.id` says how many); what is missing is lost.
    #[arg(long)]
    accept_damaged_journal: bool,
    /// Runs a chain may have before the run-time guard holds it.
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_hops: u32,
    /// Runs each workflow may make per minute before the guard holds its events.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_runs: u64,
    #[command(flatten)]
    checks: super::CheckFlags,
    #[command(flatten)]
    http: HttpArgs,
    /// Writes to an app in flight at once, as `APP=N`, or `N` for every app (over what the
    /// script declares; 16 where neither says).
    #[arg(long, value_name = "[APP=]N")]
    at_once: Vec<String>,
    /// Events queued (accepted, not yet run) past which new ones are answered 503 with
    /// `Retry-After`, until the worker catches up.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    max_queued: u64,
    /// Writes to an app begun per second at most, as `APP=N`, or `N` for every app.
    #[arg(long, value_name = "[APP=]N")]
    per_second: Vec<String>,
}

/// Each app's limits: the script's, then the command line's over them.
fn limits(
    program: &crate::program::Program,
    at_once: &[String],
    per_second: &[String],
) -> Result<Vec<Option<serve::sender::Limit>>, String> {
    let mut limits: Vec<Option<serve::sender::Limit>> = program
        .apps
        .iter()
        .map(|a| a.limit.map(Into::into))
        .collect();
    let mut apply = |flag: &str, given: &str, set: &dyn Fn(&mut serve::sender::Limit, f64)| {
        let (app, number) = match given.split_once('=') {
            Some((app, n)) => (Some(app.trim()), n.trim()),
            None => (None, given.trim()),
        };
        let n: f64 = number
            .parse()
            .ok()
            .filter(|n: &f64| *n >= 1.0 && n.is_finite())
            .ok_or_else(|| {
                format!("`{flag} {given}` needs a number of at least 1, as in `{flag} Crm=8`")
            })?;
        let chosen: Vec<usize> = match app {
            None => (0..program.apps.len()).collect(),
            Some(name) => match program.apps.iter().position(|a| &*a.name == name) {
                Some(i) => vec![i],
                None => {
                    return Err(format!(
                        "`{flag} {given}` names the app `{name}`, which the script does not declare"
                    ));
                }
            },
        };
        for i in chosen {
            set(limits[i].get_or_insert_with(Default::default), n);
        }
        Ok::<(), String>(())
    };
    for given in at_once {
        apply("--at-once", given, &|l, n| l.at_once = n as usize)?;
    }
    for given in per_second {
        apply("--per-second", given, &|l, n| l.per_second = Some(n))?;
    }
    Ok(limits)
}

pub fn run(args: ServeArgs) -> u8 {
    let text = match load::read_text(&args.file) {
        Ok(text) => text,
        Err(err) => return super::usage_error(err),
    };
    let loaded = load::parse_all(vec![(args.file.clone(), text.clone())]);
    let Some(program) = super::program_to_run(
        &loaded,
        &super::Gate {
            flags: &args.checks,
            refusal: &format!("`{}` was not served", args.file),
            forced: "serve it with `--no-check`",
        },
    ) else {
        return super::FAILURE;
    };
    let config = match config(args, &loaded, text, &program) {
        Ok(config) => config,
        Err(message) => return super::usage_error(message),
    };
    if let Some(warning) = serve::marker::open_to_others(&config.journal) {
        eprintln!("{warning}");
    }
    for line in crate::run::agenda::unmoved_clock(&program) {
        eprintln!("warning: `weir serve` does not move the clock yet: {line}");
    }
    served(serve::serve(config, Arc::new(program)), &loaded.sources)
}

/// How to serve, from the command line and the environment it names; a usage error if any
/// of it is wrong.
fn config(
    args: ServeArgs,
    loaded: &load::Loaded,
    text: String,
    program: &Program,
) -> Result<Config, String> {
    let secret = from_env("--secret-env", &args.secret_env, "the webhook secret")?;
    let read_token = from_env("--read-token-env", &args.read_token_env, "the read token")?;
    let options = Options {
        max_hops: args.max_hops,
        max_runs: args.max_runs,
        runs: true,
        ..Options::default()
    };
    Ok(Config {
        listen: args.listen.unwrap_or_default(),
        journal: args.journal.into(),
        secret,
        tolerance: std::time::Duration::from_secs(args.signature_tolerance),
        read_token,
        log_values: args.log_values,
        accept_damaged: args.accept_damaged_journal,
        options,
        policy: args.http.policy()?,
        used_files: loaded
            .sources
            .all()
            .skip(1)
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect(),
        script_name: args.file,
        script_text: text,
        notifier: args.http.notifier()?,
        limits: limits(program, &args.at_once, &args.per_second)?,
        max_queued: args.max_queued,
        poll_once: args.poll_once,
    })
}

/// The exit code of a server that stopped, with what stopped it said.
fn served(result: Result<(), ServeError>, sources: &crate::source::SourceMap) -> u8 {
    match result {
        Ok(()) => super::SUCCESS,
        Err(ServeError::Start(StartError::Apps(err))) => {
            diagnostic::emit_to_stderr(sources, &[err.report()]);
            super::FAILURE
        }
        Err(ServeError::Start(StartError::Journal(err)) | ServeError::Journal(err)) => {
            super::usage_error(err)
        }
        Err(ServeError::Listen { addr, reason }) => super::usage_error(format!(
            "cannot listen on `{addr}`: {reason}; give another address to `--listen`, as in 127.0.0.1:8080"
        )),
        Err(ServeError::Damaged(damage)) => super::usage_error(format!(
            "{damage}; nothing was served\nhelp: restore the journal (with its `-wal` file) from a backup, or serve it as it is, losing what is missing, with `--accept-damaged-journal`"
        )),
        Err(ServeError::Runtime(reason)) => {
            super::usage_error(format!("weir serve stopped: {reason}"))
        }
    }
}

/// The value of the variable an option names, or why it cannot be used.
fn from_env(option: &str, name: &Option<String>, what: &str) -> Result<Option<Vec<u8>>, String> {
    let Some(name) = name else {
        return Ok(None);
    };
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(Some(value.into_bytes())),
        found => Err(format!(
            "`{option} {name}` names the variable `{name}`, which is {}; set it to {what} (`export {name}=…`) or leave out `{option}`",
            if found.is_ok() { "empty" } else { "not set" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::limits;
    use crate::serve::sender::Limit;

    fn program(text: &str) -> crate::program::Program {
        let loaded = crate::load::parse_all(vec![("a.weir".into(), text.into())]);
        let (program, diagnostics) = crate::check::check_all(&loaded);
        program.unwrap_or_else(|| panic!("{diagnostics:?}"))
    }

    #[test]
    fn declared_limits_are_read_and_the_command_line_goes_over_them() {
        let p = program(
            "app Crm at \"http://127.0.0.1:9\" {\n  limit 10 per second, at most 4 at once\n  contact { name: text }\n}\napp Mail at \"http://127.0.0.1:9\" { message { to: text } }\n",
        );
        let declared = limits(&p, &[], &[]).unwrap();
        let crm = Limit {
            at_once: 4,
            per_second: Some(10.0),
        };
        assert_eq!(declared, [Some(crm), None]);
        let given = limits(&p, &["Mail=2".into(), "Crm=8".into()], &[]).unwrap();
        assert_eq!(given[0], Some(Limit { at_once: 8, ..crm }));
        assert_eq!(given[1].map(|l| l.at_once), Some(2));
        let every = limits(&p, &["32".into()], &[]).unwrap();
        assert!(every.iter().all(|l| l.is_some_and(|l| l.at_once == 32)));
        assert_eq!(
            limits(&p, &["Crn=3".into()], &[]).unwrap_err(),
            "`--at-once Crn=3` names the app `Crn`, which the script does not declare"
        );
        assert_eq!(
            limits(&p, &[], &["Crm=0".into()]).unwrap_err(),
            "`--per-second Crm=0` needs a number of at least 1, as in `--per-second Crm=8`"
        );
    }
}
