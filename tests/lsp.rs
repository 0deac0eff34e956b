//! The language server, driven as an editor drives it: `weir lsp` as a child process, JSON-RPC
//! over its standard input and output.

#[path = "lsp/client.rs"]
mod client;
#[path = "lsp/replies.rs"]
mod replies;

use client::{Client, position_of};
use replies::{apply, code, labels};
use serde_json::{Value, json};

const URI: &str = "file:///project/mirror.weir";

const LOOP: &str = "engine keragon

app Calendar {
  event { title: text, start: time, origin: stamp }
}

app Outlook {
  event { subject: text, start_time: time, origin: stamp }
}

workflow to_outlook {
  on new event in Calendar
  create event in Outlook { subject: title, start_time: start }
}

workflow to_calendar {
  on new event in Outlook
  create event in Calendar { title: subject, start: start_time }
}
";

fn at(text: &str, needle: &str, nth: usize) -> Value {
    json!({ "textDocument": { "uri": URI }, "position": position_of(text, needle, nth, 1) })
}

#[test]
fn initialize_announces_the_features() {
    let (client, reply) = Client::initialized();
    let caps = &reply["capabilities"];
    for feature in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "completionProvider",
        "signatureHelpProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
        "foldingRangeProvider",
        "codeActionProvider",
        "semanticTokensProvider",
        "executeCommandProvider",
    ] {
        assert!(!caps[feature].is_null(), "{feature} is missing from {caps}");
    }
    assert_eq!(reply["serverInfo"]["name"], "weir");
    let (status, stderr) = client.shutdown();
    assert!(
        status.success(),
        "exit after shutdown is 0: {status:?} {stderr}"
    );
}

#[test]
fn a_loop_is_an_error_with_its_story_and_a_link_to_its_page() {
    let (mut client, _) = Client::initialized();
    client.open(URI, LOOP);
    let diagnostics = client.diagnostics(URI);
    let loop_error = diagnostics
        .iter()
        .find(|d| code(d) == "E0301")
        .unwrap_or_else(|| panic!("E0301 among {diagnostics:?}"));
    assert_eq!(loop_error["severity"], 1, "an error");
    assert_eq!(loop_error["codeDescription"]["href"], "weir-explain:E0301");
    assert_eq!(loop_error["source"], "weir");
    assert_eq!(
        loop_error["range"]["start"],
        json!({ "line": 12, "character": 2 })
    );
    let message = loop_error["message"].as_str().unwrap();
    assert!(
        message.contains("help: add `unless origin == keragon`"),
        "{message}"
    );
    let related = loop_error["relatedInformation"]
        .as_array()
        .expect("related places");
    assert_eq!(related[0]["location"]["uri"], URI);
    assert_eq!(related[0]["location"]["range"]["start"]["line"], 17);
}

#[test]
fn warnings_are_warnings_and_a_change_clears_what_it_fixes() {
    let (mut client, _) = Client::initialized();
    let text = "app Calendar { event { title: text } }\non new event in Calender do notify \"x\"\n";
    client.open(URI, text);
    let diagnostics = client.diagnostics(URI);
    let warning = diagnostics
        .iter()
        .find(|d| code(d) == "W0101")
        .expect("W0101");
    assert_eq!(warning["severity"], 2, "a warning");
    // Fix the spelling with an incremental change: `Calender` -> `Calendar`.
    let start = position_of(text, "Calender", 0, 6);
    let end = position_of(text, "Calender", 0, 7);
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": URI, "version": 2 },
            "contentChanges": [{ "range": { "start": start, "end": end }, "text": "a" }],
        }),
    );
    let after = client.diagnostics(URI);
    assert!(after.iter().all(|d| code(d) != "W0101"), "{after:?}");
}

#[test]
fn hover_shows_types_workflows_and_explanations() {
    let (mut client, _) = Client::initialized();
    client.open(URI, LOOP);
    let field = client.request("textDocument/hover", at(LOOP, "title", 1));
    let text = field["contents"]["value"].as_str().unwrap();
    assert!(text.contains("title: text"), "{text}");
    assert!(text.contains("a field of `event` in `Calendar`"), "{text}");
    let workflow = client.request("textDocument/hover", at(LOOP, "to_outlook", 0));
    let text = workflow["contents"]["value"].as_str().unwrap();
    assert!(text.contains("on new event in Calendar"), "{text}");
    assert!(text.contains("writes: `create event in Outlook`"), "{text}");
    let write = client.request("textDocument/hover", at(LOOP, "create event in Outlook", 0));
    let text = write["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("**E0301**"),
        "the loop's code is explained: {text}"
    );
    assert!(text.contains(weir::codes::Code::E0301.page()), "{text}");
    let app = client.request("textDocument/hover", at(LOOP, "Outlook {", 0));
    let text = app["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("event { subject: text, start_time: time, origin: stamp }"),
        "{text}"
    );
}

#[test]
fn definition_references_and_rename_follow_names() {
    let (mut client, _) = Client::initialized();
    client.open(URI, LOOP);
    // `Outlook` in `create event in Outlook` goes to `app Outlook`.
    let definition = client.request("textDocument/definition", at(LOOP, "Outlook {", 1));
    assert_eq!(
        definition["range"]["start"],
        position_of(LOOP, "Outlook", 0, 0)
    );
    let mut params = at(LOOP, "start_time", 0);
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    assert_eq!(references.as_array().unwrap().len(), 3, "{references}");
    let mut params = at(LOOP, "subject", 0);
    params["newName"] = json!("summary");
    let edit = client.request("textDocument/rename", params);
    let edits = edit["changes"][URI].as_array().unwrap();
    assert_eq!(edits.len(), 3, "declaration, assignment and use: {edits:?}");
    assert!(edits.iter().all(|e| e["newText"] == "summary"));
    let mut params = at(LOOP, "subject", 0);
    params["newName"] = json!("workflow");
    let refused = client.call("textDocument/rename", params);
    assert_eq!(
        refused["error"]["code"], -32602,
        "a keyword is no name: {refused}"
    );
}

#[test]
fn formatting_is_what_weir_fmt_prints() {
    let (mut client, _) = Client::initialized();
    let text = "app   A { x { n: number } }\non new x in A do notify \"hi\"\n";
    client.open(URI, text);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let script = weir::syntax::parse_script(0, text).unwrap();
    assert_eq!(edits[0]["newText"], weir::fmt::format(&script, text));
    assert_ne!(edits[0]["newText"], text);
}

#[test]
fn outline_folding_and_graph() {
    let (mut client, _) = Client::initialized();
    client.open(URI, LOOP);
    let doc = json!({ "textDocument": { "uri": URI } });
    let symbols = client.request("textDocument/documentSymbol", doc.clone());
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "engine keragon",
            "Calendar",
            "Outlook",
            "to_outlook",
            "to_calendar"
        ]
    );
    assert_eq!(symbols[1]["children"][0]["children"][0]["name"], "title");
    let folds = client.request("textDocument/foldingRange", doc);
    assert!(
        folds
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["startLine"] == 10 && f["endLine"] == 13),
        "{folds}"
    );
    // The loop is an error of flow, not of names, so the graph can be drawn.
    let graph = client.request(
        "workspace/executeCommand",
        json!({ "command": "weir.graph", "arguments": [URI, "mermaid"] }),
    );
    assert!(graph.as_str().unwrap().starts_with("flowchart"), "{graph}");
}

#[test]
fn completion_offers_what_fits_where_the_cursor_is() {
    let (mut client, _) = Client::initialized();
    let text = format!(
        "{LOOP}\nworkflow third {{\n  on new event in Cal\n  let later = 1\n  create event in Outlook {{ sub\n  notify up\n}}\n"
    );
    client.open(URI, &text);
    client.diagnostics(URI);
    let position = |needle: &str| {
        let end = needle.trim_end_matches('\n').len();
        json!({ "textDocument": { "uri": URI }, "position": position_of(&text, needle, 0, end) })
    };
    let apps = client.request("textDocument/completion", position("in Cal\n"));
    assert_eq!(labels(&apps), ["Calendar"]);
    assert_eq!(apps[0]["kind"], 9, "a module");
    let fields = client.request("textDocument/completion", position("Outlook { sub\n"));
    assert_eq!(labels(&fields), ["subject"]);
    assert_eq!(fields[0]["detail"], "subject: text (in event)");
    let functions = client.request("textDocument/completion", position("notify up\n"));
    assert_eq!(
        labels(&functions),
        ["update", "updated", "updates", "upper", "upsert"]
    );
    assert_eq!(functions[3]["detail"], "upper(text) -> text");
    assert_eq!(functions[3]["kind"], 3, "a function");
    assert_eq!(functions[0]["kind"], 14, "a keyword");
    // Keywords come from the one table of words.
    let line_start =
        json!({ "textDocument": { "uri": URI }, "position": position_of(&text, "  let", 0, 2) });
    let everything = client.request("textDocument/completion", line_start);
    let everything = labels(&everything);
    for keyword in weir::words::KEYWORDS {
        assert!(
            everything.contains(&keyword.to_string()),
            "{keyword} in {everything:?}"
        );
    }
    assert!(
        everything.contains(&"keragon".to_string()),
        "the engine's label"
    );
}

#[test]
fn signature_help_names_the_argument_being_written() {
    let (mut client, _) = Client::initialized();
    let text = "on new x in A do notify replace(\"a\", ";
    client.open(URI, text);
    let help = client.request(
        "textDocument/signatureHelp",
        json!({ "textDocument": { "uri": URI }, "position": position_of(text, ", ", 0, 2) }),
    );
    assert_eq!(
        help["signatures"][0]["label"],
        "replace(text, from, to) -> text"
    );
    assert_eq!(help["activeParameter"], 1);
}

#[test]
fn semantic_tokens_colour_as_the_repl_does() {
    let (mut client, _) = Client::initialized();
    let text = "engine keragon # label\napp A { x { n: number } }\n";
    client.open(URI, text);
    let tokens = client.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": URI } }),
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // (delta line, delta start, length, type, modifiers) per token: `engine` a keyword,
    // `keragon` a label (declared), the comment, `app` a keyword, `A` an app (declared)…
    assert_eq!(
        data[..25],
        [
            0, 0, 6, 0, 0, 0, 7, 7, 9, 1, 0, 8, 7, 3, 0, 1, 0, 3, 0, 0, 0, 4, 1, 4, 1
        ]
    );
}

/// The code actions for the first diagnostic with `code`, applied one by one.
fn fixed_by_actions(text: &str, wanted: &str) -> Vec<(String, String)> {
    let (mut client, _) = Client::initialized();
    client.open(URI, text);
    let diagnostics = client.diagnostics(URI);
    let diagnostic = diagnostics
        .iter()
        .find(|d| code(d) == wanted)
        .unwrap_or_else(|| panic!("{wanted} among {diagnostics:?}"));
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": URI },
            "range": diagnostic["range"],
            "context": { "diagnostics": [diagnostic] },
        }),
    );
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["kind"], "quickfix");
            assert_eq!(a["diagnostics"][0]["code"], wanted);
            let edits = a["edit"]["changes"][URI].as_array().unwrap();
            (a["title"].as_str().unwrap().to_string(), apply(text, edits))
        })
        .collect()
}

fn codes_of(text: &str) -> Vec<String> {
    let loaded = weir::load::parse_all(vec![("x.weir".into(), text.into())]);
    let (_, diagnostics) = weir::check::check_all(&loaded);
    diagnostics.iter().filter_map(|d| d.code.clone()).collect()
}

#[test]
fn a_misspelt_name_is_replaced_by_the_suggestion() {
    let text = "app Calendar { event { title: text } }\non new event in Calender do notify titel\n";
    let fixed = fixed_by_actions(text, "W0101");
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0].0, "replace `Calender` with `Calendar`");
    assert!(fixed[0].1.contains("in Calendar do notify titel"));
    let fixed = fixed_by_actions(&fixed[0].1, "E0105");
    assert_eq!(fixed[0].0, "replace `titel` with `title`");
    assert!(codes_of(&fixed[0].1).is_empty(), "{}", fixed[0].1);
}

#[test]
fn missing_required_fields_are_inserted() {
    let text = "app A { x { n: number, t: text } }\napp B { y { n: number, t: text, on_time: bool } }\non new x in A do create y in B { n: n }\n";
    let fixed = fixed_by_actions(text, "E0202");
    assert_eq!(fixed[0].0, "add the missing fields `t`, `on_time`");
    assert!(
        fixed[0]
            .1
            .contains("create y in B { n: n, t: t, on_time: false }"),
        "{}",
        fixed[0].1
    );
    assert!(codes_of(&fixed[0].1).is_empty(), "{}", fixed[0].1);
}

#[test]
fn the_origin_guard_of_a_loop_is_added_where_the_help_says() {
    let fixed = fixed_by_actions(LOOP, "E0301");
    assert_eq!(
        fixed[0].0,
        "add `unless origin == keragon` to `to_outlook` and `to_calendar`"
    );
    assert!(
        fixed[0]
            .1
            .contains("  on new event in Calendar\n  unless origin == keragon\n"),
        "{}",
        fixed[0].1
    );
    assert!(codes_of(&fixed[0].1).is_empty(), "{}", fixed[0].1);
    let one_liners = "on new x in A do create in B\non new x in B do create in A\n";
    let fixed = fixed_by_actions(one_liners, "E0301");
    assert_eq!(
        fixed[0].1,
        "on new x in A do create in B unless origin == weir\non new x in B do create in A unless origin == weir\n"
    );
}

#[test]
fn lets_labels_and_expressions_have_types_and_definitions() {
    let text = "engine keragon\napp A { x { n: number, origin: stamp } }\napp B { y { m: number } }\nworkflow w {\n  on new x in A\n  unless origin == keragon\n  let doubled = n * 2\n  create y in B { m: doubled + len(\"ab\") }\n}\n";
    let (mut client, _) = Client::initialized();
    let params = |needle: &str, nth: usize, into: usize| json!({ "textDocument": { "uri": URI }, "position": position_of(text, needle, nth, into) });
    client.open(URI, text);
    let hover = client.request("textDocument/hover", params("doubled", 1, 2));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("let doubled: number"), "{value}");
    let definition = client.request("textDocument/definition", params("doubled", 1, 2));
    assert_eq!(
        definition["range"]["start"],
        position_of(text, "doubled", 0, 0)
    );
    let label = client.request("textDocument/definition", params("keragon", 1, 0));
    assert_eq!(label["range"]["start"], position_of(text, "keragon", 0, 0));
    let hover = client.request("textDocument/hover", params("keragon", 1, 0));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("the label under which weir writes"),
        "{value}"
    );
    let function = client.request("textDocument/hover", params("len(", 0, 1));
    let value = function["contents"]["value"].as_str().unwrap();
    assert!(value.contains("len(text or list) -> number"), "{value}");
    let literal = client.request("textDocument/hover", params("* 2", 0, 2));
    assert_eq!(literal["contents"]["value"], "`number`");
    let hover = client.request("textDocument/hover", params("x {", 0, 0));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("x { n: number, origin: stamp }") && value.contains("an entity of `A`"),
        "{value}"
    );
}

#[test]
fn lsp_help_says_what_it_is_for_and_where_to_read_more() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["lsp", "--help"])
        .output()
        .expect("weir runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(help.contains("Language Server Protocol"), "{help}");
    assert!(
        help.contains("docs/editors.md") && help.contains("Examples:"),
        "{help}"
    );
}

#[test]
fn mirror_workflows_become_the_sync_the_help_proposes() {
    let text = "app Cal {\n  event { title: text, notes: text, origin: stamp }\n}\napp Out {\n  event { subject: text, notes: text, origin: stamp }\n}\n\non updated event in Cal do update event in Out linked { subject: title, notes: notes } unless origin == weir\non updated event in Out do update event in Cal linked { title: subject } unless origin == weir\n";
    let fixed = fixed_by_actions(text, "E0304");
    let sync = fixed
        .iter()
        .find(|(title, _)| title.contains("sync"))
        .unwrap_or_else(|| panic!("a sync among {fixed:?}"));
    assert_eq!(
        sync.0,
        "replace the mirror workflows with `sync event between Cal and Out`"
    );
    assert!(
        sync.1.ends_with(
            "\nsync event between Cal and Out {\n  title <-> subject\n  notes -> notes\n}\n"
        ),
        "{}",
        sync.1
    );
    let left: Vec<String> = codes_of(&sync.1)
        .into_iter()
        .filter(|c| c.starts_with('E'))
        .collect();
    assert!(left.is_empty(), "{left:?} in {}", sync.1);
}

#[test]
fn a_code_written_in_a_comment_shows_its_page() {
    let text = "# stamps alone would be E0304\napp A { x { n: number } }\n";
    let (mut client, _) = Client::initialized();
    client.open(URI, text);
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": position_of(text, "E0304", 0, 2) }),
    );
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.starts_with("**E0304**: "), "{value}");
    assert!(value.contains(weir::codes::Code::E0304.page()), "{value}");
}

/// The renamed text: the edits of a rename at the `nth` `needle`, applied.
fn renamed(text: &str, needle: &str, nth: usize, new_name: &str) -> String {
    let (mut client, _) = Client::initialized();
    client.open(URI, text);
    let mut params =
        json!({ "textDocument": { "uri": URI }, "position": position_of(text, needle, nth, 0) });
    params["newName"] = json!(new_name);
    let edit = client.request("textDocument/rename", params);
    apply(
        text,
        edit["changes"][URI]
            .as_array()
            .unwrap_or_else(|| panic!("edits: {edit}")),
    )
}

#[test]
fn rename_follows_fields_copied_by_name_without_being_written() {
    let text = "app A { x { n: number, t: text } }\napp B { x { n: number, t: text } }\non new x in A do create in B\n";
    // `create in B` copies `n` to B's `n` and writes B's `x`: renaming one side alone would
    // stop the copy, so the other side follows.
    let fixed = renamed(text, "n:", 0, "amount");
    assert_eq!(
        fixed,
        "app A { x { amount: number, t: text } }\napp B { x { amount: number, t: text } }\non new x in A do create in B\n"
    );
    assert!(codes_of(&fixed).is_empty(), "{fixed}");
    let fixed = renamed(text, "x {", 1, "item");
    assert_eq!(
        fixed,
        "app A { item { n: number, t: text } }\napp B { item { n: number, t: text } }\non new item in A do create in B\n"
    );
    assert!(codes_of(&fixed).is_empty(), "{fixed}");
    // Written fields are not linked: `create x in B { n: n }` names each side once.
    let written = "app A { x { n: number } }\napp B { x { n: number } }\non new x in A do create x in B { n: n }\n";
    let fixed = renamed(written, "n:", 0, "amount");
    assert_eq!(
        fixed,
        "app A { x { amount: number } }\napp B { x { n: number } }\non new x in A do create x in B { n: amount }\n"
    );
}

#[test]
fn rename_follows_a_copy_made_inside_a_branch() {
    let text = "app A { x { n: number } }\napp B { x { n: number } }\nworkflow copy {\n  on new x in A\n  if n > 1 {\n    create in B\n  }\n}\n";
    let fixed = renamed(text, "x {", 0, "item");
    assert_eq!(fixed, text.replace("x ", "item "), "both entities follow");
    assert!(codes_of(&fixed).is_empty(), "{fixed}");
}

#[test]
fn rename_reaches_the_right_side_of_a_pair_sync() {
    let text = "app A { person { email: text, name: text } }\napp B { contact { mail: text, name: text } }\nsync person in A with contact in B match email {\n  email <-> mail\n  name <-> name\n}\n";
    let fixed = renamed(text, "contact", 1, "client");
    assert_eq!(
        fixed,
        text.replace("contact", "client"),
        "the declaration and the sync"
    );
    let fixed = renamed(text, "mail\n", 0, "address");
    assert!(
        fixed.contains("contact { address: text") && fixed.contains("email <-> address"),
        "{fixed}"
    );
    assert!(codes_of(&fixed).is_empty(), "{fixed}");
    // `match email` is the left field.
    let fixed = renamed(text, "email", 2, "key");
    assert!(
        fixed.contains("person { key: text")
            && fixed.contains("match key {")
            && fixed.contains("key <-> mail"),
        "{fixed}"
    );
    // One name for both sides: `sync ticket between A and B` renames both entities.
    let same = "app A { ticket { t: text } }\napp B { ticket { t: text } }\nsync ticket between A and B {\n  t <-> t\n}\n";
    let fixed = renamed(same, "ticket", 0, "issue");
    assert_eq!(fixed, same.replace("ticket", "issue"));
}

#[test]
fn acknowledged_warnings_are_left_out_as_weir_check_leaves_them_out() {
    let text = std::fs::read_to_string("tests/check/allow_acknowledges_a_warning.weir").unwrap();
    let (mut client, _) = Client::initialized();
    client.open(URI, &text);
    let codes: Vec<String> = client
        .diagnostics(URI)
        .iter()
        .map(|d| code(d).to_string())
        .collect();
    assert_eq!(
        codes,
        ["W0004"],
        "W0404 is acknowledged, and the allow that allows nothing is said"
    );
}

#[test]
fn a_burst_of_changes_is_checked_once_it_is_over() {
    let (mut client, _) = Client::initialized();
    let text = "app A { x { n: number } }\non new x in A do notify \"0\"\n";
    client.open(URI, text);
    client.diagnostics(URI);
    for version in 2..=6 {
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": URI, "version": version },
                "contentChanges": [{ "text": text.replace("\"0\"", &format!("nn{version}")) }],
            }),
        );
    }
    // Sent together, the changes come before the editor has been quiet: the first diagnostics
    // after them are those of the last one.
    let message = client.wait_for(|m| m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(message["params"]["version"], 6, "{message}");
    let messages: Vec<&str> = message["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.len() == 1 && messages[0].contains("`nn6`"),
        "{messages:?}"
    );
}

#[test]
fn rename_reaches_the_fields_a_computed_sync_side_reads() {
    let text = "app A { person { full_name: text } }\napp B { person { first: text, last: text } }\nsync person between A and B {\n  full_name <- first + \" \" + last\n}\n";
    let fixed = renamed(text, "first", 0, "given");
    assert!(
        fixed.contains("{ given: text,") && fixed.contains("full_name <- given + \" \" + last"),
        "{fixed}"
    );
    assert!(
        codes_of(&fixed).iter().all(|c| !c.starts_with('E')),
        "{fixed}"
    );
}

/// A call's arguments and reply are entities inside weir only: hovering the app lists its own
/// entities, and hovering the call or its arguments names no entity `call lookup`.
#[test]
fn hover_leaves_a_calls_hidden_entities_out() {
    const CALLS: &str = "app Apollo at \"http://127.0.0.1:9\" {
  person { email: text }
  call lookup POST \"/v1/people/match\" { email: text } returns at \"person\" { title: text? }
}
";
    let (mut client, _) = Client::initialized();
    client.open(URI, CALLS);
    let app = client.request("textDocument/hover", at(CALLS, "Apollo", 0));
    let text = app["contents"]["value"].as_str().unwrap();
    assert!(text.contains("person { email: text }"), "{text}");
    for (needle, nth) in [("Apollo", 0), ("lookup", 0), ("email", 1), ("title", 0)] {
        let hover = client.request("textDocument/hover", at(CALLS, needle, nth));
        let text = hover["contents"]["value"].as_str().unwrap_or_default();
        assert!(
            !text.contains("call lookup") && !text.contains("reply of"),
            "hovering `{needle}`: {text}"
        );
    }
}
