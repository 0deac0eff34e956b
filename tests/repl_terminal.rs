//! The real `weir repl` in a pseudo-terminal, typed at as a person would: the prompt, a
//! declaration over several lines, tab completion of an app name, Ctrl-C, and Ctrl-D to leave.

#![cfg(unix)]

use std::process::Command;

use rexpect::session::spawn_command;

#[test]
fn a_person_at_the_terminal() -> Result<(), rexpect::error::Error> {
    let home = std::env::temp_dir().join(format!("weir-repl-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .arg("repl")
        .env("HOME", &home)
        .env("NO_COLOR", "1")
        .env_remove("XDG_DATA_HOME");
    let mut p = spawn_command(command, Some(20_000))?;

    p.exp_string("type :help for help")?;
    p.exp_string("weir> ")?;

    // A declaration over three lines: the open `{` asks for more, under the continuation
    // prompt.
    p.send_line("app Calendar {")?;
    p.exp_string(" ...> ")?;
    p.send_line("  event { title: text, origin: stamp }")?;
    p.exp_string(" ...> ")?;
    p.send_line("}")?;
    p.exp_string("added app `Calendar`")?;

    // Tab completes the app name.
    p.send("on new event in Cal")?;
    p.send("\t")?;
    p.send_line(" do notify \"new: {title}\"")?;
    p.exp_string("added the one-liner")?;

    p.send_line("user creates event in Calendar { title: \"Standup\" }")?;
    p.exp_string("notify \"new: Standup\"")?;

    // A mistake is shown at once, not waited on.
    p.send_line("app X { event { title text } }")?;
    p.exp_string("expected `:`")?;

    // Ctrl-C drops what is being typed; the session goes on.
    p.send("workflow half {")?;
    p.send_control('c')?;
    p.exp_string("input cancelled")?;
    p.send_line(":workflows")?;
    p.exp_string("line ")?;

    // Ctrl-D leaves, and the history is kept.
    p.exp_string("weir> ")?;
    p.send_control('d')?;
    p.exp_eof()?;
    let history = home.join(".local/share/weir/history");
    let kept = std::fs::read_to_string(&history).unwrap_or_default();
    assert!(
        kept.contains(":workflows"),
        "history at {} has: {kept}",
        history.display()
    );
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}
