//! `weir lsp`: a language server over standard input and output.
//!
//! The editor sends the text of open documents; the server checks each one, with the files it
//! `use`s ([`project`]), with the same stages as `weir check` ([`analysis`]) and answers from
//! that, across the files of the program: diagnostics, hover, go to definition, references,
//! rename, completion, signature help, formatting, outline, folding, code actions from the
//! checker's fixes, semantic tokens and the flow graph. Everything runs on
//! one thread: the checker is fast and synchronous, and diagnostics wait until the editor has
//! been quiet for [`QUIET`], so a burst of keystrokes is checked once.
//!
//! Bad input never stops the server: a message that is not JSON gets a parse error, a request
//! about a document that is not open or a position past its end gets an `InvalidParams` error,
//! and a request that makes the server fail gets an `InternalError` while the server goes on.

mod actions;
mod analysis;
mod complete;
mod diagnostics;
mod documents;
mod index;
mod navigate;
mod outline;
mod position;
mod project;
mod sync_fix;
mod tokens;
mod transport;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::Duration;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use documents::Documents;
use transport::{Outgoing, Transport};

/// How long the editor must be quiet before diagnostics are sent.
const QUIET: Duration = Duration::from_millis(50);

/// The command that draws the flow graph: arguments `[uri, "mermaid" | "dot" | "text"]`.
pub const GRAPH_COMMAND: &str = "weir.graph";

/// Why a request has no answer, sent to the client as a JSON-RPC error.
#[derive(Debug)]
pub struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    pub fn invalid_params(message: impl Into<String>) -> Failure {
        Failure {
            code: ErrorCode::InvalidParams,
            message: message.into(),
        }
    }
}

type Answer = Result<Value, Failure>;

/// Runs the server until the client says `exit` or goes away. The exit code follows the
/// protocol: 0 after `shutdown`, 1 otherwise.
pub fn serve() -> u8 {
    let transport = Transport::stdio();
    let mut server = Server {
        out: transport.outgoing.clone(),
        documents: Documents::default(),
        docs: diagnostics::DocsLink::default(),
        state: State::Starting,
        stale: BTreeSet::new(),
        published: BTreeSet::new(),
    };
    let code = loop {
        let message = if server.stale.is_empty() {
            match transport.incoming.recv() {
                Ok(message) => message,
                Err(_) => break server.client_gone(),
            }
        } else {
            match transport.incoming.recv_timeout(QUIET) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    server.publish_stale();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break server.client_gone(),
            }
        };
        if let Some(code) = server.handle(message) {
            break code;
        }
    };
    drop(server);
    transport.finish();
    code
}

#[derive(PartialEq)]
enum State {
    Starting,
    Running,
    ShutDown,
}

struct Server {
    out: Sender<Outgoing>,
    documents: Documents,
    docs: diagnostics::DocsLink,
    state: State,
    /// Files changed since their diagnostics were last sent.
    stale: BTreeSet<Uri>,
    /// Files whose diagnostics were sent, to clear them when no program covers them.
    published: BTreeSet<Uri>,
}

impl Server {
    fn send(&self, message: Message) {
        let _ = self.out.send(Outgoing::Message(message));
    }

    fn client_gone(&self) -> u8 {
        if self.state == State::ShutDown {
            0
        } else {
            eprintln!("weir lsp: the client closed the connection without `shutdown` and `exit`");
            1
        }
    }

    /// Handles one message; `Some(code)` when the server should stop.
    fn handle(&mut self, message: Message) -> Option<u8> {
        match message {
            Message::Request(request) => self.request(request),
            Message::Notification(notification) => return self.notification(notification),
            Message::Response(_) => {}
        }
        None
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        let answer = match (&self.state, request.method.as_str()) {
            (State::Starting, req::Initialize::METHOD) => self.initialize(request.params),
            (State::Starting, _) => Err(Failure {
                code: ErrorCode::ServerNotInitialized,
                message: "the server is not initialized; send `initialize` first".into(),
            }),
            (_, req::Initialize::METHOD) => Err(Failure {
                code: ErrorCode::InvalidRequest,
                message: "the server is already initialized".into(),
            }),
            (_, req::Shutdown::METHOD) => {
                self.state = State::ShutDown;
                Ok(Value::Null)
            }
            (State::ShutDown, _) => Err(Failure {
                code: ErrorCode::InvalidRequest,
                message: "the server is shutting down".into(),
            }),
            (State::Running, method) => {
                let documents = &self.documents;
                match catch_unwind(AssertUnwindSafe(|| {
                    answer(documents, method, request.params)
                })) {
                    Ok(answer) => answer,
                    Err(panic) => Err(Failure {
                        code: ErrorCode::InternalError,
                        message: format!(
                            "weir failed while answering `{method}` ({}); the server goes on",
                            panic_text(&panic)
                        ),
                    }),
                }
            }
        };
        self.reply(id, answer);
    }

    fn reply(&self, id: RequestId, answer: Answer) {
        let response = match answer {
            Ok(value) => Response::new_ok(id, value),
            Err(failure) => Response::new_err(id, failure.code as i32, failure.message),
        };
        self.send(Message::Response(response));
    }

    fn initialize(&mut self, params: Value) -> Answer {
        let params: InitializeParams = parse(params)?;
        self.docs.base_url = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("docsBaseUrl"))
            .and_then(Value::as_str)
            .map(str::to_string);
        self.state = State::Running;
        Ok(serde_json::to_value(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "weir".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
        .expect("capabilities are JSON"))
    }

    fn notification(&mut self, notification: Notification) -> Option<u8> {
        let method = notification.method.as_str();
        if method == note::Exit::METHOD {
            return Some(if self.state == State::ShutDown { 0 } else { 1 });
        }
        if self.state != State::Running {
            return None;
        }
        let result = match method {
            note::DidOpenTextDocument::METHOD => {
                parse::<DidOpenTextDocumentParams>(notification.params).map(|p| {
                    let doc = p.text_document;
                    self.stale.insert(doc.uri.clone());
                    self.documents.open(doc.uri, doc.version, doc.text);
                })
            }
            note::DidChangeTextDocument::METHOD => {
                parse::<DidChangeTextDocumentParams>(notification.params).and_then(|p| {
                    let doc = p.text_document;
                    self.stale.insert(doc.uri.clone());
                    self.documents
                        .change(&doc.uri, doc.version, p.content_changes)
                })
            }
            note::DidCloseTextDocument::METHOD => {
                parse::<DidCloseTextDocumentParams>(notification.params).map(|p| {
                    let uri = p.text_document.uri;
                    self.documents.close(&uri);
                    // Its program is checked again from the disk if another open file is part
                    // of it; otherwise its diagnostics are cleared.
                    self.stale.insert(uri);
                })
            }
            note::DidChangeWatchedFiles::METHOD => {
                parse::<DidChangeWatchedFilesParams>(notification.params).map(|p| {
                    self.documents.disk_changed();
                    self.stale.extend(p.changes.into_iter().map(|c| c.uri));
                    self.stale.extend(self.documents.uris().cloned());
                })
            }
            _ => Ok(()),
        };
        if let Err(failure) = result {
            self.log(MessageType::ERROR, &failure.message);
        }
        None
    }

    fn log(&self, typ: MessageType, message: &str) {
        let params = LogMessageParams {
            typ,
            message: format!("weir: {message}"),
        };
        self.send(Message::Notification(Notification::new(
            note::LogMessage::METHOD.into(),
            params,
        )));
    }

    /// Checks again every program a changed file belongs to, and sends the diagnostics of each
    /// of their files, open or not: an error in a file another one uses shows in that file.
    fn publish_stale(&mut self) {
        let stale: BTreeSet<String> = std::mem::take(&mut self.stale)
            .iter()
            .map(|uri| uri.as_str().to_string())
            .collect();
        let mut found: BTreeMap<String, (Uri, Vec<lsp_types::Diagnostic>)> = BTreeMap::new();
        let mut covered = BTreeSet::new();
        for members in self.documents.programs() {
            for uri in &members {
                covered.insert(uri.as_str().to_string());
            }
            if !members.iter().any(|uri| stale.contains(uri.as_str())) {
                continue;
            }
            let checked = catch_unwind(AssertUnwindSafe(|| {
                let analysis = self.documents.program(&members);
                let mut by_file: Vec<Vec<lsp_types::Diagnostic>> =
                    vec![Vec::new(); analysis.files.len()];
                for d in &analysis.diagnostics {
                    let (file, diagnostic) = diagnostics::to_lsp(d, &analysis, &self.docs);
                    by_file[file].push(diagnostic);
                }
                analysis
                    .files
                    .iter()
                    .map(|f| f.uri.clone())
                    .zip(by_file)
                    .collect::<Vec<_>>()
            }));
            match checked {
                Ok(files) => {
                    for (uri, list) in files {
                        // A connector shipped with weir is no file the editor can show.
                        let shown =
                            uri.as_str().starts_with("file:") || self.documents.get(&uri).is_ok();
                        if !shown {
                            continue;
                        }
                        let entry = found
                            .entry(uri.as_str().to_string())
                            .or_insert_with(|| (uri, Vec::new()));
                        for d in list {
                            if !entry.1.contains(&d) {
                                entry.1.push(d);
                            }
                        }
                    }
                }
                Err(panic) => self.log(
                    MessageType::ERROR,
                    &format!(
                        "checking `{}` failed ({}); its diagnostics are not shown",
                        members[0].as_str(),
                        panic_text(&panic)
                    ),
                ),
            }
        }
        // Files no program covers any more (closed, or no longer beside an open one).
        for gone in std::mem::take(&mut self.published) {
            if !covered.contains(gone.as_str()) && !found.contains_key(gone.as_str()) {
                self.publish(gone, Vec::new(), None);
            } else {
                self.published.insert(gone);
            }
        }
        for (_, (uri, list)) in found {
            let version = self.documents.get(&uri).ok().map(|d| d.version);
            self.published.insert(uri.clone());
            self.publish(uri, list, version);
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            note::PublishDiagnostics::METHOD.into(),
            params,
        )));
    }
}

/// Text edits of any files as one edit of the workspace, grouped by file.
fn workspace_edit(edits: impl Iterator<Item = (Location, String)>) -> WorkspaceEdit {
    let mut by_file: BTreeMap<String, (Uri, Vec<TextEdit>)> = BTreeMap::new();
    for (at, text) in edits {
        by_file
            .entry(at.uri.as_str().to_string())
            .or_insert_with(|| (at.uri.clone(), Vec::new()))
            .1
            .push(TextEdit::new(at.range, text));
    }
    WorkspaceEdit::new(by_file.into_values().collect())
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, Failure> {
    serde_json::from_value(params)
        .map_err(|err| Failure::invalid_params(format!("the parameters do not fit: {err}")))
}

fn json(value: impl Serialize) -> Answer {
    serde_json::to_value(value).map_err(|err| Failure {
        code: ErrorCode::InternalError,
        message: format!("could not encode the answer: {err}"),
    })
}

/// Answers a request about the open documents.
fn answer(documents: &Documents, method: &str, params: Value) -> Answer {
    match method {
        req::HoverRequest::METHOD => json(navigate::hover(documents, parse(params)?)?),
        req::GotoDefinition::METHOD => json(navigate::definition(documents, parse(params)?)?),
        req::References::METHOD => json(navigate::references(documents, parse(params)?)?),
        req::PrepareRenameRequest::METHOD => {
            json(navigate::prepare_rename(documents, parse(params)?)?)
        }
        req::Rename::METHOD => json(navigate::rename(documents, parse(params)?)?),
        req::Completion::METHOD => json(complete::completion(documents, parse(params)?)?),
        req::SignatureHelpRequest::METHOD => {
            json(complete::signature_help(documents, parse(params)?)?)
        }
        req::Formatting::METHOD => json(outline::formatting(documents, parse(params)?)?),
        req::DocumentSymbolRequest::METHOD => json(outline::symbols(documents, parse(params)?)?),
        req::FoldingRangeRequest::METHOD => json(outline::folding(documents, parse(params)?)?),
        req::CodeActionRequest::METHOD => json(actions::code_actions(documents, parse(params)?)?),
        req::SemanticTokensFullRequest::METHOD => json(tokens::full(documents, parse(params)?)?),
        req::ExecuteCommand::METHOD => json(outline::execute(documents, parse(params)?)?),
        _ => Err(Failure {
            code: ErrorCode::MethodNotFound,
            message: format!("weir does not answer `{method}`"),
        }),
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "{".into(), " ".into()]),
            ..Default::default()
        }),
        signature_help_provider: Some(SignatureHelpOptions {
            trigger_characters: Some(vec!["(".into(), ",".into()]),
            ..Default::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: tokens::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                ..Default::default()
            },
        )),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![GRAPH_COMMAND.into()],
            ..Default::default()
        }),
        ..Default::default()
    }
}
