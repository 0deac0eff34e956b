//! The language server under bad input: it answers with a protocol error and goes on, and it
//! never panics or stops unless the client goes away.

#[path = "lsp/client.rs"]
#[expect(dead_code, reason = "finding names by text is for the feature tests")]
mod client;

use client::Client;
use serde_json::{Value, json};

const URI: &str = "file:///project/robust.weir";
const SCRIPT: &str = "app A { x { n: number } }\non new x in A do notify \"n is {n}\"\n";

/// The server still answers: a hover on `A`.
fn still_answers(client: &mut Client, uri: &str) {
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 4 } }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("app A"),
        "{hover}"
    );
}

fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked"),
        "the server panicked: {stderr}"
    );
}

#[test]
fn a_message_that_is_not_utf8_or_not_json_gets_a_parse_error() {
    let (mut client, _) = Client::initialized();
    client.open(URI, SCRIPT);
    client.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"x\",\"params\":\"\xff\xfe\"}");
    let error = client.wait_for(|m| m["error"]["code"] == -32700);
    assert_eq!(error["id"], Value::Null);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not UTF-8"),
        "{error}"
    );
    client.send_raw(b"{ not json");
    let error = client.wait_for(|m| m["error"]["code"] == -32700);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a JSON-RPC message"),
        "{error}"
    );
    still_answers(&mut client, URI);
    let (status, stderr) = client.shutdown();
    assert!(status.success());
    assert_no_panic(&stderr);
}

#[test]
fn a_position_out_of_range_or_a_closed_document_is_invalid_params() {
    let (mut client, _) = Client::initialized();
    client.open(URI, SCRIPT);
    let far = client.call(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": { "line": 99, "character": 0 } }),
    );
    assert_eq!(far["error"]["code"], -32602, "{far}");
    assert_eq!(
        far["error"]["message"],
        "line 99 is past the end of the document, which has 3 lines"
    );
    // A column past the end of its line is the end of the line, as the protocol says.
    let wide = client.call(
        "textDocument/definition",
        json!({ "textDocument": { "uri": URI }, "position": { "line": 0, "character": 999 } }),
    );
    assert!(wide.get("error").is_none(), "{wide}");
    let closed = client.call(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere.weir" }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(closed["error"]["code"], -32602, "{closed}");
    assert!(
        closed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not open")
    );
    let unknown = client.call("textDocument/inlayHint", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad = client.call("textDocument/hover", json!({ "nonsense": true }));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    // A change outside the document is refused and the document kept as it was.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": URI, "version": 2 },
            "contentChanges": [{ "range": { "start": { "line": 50, "character": 0 }, "end": { "line": 51, "character": 0 } }, "text": "x" }],
        }),
    );
    let log = client.wait_for(|m| m["method"] == "window/logMessage");
    assert!(
        log["params"]["message"]
            .as_str()
            .unwrap()
            .contains("outside the document"),
        "{log}"
    );
    still_answers(&mut client, URI);
    let (status, stderr) = client.shutdown();
    assert!(status.success());
    assert_no_panic(&stderr);
}

#[test]
fn requests_before_initialize_are_refused() {
    let mut client = Client::start();
    let early = client.call("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
}

#[test]
fn a_ten_megabyte_file_gets_a_clear_diagnostic_not_a_stall() {
    let (mut client, _) = Client::initialized();
    let mut text = SCRIPT.to_string();
    while text.len() < 10 * 1024 * 1024 {
        text.push_str("on new x in A do notify \"a line of a very long script\"\n");
    }
    client.open(URI, &text);
    let diagnostics = client.diagnostics(URI);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let message = diagnostics[0]["message"].as_str().unwrap();
    assert!(
        message.contains("this file is 10.0 MB") && message.contains("weir check"),
        "{message}"
    );
    let format = client.call(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(format["error"]["code"], -32803, "{format}");
    client.open("file:///project/small.weir", SCRIPT);
    still_answers(&mut client, "file:///project/small.weir");
}

#[test]
fn a_file_deleted_while_open_is_still_served_from_the_editor_text() {
    let dir = std::env::temp_dir().join(format!("weir-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gone.weir");
    std::fs::write(&path, SCRIPT).unwrap();
    let uri = format!("file://{}", path.display());
    let (mut client, _) = Client::initialized();
    client.open(&uri, SCRIPT);
    client.diagnostics(&uri);
    std::fs::remove_dir_all(&dir).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 3 }] }),
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": format!("{SCRIPT}# edited\n") }] }),
    );
    assert!(client.diagnostics(&uri).is_empty());
    still_answers(&mut client, &uri);
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert!(
        client.diagnostics(&uri).is_empty(),
        "closing clears the diagnostics"
    );
}

#[test]
fn a_client_that_disconnects_ends_the_server_cleanly() {
    let (mut client, _) = Client::initialized();
    client.open(URI, SCRIPT);
    let (status, stderr) = client.close_input_and_wait();
    assert_eq!(
        status.code(),
        Some(1),
        "no `shutdown` came first, so 1: {stderr}"
    );
    assert!(
        stderr.contains("closed the connection without `shutdown`"),
        "{stderr}"
    );
    assert_no_panic(&stderr);
}

#[test]
fn exit_ends_the_server_while_the_client_keeps_its_end_open() {
    let (mut client, _) = Client::initialized();
    client.open(URI, SCRIPT);
    client.diagnostics(URI);
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    let status = client
        .wait_exit()
        .expect("the server exits after `exit` without waiting for its input to close");
    assert_eq!(status.code(), Some(0), "`shutdown` came first");
}
