//! Whole-document requests: formatting (the code `weir fmt` runs), the outline, folding, and
//! the flow graph as a command.

use lsp_server::ErrorCode;
use lsp_types::*;

use super::analysis::Analysis;
use super::documents::{Document, Documents};
use super::{Failure, GRAPH_COMMAND};
use crate::ast::{self, Item, UseTarget};
use crate::span::Span;

fn request_failed(message: impl Into<String>) -> Failure {
    Failure {
        code: ErrorCode::RequestFailed,
        message: message.into(),
    }
}

pub fn formatting(
    documents: &Documents,
    params: DocumentFormattingParams,
) -> Result<Vec<TextEdit>, Failure> {
    let document = documents.get(&params.text_document.uri)?;
    let analysis = documents.analysis(&params.text_document.uri)?;
    let Some(script) = analysis.script() else {
        return Err(request_failed(if analysis.too_large() {
            "the document is too large to format in the editor; run `weir fmt --write` on it"
        } else {
            "the document has syntax errors; fix them and it can be formatted"
        }));
    };
    let formatted = crate::fmt::format(script, &document.text);
    if formatted == document.text {
        return Ok(Vec::new());
    }
    let all = Span::new(0, 0, document.text.len());
    Ok(vec![TextEdit::new(
        document.lines.range(&document.text, all),
        formatted,
    )])
}

pub fn symbols(
    documents: &Documents,
    params: DocumentSymbolParams,
) -> Result<DocumentSymbolResponse, Failure> {
    let document = documents.get(&params.text_document.uri)?;
    let analysis = documents.names_for(&params.text_document.uri)?;
    let Some(script) = analysis.script() else {
        return Ok(DocumentSymbolResponse::Nested(Vec::new()));
    };
    let outline = Outline {
        document,
        analysis: &analysis,
    };
    let items = script.items.iter().map(|item| outline.item(item));
    Ok(DocumentSymbolResponse::Nested(items.collect()))
}

/// One document's outline: a symbol per item, an app's entities and fields nested under it.
struct Outline<'a> {
    document: &'a Document,
    analysis: &'a Analysis,
}

impl Outline<'_> {
    fn item(&self, item: &Item) -> DocumentSymbol {
        let span = item.span();
        match item {
            Item::Use(u) => {
                let (named, at) = match &u.target {
                    UseTarget::File(path) => (format!("use {:?}", path.node), path.span),
                    UseTarget::Connector(name) => (format!("use {}", name.node), name.span),
                };
                self.symbol(named, None, SymbolKind::FILE, span, at, vec![])
            }
            Item::Engine(e) => self.symbol(
                format!("engine {}", e.label.node),
                None,
                SymbolKind::CONSTANT,
                span,
                e.label.span,
                vec![],
            ),
            Item::App(app) => {
                let entities = app.entities.iter().map(|e| self.entity(e)).collect();
                self.symbol(
                    app.name.node.to_string(),
                    Some("app".into()),
                    SymbolKind::MODULE,
                    span,
                    app.name.span,
                    entities,
                )
            }
            Item::Owns(owns) => self.symbol(
                format!("{} owns {}", owns.app.node, owns.entity.node),
                None,
                SymbolKind::PROPERTY,
                span,
                owns.app.span,
                vec![],
            ),
            Item::Workflow(w) => {
                let t = &w.trigger;
                let (name, name_span) = match &w.name {
                    Some(name) => (name.node.to_string(), name.span),
                    None => (
                        format!("line {}", self.analysis.sources.line_of(t.span)),
                        t.span,
                    ),
                };
                let on = trigger_text(t);
                self.symbol(
                    name,
                    Some(on),
                    SymbolKind::FUNCTION,
                    span,
                    name_span,
                    vec![],
                )
            }
            Item::Sync(sync) => self.symbol(
                format!(
                    "sync {} between {} and {}",
                    sync.entity.node, sync.left.node, sync.right.node
                ),
                None,
                SymbolKind::INTERFACE,
                span,
                sync.entity.span,
                vec![],
            ),
            Item::Scenario(s) => self.symbol(
                s.name.node.clone(),
                Some("scenario".into()),
                SymbolKind::EVENT,
                span,
                s.name.span,
                vec![],
            ),
        }
    }

    fn entity(&self, entity: &ast::EntityDecl) -> DocumentSymbol {
        let fields = entity
            .fields
            .iter()
            .map(|f| {
                self.symbol(
                    f.name.node.to_string(),
                    Some(f.ty.node.to_string()),
                    SymbolKind::FIELD,
                    f.name.span.to(f.ty.span),
                    f.name.span,
                    vec![],
                )
            })
            .collect();
        self.symbol(
            entity.name.node.to_string(),
            None,
            SymbolKind::STRUCT,
            entity.span,
            entity.name.span,
            fields,
        )
    }

    fn symbol(
        &self,
        name: String,
        detail: Option<String>,
        kind: SymbolKind,
        span: Span,
        name_span: Span,
        children: Vec<DocumentSymbol>,
    ) -> DocumentSymbol {
        let document = self.document;
        #[expect(
            deprecated,
            reason = "the protocol still has the field; it must be given"
        )]
        DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: document.lines.range(&document.text, span),
            selection_range: document.lines.range(&document.text, name_span),
            children: (!children.is_empty()).then_some(children),
        }
    }
}

pub fn folding(
    documents: &Documents,
    params: FoldingRangeParams,
) -> Result<Vec<FoldingRange>, Failure> {
    let document = documents.get(&params.text_document.uri)?;
    let analysis = documents.names_for(&params.text_document.uri)?;
    let Some(script) = analysis.script() else {
        return Ok(Vec::new());
    };
    let mut spans: Vec<Span> = Vec::new();
    for item in &script.items {
        spans.push(item.span());
        if let Item::App(app) = item {
            spans.extend(app.entities.iter().map(|e| e.span));
        }
    }
    Ok(spans
        .into_iter()
        .filter_map(|span| fold(document, span))
        .collect())
}

fn fold(document: &Document, span: Span) -> Option<FoldingRange> {
    let range = document.lines.range(&document.text, span);
    (range.end.line > range.start.line).then(|| FoldingRange {
        start_line: range.start.line,
        end_line: range.end.line,
        kind: Some(FoldingRangeKind::Region),
        ..Default::default()
    })
}

/// `weir.graph [uri, format]`: the flow graph as `weir graph --format FORMAT` prints it.
pub fn execute(documents: &Documents, params: ExecuteCommandParams) -> Result<String, Failure> {
    if params.command != GRAPH_COMMAND {
        return Err(Failure::invalid_params(format!(
            "there is no command `{}`; weir has `{GRAPH_COMMAND}`",
            params.command
        )));
    }
    let mut args = params.arguments.iter().map(|a| a.as_str());
    let uri: Uri = args
        .next()
        .flatten()
        .and_then(|u| u.parse().ok())
        .ok_or_else(|| {
            Failure::invalid_params(format!(
                "`{GRAPH_COMMAND}` takes the document's URI first, then `mermaid`, `dot` or `text`"
            ))
        })?;
    let format = args.next().flatten().unwrap_or("mermaid");
    let analysis = documents.analysis(&uri)?;
    let program = checked_program(&analysis)?;
    let view = crate::flow::render::View::new(program);
    match format {
        "mermaid" => Ok(view.mermaid()),
        "dot" => Ok(view.dot()),
        "text" => Ok(view.text(&analysis.sources)),
        other => Err(Failure::invalid_params(format!(
            "there is no graph format `{other}`; use `mermaid`, `dot` or `text`"
        ))),
    }
}

fn checked_program(analysis: &Analysis) -> Result<&crate::program::Program, Failure> {
    match &analysis.checked {
        Some(checked) if !checked.has_errors() => Ok(&checked.program),
        _ => Err(request_failed(
            "the graph needs a script whose names and types check; fix the errors first",
        )),
    }
}

/// The trigger of a workflow as written: `on new event in Calendar`.
pub fn trigger_text(t: &ast::Trigger) -> String {
    if let Some(schedule) = &t.schedule {
        return format!("on {schedule}");
    }
    if let Some(timer) = &t.timer {
        return format!("on {timer} of {} in {}", t.entity.node, t.app.node);
    }
    format!("on {} {} in {}", t.kind.node, t.entity.node, t.app.node)
}
