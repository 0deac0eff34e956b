//! Requests about the name under the cursor: hover, go to definition, find references, rename.

use lsp_types::*;

use super::Failure;
use super::analysis::View;
use super::documents::{Document, Documents};
use super::index::{Occurrence, Symbol};
use crate::codes::Code;
use crate::program::Program;

/// The document, its analysis and the offset a position request points at.
fn locate<'a>(
    documents: &'a Documents,
    at: &TextDocumentPositionParams,
) -> Result<(&'a Document, View, usize), Failure> {
    let document = documents.get(&at.text_document.uri)?;
    let offset = document.offset(at.position)?;
    Ok((document, documents.analysis(&at.text_document.uri)?, offset))
}

fn occurrence(view: &View, offset: usize) -> Option<Occurrence> {
    view.index.at(view.file, offset).cloned()
}

pub fn hover(documents: &Documents, params: HoverParams) -> Result<Option<Hover>, Failure> {
    let (document, analysis, offset) = locate(documents, &params.text_document_position_params)?;
    let mut parts = Vec::new();
    let mut range = None;
    if let Some(program) = analysis.program() {
        if let Some(found) = occurrence(&analysis, offset) {
            parts.push(describe(program, &found.symbol));
            range = Some(found.span);
        } else if let Some(builtin) = analysis.index.call_at(analysis.file, offset) {
            parts.push(format!("```weir\n{}\n```", builtin.signature()));
        } else if let Some((span, ty)) = analysis.index.expression_at(analysis.file, offset) {
            parts.push(format!("`{}`", ty));
            range = Some(*span);
        }
    }
    for code in codes_at(&analysis, offset).chain(code_word(&document.text, offset)) {
        let text = format!("**{code}**: {}\n\n{}", code.summary(), code.page());
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range: range.map(|span| document.lines.range(&document.text, span)),
    }))
}

/// The codes of the diagnostics whose primary place covers an offset.
fn codes_at(view: &View, offset: usize) -> impl Iterator<Item = Code> + '_ {
    view.diagnostics.iter().filter_map(move |d| {
        let label = d.labels.first()?;
        let covers =
            label.file_id == view.file && label.range.start <= offset && offset <= label.range.end;
        covers
            .then(|| d.code.as_deref().and_then(Code::parse))
            .flatten()
    })
}

/// A code written in the text (in a comment, say) under the cursor.
fn code_word(text: &str, offset: usize) -> Option<Code> {
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let start = text[..offset.min(text.len())]
        .rfind(|c: char| !is_word(c))
        .map_or(0, |i| i + 1);
    let end = text[start..]
        .find(|c: char| !is_word(c))
        .map_or(text.len(), |i| start + i);
    let word = &text[start..end];
    (word.len() == 5 && word.starts_with(['E', 'W', 'R']))
        .then(|| Code::parse(word))
        .flatten()
}

/// What a name means, in Markdown.
pub fn describe(program: &Program, symbol: &Symbol) -> String {
    match symbol {
        Symbol::App(id) => describe_app(program, *id),
        Symbol::Entity(id) => {
            let entity = program.entity(*id);
            let mut out = format!(
                "```weir\n{}\n```\nan entity of `{}`",
                entity_line(program, *id),
                program.app(entity.app).name
            );
            if let Some(owner) = program.owner_of(&entity.name) {
                out.push_str(&format!(", owned by `{}`", program.app(owner.app).name));
            }
            out
        }
        Symbol::Field(entity, field) => describe_field(program, *entity, *field),
        Symbol::Workflow(id) => describe_workflow(program, *id),
        Symbol::Local(w, l) => {
            let local = &program.workflow(*w).locals[l.0];
            format!(
                "```weir\nlet {}: {}\n```\nin workflow `{}`",
                local.name,
                local.ty,
                program.workflow(*w).name
            )
        }
        Symbol::Label(label) if *label == program.engine => format!(
            "```weir\nengine {label}\n```\nthe label under which weir writes: records it writes carry `origin == {label}`"
        ),
        Symbol::Label(label) => format!("the label `{label}`, compared with a record's `origin`"),
    }
}

fn describe_app(program: &Program, id: crate::program::AppId) -> String {
    let app = program.app(id);
    let mut out = format!("```weir\napp {}\n```\n", app.name);
    if !app.declared {
        out.push_str("an open app: not declared, so any entity and field is accepted\n");
    }
    if let Some(location) = &app.location {
        out.push_str(&format!("\nat `{}`\n", location.url));
    }
    for entity in program.entities_of(id) {
        out.push_str(&format!("\n- {}", entity_line(program, entity)));
    }
    out
}

fn describe_field(
    program: &Program,
    entity: crate::program::EntityId,
    field: crate::program::FieldId,
) -> String {
    let e = program.entity(entity);
    let f = program.field(entity, field);
    let what = if f.is_stamp {
        "the stamp of who wrote the record"
    } else if f.required {
        "required when a record is created"
    } else {
        "optional"
    };
    format!(
        "```weir\n{}: {}\n```\na field of `{}` in `{}`: {what}",
        f.name,
        declared_type(f),
        e.name,
        program.app(e.app).name
    )
}

fn describe_workflow(program: &Program, id: crate::program::WorkflowId) -> String {
    let w = program.workflow(id);
    let t = &w.trigger;
    let entity = program.entity(t.entity);
    let mut out = format!(
        "```weir\nworkflow {}\n  on {} {} in {}\n```\n",
        w.name,
        t.kind,
        entity.name,
        program.app(t.app).name
    );
    let writes: Vec<String> = w
        .actions()
        .filter_map(|a| a.kind.writes())
        .map(|(app, entity, kind)| {
            format!(
                "`{} {} in {}`",
                kind.action(),
                program.entity(entity).name,
                program.app(app).name
            )
        })
        .collect();
    if writes.is_empty() {
        out.push_str("writes nothing");
    } else {
        out.push_str(&format!("writes: {}", writes.join(", ")));
    }
    out
}

fn entity_line(program: &Program, id: crate::program::EntityId) -> String {
    let entity = program.entity(id);
    let fields: Vec<String> = entity
        .fields
        .iter()
        .map(|f| format!("{}: {}", f.name, declared_type(f)))
        .collect();
    format!("{} {{ {} }}", entity.name, fields.join(", "))
}

pub fn definition(
    documents: &Documents,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>, Failure> {
    let at = &params.text_document_position_params;
    let (_, analysis, offset) = locate(documents, at)?;
    if let Some(file) = used_file(&analysis, &at.text_document.uri, offset) {
        return Ok(Some(GotoDefinitionResponse::Scalar(file)));
    }
    let Some(found) = occurrence(&analysis, offset) else {
        return Ok(None);
    };
    Ok(analysis
        .index
        .definition(&found.symbol)
        .map(|span| GotoDefinitionResponse::Scalar(analysis.location(span))))
}

/// The start of the file a `use "PATH"` under the cursor names.
fn used_file(view: &View, uri: &Uri, offset: usize) -> Option<Location> {
    let path = view.script()?.items.iter().find_map(|item| match item {
        crate::ast::Item::Use(used) => match &used.target {
            crate::ast::UseTarget::File(path)
                if path.span.start as usize <= offset && offset <= path.span.end as usize =>
            {
                Some(path)
            }
            _ => None,
        },
        _ => None,
    })?;
    let from = super::project::path_of(uri)?;
    let target = crate::uses::relative_to(&from.to_string_lossy(), &path.node);
    Some(Location::new(
        super::project::uri_of(&target)?,
        Range::default(),
    ))
}

/// Every place a symbol stands, in every program the file belongs to: a file used by several
/// open files is checked with each, and a name of it is used in each.
fn places(
    documents: &Documents,
    uri: &Uri,
    symbol: &Symbol,
    linked: bool,
    definitions: bool,
) -> Vec<Location> {
    let mut out: Vec<Location> = Vec::new();
    let Ok(here) = documents.analysis(uri) else {
        return out;
    };
    // The symbol's definition identifies it in the other programs, whose ids differ.
    let symbols = if linked {
        here.index.linked(symbol)
    } else {
        vec![symbol.clone()]
    };
    let anchors: Vec<Location> = symbols
        .iter()
        .filter_map(|s| here.index.definition(s))
        .map(|span| here.location(span))
        .collect();
    for members in documents.programs() {
        if !members.contains(uri) {
            continue;
        }
        let analysis = documents.program(&members);
        let same: Vec<Symbol> = analysis
            .index
            .occurrences
            .iter()
            .filter(|o| o.definition && anchors.contains(&analysis.location(o.span)))
            .map(|o| o.symbol.clone())
            .collect();
        for o in &analysis.index.occurrences {
            if same.contains(&o.symbol) && (definitions || !o.definition) {
                let location = analysis.location(o.span);
                if !out.contains(&location) {
                    out.push(location);
                }
            }
        }
    }
    if out.is_empty() {
        // No program of open files holds it (a label has no definition to anchor on).
        for s in &symbols {
            for o in here.index.uses(s) {
                if definitions || !o.definition {
                    out.push(here.location(o.span));
                }
            }
        }
    }
    out
}

pub fn references(
    documents: &Documents,
    params: ReferenceParams,
) -> Result<Option<Vec<Location>>, Failure> {
    let at = &params.text_document_position;
    let (_, analysis, offset) = locate(documents, at)?;
    let Some(found) = occurrence(&analysis, offset) else {
        return Ok(None);
    };
    let include = params.context.include_declaration;
    Ok(Some(places(
        documents,
        &at.text_document.uri,
        &found.symbol,
        false,
        include,
    )))
}

pub fn prepare_rename(
    documents: &Documents,
    params: TextDocumentPositionParams,
) -> Result<Option<PrepareRenameResponse>, Failure> {
    let (document, analysis, offset) = locate(documents, &params)?;
    Ok(occurrence(&analysis, offset).map(|found| {
        PrepareRenameResponse::Range(document.lines.range(&document.text, found.span))
    }))
}

pub fn rename(
    documents: &Documents,
    params: RenameParams,
) -> Result<Option<WorkspaceEdit>, Failure> {
    let at = &params.text_document_position;
    let (_, analysis, offset) = locate(documents, at)?;
    let name = params.new_name.as_str();
    let valid = name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !crate::words::KEYWORDS.contains(&name);
    if !valid {
        return Err(Failure::invalid_params(format!(
            "`{name}` cannot be a name: a name is letters, digits and `_`, starts with a letter, and is not a keyword"
        )));
    }
    let Some(found) = occurrence(&analysis, offset) else {
        return Ok(None);
    };
    let places = places(documents, &at.text_document.uri, &found.symbol, true, true);
    Ok(Some(super::workspace_edit(
        places.into_iter().map(|place| (place, name.to_string())),
    )))
}

/// A field's type as it is declared: a stamp is written `stamp`, though its values are origins.
fn declared_type(field: &crate::program::Field) -> String {
    if field.is_stamp {
        "stamp".to_string()
    } else {
        field.ty.to_string()
    }
}
