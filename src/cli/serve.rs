//! `weir serve FILE`: take webhooks, keep them in a journal, run them.

use std::sync::Arc;

use clap::Args;

use super::run::HttpArgs;
use crate::diagnostic::{self, Report};
use crate::load;
use crate::run::Options;
use crate::serve::{self, Config, ServeError, worker::StartError};

/// Take events as webhooks, write each to a journal before answering, and run them through the
/// workflows; apps declared `at "url"` are real and reached over HTTP.
#[derive(Args)]
#[command(after_help = "Routes:\n  \
POST /events/{app}/{entity}/{kind}   the record as JSON; headers X-Weir-Event-Id, X-Weir-Actor,\n                                       X-Weir-Changed: a,b, and X-Weir-Signature with a secret\n  \
GET  /health                         counts of queued, done, failed and held events\n  \
GET  /runs?status=failed|held        recent runs\n\n\
Examples:\n  weir serve shop.weir --listen 127.0.0.1:8080\n  \
WEIR_SECRET=s3cret weir serve shop.weir --listen 0.0.0.0:8080 --journal /var/lib/weir/shop.db --secret-env WEIR_SECRET")]
pub struct ServeArgs {
    /// The script to serve.
    file: String,
    /// The address to listen on, as in 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// The journal: an SQLite file, made if it does not exist.
    #[arg(long, value_name = "FILE", default_value = "weir.db")]
    journal: String,
    /// The environment variable holding the webhook secret; every event must then carry
    /// `X-Weir-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    #[arg(long, value_name = "NAME")]
    secret_env: Option<String>,
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
            no_check: args.checks.no_check,
            deny_warnings: args.checks.deny_warnings,
            refusal: &format!("`{}` was not served", args.file),
            forced: "serve it with `--no-check`",
        },
    ) else {
        return super::FAILURE;
    };
    let secret = match &args.secret_env {
        None => None,
        Some(name) => match std::env::var(name) {
            Ok(value) if !value.is_empty() => Some(value.into_bytes()),
            _ => {
                return super::usage_error(format!(
                    "`--secret-env {name}` names the variable `{name}`, which is not set; set it to the webhook secret (`export {name}=…`) or leave out `--secret-env`"
                ));
            }
        },
    };
    let policy = match args.http.policy() {
        Ok(policy) => policy,
        Err(message) => return super::usage_error(message),
    };
    let notifier = match args.http.notifier() {
        Ok(notifier) => notifier,
        Err(message) => return super::usage_error(message),
    };
    let options = Options {
        max_hops: args.max_hops,
        max_runs: args.max_runs,
        runs: true,
        ..Options::default()
    };
    let config = Config {
        listen: args.listen,
        journal: args.journal.into(),
        secret,
        options,
        policy,
        script_name: args.file,
        script_text: text,
        notifier,
    };
    match serve::serve(config, Arc::new(program)) {
        Ok(()) => super::SUCCESS,
        Err(ServeError::Start(StartError::Apps(err))) => {
            diagnostic::emit_to_stderr(&loaded.sources, &[err.report()]);
            super::FAILURE
        }
        Err(ServeError::Start(StartError::Journal(err)) | ServeError::Journal(err)) => {
            super::usage_error(err)
        }
        Err(ServeError::Listen { addr, reason }) => super::usage_error(format!(
            "cannot listen on `{addr}`: {reason}; give another address to `--listen`, as in 127.0.0.1:8080"
        )),
        Err(ServeError::Runtime(reason)) => {
            super::usage_error(format!("weir serve stopped: {reason}"))
        }
    }
}
