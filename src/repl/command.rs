//! The REPL's `:commands`: parsing what follows the colon.

/// A command typed after `:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Load(String),
    Check,
    Graph(GraphFormat),
    Show(Option<String>),
    Workflows,
    Trace(Option<usize>),
    Held,
    Explain(String),
    SetMaxHops(u32),
    /// Whether loops and flow problems reject an item (on) or only warn (off).
    SetChecks(bool),
    Reset,
    Quit,
    /// `:at` says the clock's time; `:at TIME` moves the clock there (the step `at TIME`).
    At(Option<String>),
    /// `:advance DURATION`: the step `advance DURATION`.
    Advance(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Text,
    Dot,
    Mermaid,
}

/// Every command, with its arguments and what it does, for `:help` and completion.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("help", "", "this list"),
    (
        "load",
        "FILE",
        "add the declarations and workflows of a script",
    ),
    ("check", "", "check everything added so far"),
    ("graph", "[text|dot|mermaid]", "draw the flow graph"),
    (
        "show",
        "[App[.entity]]",
        "the apps, or the records of an app or entity",
    ),
    ("workflows", "", "the workflows and what starts them"),
    (
        "trace",
        "[N]",
        "the trace of the last N changes (default 1)",
    ),
    ("held", "", "chains the run-time guard held"),
    (
        "explain",
        "CODE",
        "the long explanation of a diagnostic code",
    ),
    (
        "set",
        "max-hops N|checks on|off",
        "how many runs a chain may have before the guard holds it; whether a loop is refused",
    ),
    (
        "at",
        "[TIME]",
        "the clock's time, or move the clock to TIME (2030-05-01T08:00)",
    ),
    (
        "advance",
        "DURATION",
        "move the clock forward (24h, 15m, 2d)",
    ),
    ("reset", "", "forget everything: apps, workflows, records"),
    ("quit", "", "leave (Ctrl-D does too)"),
];

/// Why a command line was not understood, in one sentence with the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError(pub String);

#[expect(
    clippy::too_many_lines,
    reason = "one arm per REPL command, each with its own arguments and usage message"
)]
pub fn parse(line: &str) -> Result<Command, CommandError> {
    let line = line.trim().trim_start_matches(':');
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    let no_args = |command: Command| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(CommandError(format!(
                "`:{name}` takes no arguments; write just `:{name}`"
            )))
        }
    };
    match name {
        "help" | "h" | "?" => no_args(Command::Help),
        "load" | "l" => match rest.as_slice() {
            [] => Err(CommandError(
                "`:load` needs a file: `:load examples/calendar_mirror.weir`".into(),
            )),
            _ => Ok(Command::Load(rest.join(" "))),
        },
        "check" => no_args(Command::Check),
        "graph" => match rest.as_slice() {
            [] | ["text"] => Ok(Command::Graph(GraphFormat::Text)),
            ["dot"] => Ok(Command::Graph(GraphFormat::Dot)),
            ["mermaid"] => Ok(Command::Graph(GraphFormat::Mermaid)),
            _ => Err(CommandError(
                "`:graph` draws as `text`, `dot` or `mermaid`: `:graph dot`".into(),
            )),
        },
        "show" => match rest.as_slice() {
            [] => Ok(Command::Show(None)),
            [what] => Ok(Command::Show(Some(what.to_string()))),
            _ => Err(CommandError(
                "`:show` takes one app or app.entity: `:show Calendar.event`".into(),
            )),
        },
        "workflows" | "w" => no_args(Command::Workflows),
        "trace" => match rest.as_slice() {
            [] => Ok(Command::Trace(None)),
            [n] => n.parse().map(|n| Command::Trace(Some(n))).map_err(|_| {
                CommandError(format!(
                    "`:trace` takes a number of changes, not `{n}`: `:trace 3`"
                ))
            }),
            _ => Err(CommandError("`:trace` takes one number: `:trace 3`".into())),
        },
        "held" => no_args(Command::Held),
        "explain" => match rest.as_slice() {
            [code] => Ok(Command::Explain(code.to_string())),
            _ => Err(CommandError(
                "`:explain` takes one code: `:explain E0301`".into(),
            )),
        },
        "set" => match rest.as_slice() {
            ["max-hops", n] => match n.parse::<u32>() {
                Ok(n) if n > 0 => Ok(Command::SetMaxHops(n)),
                _ => Err(CommandError(format!(
                    "the hop limit is a whole number above 0, not `{n}`: `:set max-hops 8`"
                ))),
            },
            ["checks", "on"] => Ok(Command::SetChecks(true)),
            ["checks", "off"] => Ok(Command::SetChecks(false)),
            ["checks", other] => Err(CommandError(format!(
                "checks are `on` or `off`, not `{other}`: `:set checks off`"
            ))),
            _ => Err(CommandError(
                "`:set` knows `:set max-hops N` and `:set checks on|off`".into(),
            )),
        },
        "at" => Ok(Command::At((!rest.is_empty()).then(|| rest.join(" ")))),
        "advance" => match rest.as_slice() {
            [] => Err(CommandError(
                "`:advance` needs a duration: `:advance 24h`".into(),
            )),
            _ => Ok(Command::Advance(rest.join(" "))),
        },
        "reset" => no_args(Command::Reset),
        "quit" | "q" | "exit" => no_args(Command::Quit),
        "" => Err(CommandError(format!(
            "a command follows the colon; the commands are {}",
            list()
        ))),
        other => {
            let names = COMMANDS.iter().map(|(n, _, _)| *n);
            let hint = match crate::suggest::closest(other, names) {
                Some(close) => format!("did you mean `:{close}`? "),
                None => String::new(),
            };
            Err(CommandError(format!(
                "there is no command `:{other}`; {hint}the commands are {}",
                list()
            )))
        }
    }
}

fn list() -> String {
    let mut names: Vec<String> = COMMANDS.iter().map(|(n, _, _)| format!(":{n}")).collect();
    names.dedup();
    names.join(", ")
}

/// The text `:help` prints.
pub fn help() -> String {
    let mut out = String::from(
        "Type a declaration (`app …`, `workflow …`, a one-liner `on … do …`, `App owns entity`,\n\
         `sync …`, `engine …`) to add it; a user step (`user creates event in Calendar { … }`)\n\
         to run it; `expect …` to check what happened; or an expression to see its value.\n\ncommands:\n",
    );
    for (name, args, what) in COMMANDS {
        let head = if args.is_empty() {
            format!(":{name}")
        } else {
            format!(":{name} {args}")
        };
        out.push_str(&format!("  {head:<30} {what}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse(":graph dot"), Ok(Command::Graph(GraphFormat::Dot)));
        assert_eq!(parse(":set max-hops 3"), Ok(Command::SetMaxHops(3)));
        assert_eq!(parse(":set checks off"), Ok(Command::SetChecks(false)));
        assert_eq!(
            parse(":show Calendar.event"),
            Ok(Command::Show(Some("Calendar.event".into())))
        );
        assert_eq!(parse(":q"), Ok(Command::Quit));
        assert_eq!(parse(":at"), Ok(Command::At(None)));
        assert_eq!(
            parse(":at 2030-05-01T08:00"),
            Ok(Command::At(Some("2030-05-01T08:00".into())))
        );
        assert_eq!(
            parse(":advance 1d 2h"),
            Ok(Command::Advance("1d 2h".into()))
        );
        let CommandError(message) = parse(":advance").unwrap_err();
        assert!(message.contains("`:advance 24h`"), "{message}");
    }

    #[test]
    fn unknown_commands_list_the_real_ones() {
        let CommandError(message) = parse(":grpah").unwrap_err();
        assert!(
            message.contains("did you mean `:graph`?") && message.contains(":workflows"),
            "{message}"
        );
        let CommandError(message) = parse(":trace many").unwrap_err();
        assert!(message.contains("`:trace 3`"), "{message}");
    }
}
