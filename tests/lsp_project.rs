//! The language server over a project of several files on the disk, joined by `use`: checked
//! as one program, diagnostics per file, names, rename and fixes across files, completion of
//! what a file uses.

#[path = "lsp/client.rs"]
mod client;
#[path = "lsp/replies.rs"]
mod replies;

use client::{Client, position_of};
use replies::{apply, code, labels};
use serde_json::{Value, json};

/// A project of three files on the disk: the apps, and one workflow in each of two files that
/// `use` it (and one `use`s the other), which together make a loop.
struct Project {
    dir: std::path::PathBuf,
}

const APPS: &str = "engine keragon

app Calendar {
  event { title: text, start: time, origin: stamp }
}

app Outlook {
  event { subject: text, start_time: time, origin: stamp }
}
";

const TO_OUTLOOK: &str = "use \"apps.weir\"

workflow to_outlook {
  on new event in Calendar
  create event in Outlook { subject: title, start_time: start }
}
";

const TO_CALENDAR: &str = "use \"apps.weir\"
use \"to_outlook.weir\"

workflow to_calendar {
  on new event in Outlook
  create event in Calendar { title: subject, start: start_time }
}
";

impl Project {
    fn new(name: &str) -> Project {
        let dir = std::env::temp_dir().join(format!("weir-lsp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in [
            ("apps.weir", APPS),
            ("to_outlook.weir", TO_OUTLOOK),
            ("to_calendar.weir", TO_CALENDAR),
        ] {
            std::fs::write(dir.join(file), text).unwrap();
        }
        Project { dir }
    }

    fn uri(&self, file: &str) -> String {
        format!("file://{}", self.dir.join(file).display())
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn at_in(uri: &str, text: &str, needle: &str, nth: usize) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position_of(text, needle, nth, 1) })
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one session with the language server over a project, each request depending on the ones before"
)]
fn a_project_of_several_files_is_checked_as_one_program() {
    let project = Project::new("project");
    let (apps, outlook, calendar) = (
        project.uri("apps.weir"),
        project.uri("to_outlook.weir"),
        project.uri("to_calendar.weir"),
    );
    let (mut client, _) = Client::initialized();
    client.open(&calendar, TO_CALENDAR);
    // The loop runs through both workflow files: its error is in the file opened, and its story
    // names the workflow in the other, which is not open.
    let in_outlook = client.diagnostics(&outlook);
    let in_calendar = client.diagnostics(&calendar);
    assert!(client.diagnostics(&apps).is_empty());
    assert!(in_outlook.is_empty(), "{in_outlook:?}");
    let loop_error = in_calendar
        .iter()
        .find(|d| code(d) == "E0301")
        .unwrap_or_else(|| panic!("E0301 in to_calendar.weir: {in_calendar:?}"));
    assert_eq!(
        loop_error["range"]["start"],
        position_of(TO_CALENDAR, "create event", 0, 0)
    );
    let related = &loop_error["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], outlook);
    assert_eq!(
        related["range"]["start"],
        position_of(TO_OUTLOOK, "create event", 0, 0)
    );

    // Names reach across files: `Outlook` in to_calendar.weir is declared in apps.weir.
    let definition = client.request(
        "textDocument/definition",
        at_in(&calendar, TO_CALENDAR, "Outlook", 0),
    );
    assert_eq!(definition["uri"], apps);
    assert_eq!(
        definition["range"]["start"],
        position_of(APPS, "Outlook", 0, 0)
    );
    // And the path of a `use` goes to the file.
    let definition = client.request(
        "textDocument/definition",
        at_in(&calendar, TO_CALENDAR, "to_outlook.weir", 0),
    );
    assert_eq!(definition["uri"], outlook);
    let hover = client.request(
        "textDocument/hover",
        at_in(&calendar, TO_CALENDAR, "subject", 0),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("a field of `event` in `Outlook`"), "{value}");

    // From the file the others use, references and rename find the uses in both.
    client.open(&apps, APPS);
    for uri in [&apps, &calendar, &outlook] {
        client.diagnostics(uri);
    }
    let mut params = at_in(&apps, APPS, "subject", 0);
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    let files: Vec<&str> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 3, "{references}");
    for uri in [&apps, &outlook, &calendar] {
        assert!(files.contains(&uri.as_str()), "{uri} in {files:?}");
    }
    let mut params = at_in(&apps, APPS, "subject", 0);
    params["newName"] = json!("summary");
    let edit = client.request("textDocument/rename", params);
    let renamed = |uri: &str, text: &str| apply(text, edit["changes"][uri].as_array().unwrap());
    assert!(renamed(&apps, APPS).contains("event { summary: text"));
    assert!(renamed(&outlook, TO_OUTLOOK).contains("{ summary: title,"));
    assert!(renamed(&calendar, TO_CALENDAR).contains("{ title: summary,"));

    // A change to the used file checks again the files that use it: `title` is gone, and each
    // workflow that reads or writes it says so in its own file, open or not.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": apps, "version": 2 },
            "contentChanges": [{ "text": APPS.replace("title", "name") }],
        }),
    );
    let after: Vec<Vec<Value>> = [&apps, &calendar, &outlook]
        .iter()
        .map(|uri| client.diagnostics(uri))
        .collect();
    assert!(after[0].is_empty(), "{:?}", after[0]);
    assert!(
        after[1]
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("`title`")),
        "to_calendar.weir writes `title`: {:?}",
        after[1]
    );
    assert!(
        after[2]
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("`title`")),
        "to_outlook.weir reads `title`: {:?}",
        after[2]
    );
    let (status, stderr) = client.shutdown();
    assert!(status.success(), "a clean exit: {status:?} {stderr}");
}

#[test]
fn a_fix_reaches_into_the_files_a_loop_runs_through() {
    let project = Project::new("project-fix");
    let (outlook, calendar) = (
        project.uri("to_outlook.weir"),
        project.uri("to_calendar.weir"),
    );
    let (mut client, _) = Client::initialized();
    client.open(&outlook, TO_OUTLOOK);
    client.diagnostics(&outlook);
    client.open(&calendar, TO_CALENDAR);
    client.diagnostics(&outlook);
    let diagnostics = client.diagnostics(&calendar);
    let diagnostic = diagnostics
        .iter()
        .find(|d| code(d) == "E0301")
        .unwrap_or_else(|| panic!("E0301 among {diagnostics:?}"));
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": calendar },
            "range": diagnostic["range"],
            "context": { "diagnostics": [diagnostic] },
        }),
    );
    let guard = &actions[0];
    assert_eq!(
        guard["title"],
        "add `unless origin == keragon` to `to_calendar` and `to_outlook`"
    );
    let changes = &guard["edit"]["changes"];
    let fixed = apply(TO_CALENDAR, changes[&calendar].as_array().unwrap());
    assert!(
        fixed.contains("  on new event in Outlook\n  unless origin == keragon\n"),
        "{fixed}"
    );
    let fixed = apply(TO_OUTLOOK, changes[&outlook].as_array().unwrap());
    assert!(
        fixed.contains("  on new event in Calendar\n  unless origin == keragon\n"),
        "{fixed}"
    );
}

#[test]
fn a_use_that_names_no_file_is_an_error_at_the_use() {
    let project = Project::new("project-missing");
    let uri = project.uri("flows.weir");
    let text =
        "use \"apps.weir\"\nuse \"nowhere.weir\"\non new event in Calendar do notify title\n";
    let (mut client, _) = Client::initialized();
    client.open(&uri, text);
    let diagnostics = client.diagnostics(&uri);
    let missing = diagnostics
        .iter()
        .find(|d| code(d) == "E0005")
        .unwrap_or_else(|| panic!("E0005 among {diagnostics:?}"));
    assert_eq!(
        missing["range"]["start"],
        position_of(text, "\"nowhere", 0, 0)
    );
    // A file the editor has open and that is not on the disk yet is used as the editor has it.
    let unsaved = project.uri("nowhere.weir");
    client.open(&unsaved, "app Extra { thing { n: number } }\n");
    let again = client.diagnostics(&uri);
    assert!(again.iter().all(|d| code(d) != "E0005"), "{again:?}");
}

#[test]
fn completion_in_a_file_that_does_not_parse_yet_knows_the_files_it_uses() {
    let project = Project::new("project-complete");
    let uri = project.uri("flows.weir");
    let text = "use \"apps.weir\"\n\non new event in Cal";
    let (mut client, _) = Client::initialized();
    client.open(&uri, text);
    let apps = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": position_of(text, "Cal", 0, 3) }),
    );
    assert_eq!(labels(&apps), ["Calendar"]);
}

#[test]
fn completion_after_use_offers_the_files_beside() {
    let project = Project::new("project-use");
    let uri = project.uri("flows.weir");
    let text = "use \"to_";
    let (mut client, _) = Client::initialized();
    client.open(&uri, text);
    let files = client.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": position_of(text, "to_", 0, 3) }),
    );
    assert_eq!(labels(&files), ["to_calendar.weir", "to_outlook.weir"]);
    assert_eq!(files[0]["kind"], 17, "a file");
    assert_eq!(
        files[0]["textEdit"]["range"]["start"],
        position_of(text, "to_", 0, 0)
    );
}

#[test]
fn a_used_file_that_is_not_text_or_uses_back_is_answered_not_fatal() {
    let project = Project::new("project-bad");
    std::fs::write(project.dir.join("bad.weir"), b"app A { x { n: \xff } }\n").unwrap();
    // `back.weir` and `flows.weir` use each other: each is read once.
    std::fs::write(
        project.dir.join("back.weir"),
        "use \"flows.weir\"\napp B { y { m: number } }\n",
    )
    .unwrap();
    let uri = project.uri("flows.weir");
    let text = "use \"bad.weir\"\nuse \"back.weir\"\non new y in B do notify \"m\"\n";
    std::fs::write(project.dir.join("flows.weir"), text).unwrap();
    let (mut client, _) = Client::initialized();
    client.open(&uri, text);
    let diagnostics = client.diagnostics(&uri);
    let bad = diagnostics
        .iter()
        .find(|d| code(d) == "E0005")
        .unwrap_or_else(|| panic!("E0005 among {diagnostics:?}"));
    assert!(bad["message"].as_str().unwrap().contains("UTF-8"), "{bad}");
    assert_eq!(bad["range"]["start"], position_of(text, "\"bad", 0, 0));
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": position_of(text, "in B", 0, 3) }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("y { m: number }"),
        "{hover}"
    );
}
