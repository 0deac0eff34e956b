//! `weir run FILE`: run input events through the workflows in the simulator.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use crate::diagnostic::{self, Report};
use crate::load;
use crate::program::Program;
use crate::remote::notify::Notifier;
use crate::remote::{self, Connected, Policy};
use crate::run::guard::HeldChain;
use crate::run::input::{self, BadLine, Decoder, InputError};
use crate::run::{Engine, Options, Outcome, state, trace};
use crate::source::SourceMap;

/// Check a script, then run input events (JSON Lines) through its workflows: apps declared
/// `at "url"` are real and reached over HTTP, the others are simulated.
#[derive(Args)]
#[command(after_help = "Each input line is one event:\n  \
{\"kind\":\"new\",\"app\":\"Calendar\",\"entity\":\"event\",\"record\":{\"title\":\"Standup\"},\"actor\":\"user\"}\n\n\
Examples:\n  weir run examples/calendar_mirror.weir --events monday.jsonl\n  \
cat events.jsonl | weir run mirror.weir --trace json\n  \
weir run mirror.weir --events big.jsonl --trace summary --max-runs 2000000 --state apps.json")]
pub struct RunArgs {
    /// The script to run.
    file: String,
    /// Read the input events from this file (one JSON object a line); default: standard input.
    #[arg(long, value_name = "FILE")]
    events: Option<String>,
    /// What to print: a tree per input event, one JSON object per line, or only the summary
    /// line (fastest, for big inputs).
    #[arg(long, value_enum, default_value_t = TraceMode::Human)]
    trace: TraceMode,
    /// Runs a chain may have before the run-time guard holds it.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    max_hops: u32,
    /// Runs each workflow may make in this invocation before the guard holds its events.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_runs: u64,
    /// Load the simulated apps (records, links, ledger, held events) and the clock (its time,
    /// the runs waiting for it, the timers that fired) from this JSON file, if it exists, and
    /// save them back at the end; a later `--now` moves the clock from the saved time.
    #[arg(long, value_name = "FILE")]
    state: Option<String>,
    #[command(flatten)]
    checks: super::CheckFlags,
    /// The simulator's clock, what `now()` returns (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = "2030-01-01T00:00:00Z")]
    now: String,
    #[command(flatten)]
    http: HttpArgs,
}

/// How weir talks to apps declared `at "url"` (`run` and `serve`).
#[derive(Args, Clone, Debug)]
pub struct HttpArgs {
    /// Also POST every notification to this URL, as {"channel": …, "text": …}.
    #[arg(long, value_name = "URL")]
    pub notify_url: Option<String>,
    /// Seconds one request to a real app may take before it is tried again.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub http_timeout: f64,
    /// How many times a request to a real app is tried again after a connect error, a
    /// time-out, 429 or 5xx (with exponential back-off and jitter, or as `Retry-After` asks).
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub retries: u32,
    /// The first wait before trying again, in milliseconds (each next one doubles).
    #[arg(long, value_name = "MS", default_value_t = 250)]
    pub backoff_ms: u64,
}

impl HttpArgs {
    /// The notifier `--notify-url` asks for.
    pub fn notifier(&self) -> Result<Option<Notifier>, String> {
        let policy = self.policy()?;
        self.notify_url
            .as_deref()
            .map(|url| Notifier::new(url, policy))
            .transpose()
    }

    pub fn policy(&self) -> Result<Policy, String> {
        if !(self.http_timeout.is_finite() && self.http_timeout > 0.0) {
            return Err(format!(
                "`--http-timeout {}` is not a number of seconds; give one above 0, as in `--http-timeout 10`",
                self.http_timeout
            ));
        }
        Ok(Policy {
            timeout: std::time::Duration::from_secs_f64(self.http_timeout),
            retries: self.retries,
            backoff: std::time::Duration::from_millis(self.backoff_ms),
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TraceMode {
    Human,
    Json,
    Summary,
}

pub fn run(args: RunArgs) -> u8 {
    let loaded = match load::load_files(std::slice::from_ref(&args.file)) {
        Ok(loaded) => loaded,
        Err(err) => return super::usage_error(err),
    };
    let Some(program) = super::program_to_run(
        &loaded,
        &super::Gate {
            flags: &args.checks,
            refusal: &format!("`{}` was not run", args.file),
            forced: "run it with `--no-check`",
        },
    ) else {
        return super::FAILURE;
    };
    let Some(now) = crate::value::parse_time(&args.now) else {
        return super::usage_error(format!(
            "`--now {}` is not a time; write it as 2030-01-02T09:00:00Z",
            args.now
        ));
    };
    let program = Arc::new(program);
    let options = Options {
        max_hops: args.max_hops,
        max_runs: args.max_runs,
        trace: args.trace != TraceMode::Summary,
        now,
        ..Options::default()
    };
    let policy = match args.http.policy() {
        Ok(policy) => policy,
        Err(message) => return super::usage_error(message),
    };
    let Some(apps) = connect(&program, policy, &loaded.sources) else {
        return super::FAILURE;
    };
    let mut notifier = match args.http.notifier() {
        Ok(notifier) => notifier,
        Err(message) => return super::usage_error(message),
    };
    let mut engine = Engine::new(Arc::clone(&program), apps, options);
    if let Some(path) = &args.state
        && let Err(message) = load_state(&mut engine, path)
    {
        return super::usage_error(message);
    }
    let (name, input) = match events(args.events.as_deref()) {
        Ok(events) => events,
        Err(message) => return super::usage_error(message),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Err(err) = move_clock(
        &mut engine,
        &mut notifier,
        &loaded.sources,
        args.trace,
        now,
        &mut out,
    ) {
        return super::usage_error(format!("cannot write the trace: {err}"));
    }
    let bad = match feed(
        &mut engine,
        &mut notifier,
        &loaded.sources,
        args.trace,
        &name,
        input,
        &mut out,
    ) {
        Ok(bad) => bad,
        // Whoever read the trace stopped reading (`weir run … | head`): that ends the run
        // quietly, as the end of the input would.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => return super::SUCCESS,
        Err(err) => {
            let _ = out.flush();
            return super::usage_error(format!("cannot read `{name}`: {err}"));
        }
    };
    finished(&engine, &args, bad, &mut out)
}

/// After the last event: the summary line, the state saved (`--state`), and the exit code.
fn finished(engine: &Engine<Connected>, args: &RunArgs, bad: u64, out: &mut impl Write) -> u8 {
    let totals = engine.totals();
    let summary = match args.trace {
        TraceMode::Json => trace::summary_json(&totals, bad),
        _ => trace::summary(&totals, bad),
    };
    let _ = writeln!(out, "{summary}");
    let _ = out.flush();
    let waiting = engine.waiting_runs();
    if args.state.is_none() && waiting > 0 {
        let (runs, end) = if waiting == 1 {
            ("run waits", "it ends")
        } else {
            ("runs wait", "they end")
        };
        eprintln!(
            "note: {waiting} {runs} for the clock (`wait`), which `weir run` moves only from a \
             `--state FILE` to a later `--now`; without a state file {end} here"
        );
    }
    if let Some(path) = &args.state {
        let text = format!("{:#}\n", state::save(engine));
        if let Err(err) = save_state(Path::new(path), &text) {
            return super::usage_error(format!(
                "cannot save the state to `{path}`: {}",
                err.to_string().to_lowercase()
            ));
        }
    }
    if bad > 0 || totals.held > 0 || totals.failed > 0 {
        super::FAILURE
    } else {
        super::SUCCESS
    }
}

/// Writes the state to a new file beside the old one, then renames it over: a run stopped
/// while it saves leaves the last state whole. The file holds records, so a new one is
/// readable by its owner only; an existing one keeps the permissions it was given.
fn save_state(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = std::path::PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&temporary)?;
        if let Ok(old) = std::fs::metadata(path) {
            file.set_permissions(old.permissions())?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn load_state(engine: &mut Engine<Connected>, path: &str) -> Result<(), String> {
    if !std::path::Path::new(path).exists() {
        return Ok(());
    }
    let text = load::read_text_up_to(path, load::DATA_LIMIT).map_err(|err| err.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("cannot load the state `{path}`: it is not JSON: {err}"))?;
    state::load(engine, &json).map_err(|err| format!("cannot load the state `{path}`: {err}"))
}

/// The apps the script names, real ones connected, each real one said in a note.
fn connect(program: &Arc<Program>, policy: Policy, sources: &SourceMap) -> Option<Connected> {
    let apps = match Connected::new(program, policy, remote::instance_id()) {
        Ok(apps) => apps,
        Err(err) => {
            diagnostic::emit_to_stderr(sources, &[err.report()]);
            return None;
        }
    };
    for app in &program.apps {
        if let Some(location) = &app.location {
            eprintln!(
                "note: `{}` is a real app: writes to it go to {} (`weir test` simulates it instead)",
                app.name, location.url
            );
        }
    }
    Some(apps)
}

/// Where the events come from, and its name in messages: `--events FILE`, else standard input.
fn events(path: Option<&str>) -> Result<(Arc<str>, Box<dyn BufRead>), String> {
    let Some(path) = path else {
        if io::stdin().is_terminal() {
            eprintln!("reading events from standard input, one JSON object a line (Ctrl-D ends)");
        }
        return Ok((Arc::from("stdin"), Box::new(io::stdin().lock())));
    };
    match std::fs::File::open(path) {
        Ok(file) => Ok((Arc::from(path), Box::new(BufReader::new(file)))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            Err(format!("cannot read `{path}`: there is no such file"))
        }
        Err(err) => Err(format!(
            "cannot read `{path}`: {}",
            err.to_string().to_lowercase()
        )),
    }
}

/// A state saved at an earlier time: the clock moves from there to `--now`, firing the timers
/// and waits that came due in between (`run/state_time.rs`), and what they set off is shown.
fn move_clock(
    engine: &mut Engine<Connected>,
    notifier: &mut Option<Notifier>,
    sources: &SourceMap,
    mode: TraceMode,
    now: i64,
    out: &mut impl Write,
) -> io::Result<()> {
    if engine.now() >= now {
        return Ok(());
    }
    let moved = engine.move_clock(now).unwrap_or_default();
    show(
        engine,
        notifier,
        sources,
        mode,
        &moved,
        &mut String::new(),
        out,
    )
}

/// Runs every line of the input; returns how many lines were bad.
fn feed(
    engine: &mut Engine<Connected>,
    notifier: &mut Option<Notifier>,
    sources: &SourceMap,
    mode: TraceMode,
    name: &Arc<str>,
    input: Box<dyn BufRead>,
    out: &mut impl Write,
) -> io::Result<u64> {
    let program = Arc::clone(engine.program());
    let decoder = Decoder::new(&program);
    let mut line = Vec::new();
    let mut text = String::new();
    let (mut number, mut bad) = (0usize, 0u64);
    let mut lines = input::LineReader::new(input, input::LINE_LIMIT);
    loop {
        let read = lines.read(&mut line)?;
        if read == input::LineRead::End {
            break;
        }
        number += 1;
        if read == input::LineRead::TooLong {
            let error = InputError::LineTooLong {
                limit: input::LINE_LIMIT,
            };
            report_bad(sources, name, number, error, mode, out)?;
            return Ok(bad + 1);
        }
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        let event = match decoder.decode_bytes(number, trimmed) {
            Ok(event) => event,
            Err(error) => {
                bad += 1;
                report_bad(sources, name, number, error, mode, out)?;
                continue;
            }
        };
        let outcome = remote::run_input(engine, event);
        if let Some(err) = &outcome.refused {
            bad += 1;
            let error = InputError::Refused(err.to_string());
            report_bad(sources, name, number, error, mode, out)?;
        }
        show(engine, notifier, sources, mode, &outcome, &mut text, out)?;
    }
    Ok(bad)
}

/// What one line (or one move of the clock) set off: its trace, its failures and held
/// chains, its notifications.
fn show(
    engine: &Engine<Connected>,
    notifier: &mut Option<Notifier>,
    sources: &SourceMap,
    mode: TraceMode,
    outcome: &Outcome,
    text: &mut String,
    out: &mut impl Write,
) -> io::Result<()> {
    let program = engine.program();
    if mode != TraceMode::Summary && !outcome.trace.is_empty() {
        text.clear();
        match mode {
            TraceMode::Json => trace::json_lines(program, sources, &outcome.trace, text),
            _ => trace::human(program, sources, &outcome.trace, text),
        }
        out.write_all(text.as_bytes())?;
    }
    report_outcome(engine, sources, outcome);
    if let Some(notifier) = notifier {
        for (channel, text) in &outcome.notes {
            if let Err(reason) = notifier.send(channel.as_deref(), text) {
                eprintln!("warning: a notification was not sent: {reason}");
            }
        }
    }
    Ok(())
}

/// A bad line goes to standard error as a diagnostic (and into a JSON trace as an `error`).
fn report_bad(
    sources: &SourceMap,
    name: &Arc<str>,
    line: usize,
    error: InputError,
    mode: TraceMode,
    out: &mut impl Write,
) -> io::Result<()> {
    if mode == TraceMode::Json {
        writeln!(
            out,
            "{}",
            trace::bad_line_json(name, line, error.to_string())
        )?;
    }
    let bad = BadLine {
        source: name.clone(),
        line,
        error,
    };
    diagnostic::emit_to_stderr(sources, &[bad.report()]);
    Ok(())
}

/// Failed runs (R0302) and held chains (R0301) go to standard error as diagnostics.
fn report_outcome(engine: &Engine<Connected>, sources: &SourceMap, outcome: &Outcome) {
    if outcome.failures.is_empty() && outcome.held.is_empty() {
        return;
    }
    let program = engine.program();
    let mut diagnostics: Vec<_> = outcome.failures.iter().map(Report::report).collect();
    for &i in &outcome.held {
        let held = &engine.held()[i];
        diagnostics.push(HeldChain { program, held }.report());
    }
    diagnostic::emit_to_stderr(sources, &diagnostics);
}
