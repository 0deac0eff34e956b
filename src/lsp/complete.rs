//! Completion and signature help.
//!
//! Which kind of word fits at the cursor is decided by the REPL's completer
//! ([`crate::repl::complete::complete`]), given the text of the current item from its first
//! line to the cursor; this module adds what an editor shows beside each word: its kind, its
//! type or signature.

use lsp_types::*;

use super::Failure;
use super::analysis::Analysis;
use super::documents::Documents;
use crate::builtins::Builtin;
use crate::program::Program;
use crate::repl::complete::{Names, complete};
use crate::words::KEYWORDS;

pub fn completion(
    documents: &Documents,
    params: CompletionParams,
) -> Result<Option<CompletionResponse>, Failure> {
    let at = &params.text_document_position;
    let document = documents.get(&at.text_document.uri)?;
    let offset = document.offset(at.position)?;
    let text = &document.text;
    if let Some(files) = used_files(&at.text_document.uri, text, offset, document) {
        return Ok(Some(CompletionResponse::Array(files)));
    }
    let item_start = item_start(text, offset);
    let mut analysis = documents.names_for(&at.text_document.uri)?;
    if analysis.script().is_none() {
        // The item being written is what does not parse, most likely: the rest has the names.
        let end = item_end(text, offset);
        let mut rest = text[..item_start].to_string();
        rest.extend(
            text[item_start..end]
                .chars()
                .map(|c| if c == '\n' { c } else { ' ' }),
        );
        rest.push_str(&text[end..]);
        analysis = documents.program_with(&at.text_document.uri, rest)?;
    }
    let context = without_comments(&text[item_start..offset]);
    let mut names = analysis
        .program()
        .map(Names::of_program)
        .unwrap_or_default();
    names.in_scope = scope_words(&context, analysis.program());
    let (start, words) = complete(&context, context.len(), &names);
    let replace = Range::new(
        document.lines.position(text, item_start + start),
        at.position,
    );
    let items = words
        .into_iter()
        .map(|word| item(&word, replace, &analysis, &names))
        .collect();
    Ok(Some(CompletionResponse::Array(items)))
}

/// After `use "`: the other `.weir` files of the document's folder, by the path `use` takes.
fn used_files(
    uri: &Uri,
    text: &str,
    offset: usize,
    document: &super::documents::Document,
) -> Option<Vec<CompletionItem>> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let typed = text[line_start..offset]
        .trim_start()
        .strip_prefix("use")?
        .trim_start()
        .strip_prefix('"')?;
    if typed.contains('"') {
        return None;
    }
    let own = super::project::path_of(uri)?;
    let folder = own.parent()?;
    let replace = Range::new(
        document.lines.position(text, offset - typed.len()),
        document.lines.position(text, offset),
    );
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let weir = path.extension().is_some_and(|e| e == "weir") && path != own;
            weir.then(|| path.file_name()?.to_str().map(str::to_string))
                .flatten()
        })
        .filter(|name| name.starts_with(typed))
        .collect();
    names.sort();
    Some(
        names
            .into_iter()
            .map(|name| CompletionItem {
                label: name.clone(),
                kind: Some(CompletionItemKind::FILE),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(replace, name))),
                ..Default::default()
            })
            .collect(),
    )
}

/// Where the top-level item around an offset starts: the last line above it that starts a
/// declaration (in the first column, not a comment).
fn item_start(text: &str, offset: usize) -> usize {
    let before = &text[..offset];
    let mut start = before.rfind('\n').map_or(0, |i| i + 1);
    loop {
        let line = &text[start..];
        if line.starts_with(|c: char| c.is_alphabetic()) || start == 0 {
            return start;
        }
        start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    }
}

/// Where the next top-level item after an offset starts, or the end of the text.
fn item_end(text: &str, offset: usize) -> usize {
    let mut at = text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1);
    while at < text.len() {
        if text[at..].starts_with(|c: char| c.is_alphabetic()) {
            return at;
        }
        at = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    }
    text.len()
}

/// The text with its comments blanked and its line breaks made spaces, so that
/// offsets stay the same.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_comment = false;
    let mut in_text = false;
    for c in text.chars() {
        match c {
            '\n' => {
                in_comment = false;
                out.push(' ');
            }
            '"' if !in_comment => {
                in_text = !in_text;
                out.push(c);
            }
            '#' if !in_text => {
                in_comment = true;
                out.push(' ');
            }
            _ if in_comment => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
            _ => out.push(c),
        }
    }
    out
}

/// The `let`s written above the cursor in the current item, and the engine's label.
fn scope_words(context: &str, program: Option<&Program>) -> Vec<String> {
    let words: Vec<&str> = context.split_whitespace().collect();
    let mut out: Vec<String> = words
        .windows(2)
        .filter(|w| w[0] == "let")
        .map(|w| w[1].trim_end_matches('=').to_string())
        .collect();
    if let Some(program) = program {
        out.push(program.engine.to_string());
    }
    out
}

fn item(word: &str, replace: Range, analysis: &Analysis, names: &Names) -> CompletionItem {
    let bare = word.rsplit('.').next().unwrap_or(word);
    let program = analysis.program();
    let (kind, detail) = if let Some(builtin) = Builtin::from_name(bare) {
        (
            CompletionItemKind::FUNCTION,
            Some(builtin.signature().to_string()),
        )
    } else if KEYWORDS.contains(&bare) {
        (CompletionItemKind::KEYWORD, None)
    } else if let Some(app) = names.apps.iter().find(|(a, _)| a == bare) {
        let entities: Vec<&str> = app.1.iter().map(|(e, _)| e.as_str()).collect();
        (
            CompletionItemKind::MODULE,
            Some(format!("app: {}", entities.join(", "))),
        )
    } else if names.workflows.iter().any(|w| w == bare) {
        (CompletionItemKind::EVENT, Some("workflow".to_string()))
    } else if let Some(detail) = program.and_then(|p| field_detail(p, bare)) {
        (CompletionItemKind::FIELD, Some(detail))
    } else if let Some(detail) = program.and_then(|p| entity_detail(p, bare)) {
        (CompletionItemKind::STRUCT, Some(detail))
    } else if program.is_some_and(|p| *p.engine == *bare) {
        (
            CompletionItemKind::ENUM_MEMBER,
            Some("the engine's label".to_string()),
        )
    } else {
        (CompletionItemKind::VARIABLE, None)
    };
    CompletionItem {
        label: word.to_string(),
        kind: Some(kind),
        detail,
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            replace,
            word.to_string(),
        ))),
        ..Default::default()
    }
}

fn field_detail(program: &Program, name: &str) -> Option<String> {
    program
        .entities
        .iter()
        .filter(|e| !e.is_hidden())
        .find_map(|e| {
            let field = e.fields.iter().find(|f| &*f.name == name)?;
            Some(format!("{}: {} (in {})", field.name, field.ty, e.name))
        })
}

fn entity_detail(program: &Program, name: &str) -> Option<String> {
    let apps: Vec<&str> = program
        .entities
        .iter()
        .filter(|e| &*e.name == name)
        .map(|e| &*program.app(e.app).name)
        .collect();
    (!apps.is_empty()).then(|| format!("entity in {}", apps.join(", ")))
}

pub fn signature_help(
    documents: &Documents,
    params: SignatureHelpParams,
) -> Result<Option<SignatureHelp>, Failure> {
    let at = &params.text_document_position_params;
    let document = documents.get(&at.text_document.uri)?;
    let offset = document.offset(at.position)?;
    let Some((builtin, active)) = open_call(&document.text[..offset]) else {
        return Ok(None);
    };
    let signature = builtin.signature();
    let parameters = signature
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inside, _)| inside)
        .filter(|inside| !inside.is_empty())
        .map(|inside| {
            inside
                .split(", ")
                .map(|p| ParameterInformation {
                    label: ParameterLabel::Simple(p.to_string()),
                    documentation: None,
                })
                .collect()
        });
    Ok(Some(SignatureHelp {
        signatures: vec![SignatureInformation {
            label: signature.to_string(),
            documentation: None,
            parameters,
            active_parameter: Some(active),
        }],
        active_signature: Some(0),
        active_parameter: Some(active),
    }))
}

/// The function whose argument list is open at the end of `before`, and which argument the
/// cursor is in.
fn open_call(before: &str) -> Option<(Builtin, u32)> {
    let mut depth = 0i32;
    let mut commas = 0u32;
    let mut in_text = false;
    for (at, c) in before.char_indices().rev() {
        match c {
            '"' => in_text = !in_text,
            _ if in_text => {}
            ')' | ']' => depth += 1,
            '[' if depth > 0 => depth -= 1,
            '(' if depth > 0 => depth -= 1,
            ',' if depth == 0 => commas += 1,
            '(' => {
                let name_start = before[..at]
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                return Builtin::from_name(&before[name_start..at]).map(|b| (b, commas));
            }
            '\n' | '{' | '[' => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_is_the_current_item_without_comments() {
        let text = "app A { x { n: number } }\nworkflow w { # a comment\n  on new x in A\n";
        let offset = text.len() - 1;
        let start = item_start(text, offset);
        assert_eq!(&text[start..start + 8], "workflow");
        assert_eq!(item_end(text, offset), text.len());
        assert_eq!(item_end(text, 5), text.find("workflow").unwrap());
        let context = without_comments(&text[start..offset]);
        assert_eq!(context, "workflow w {               on new x in A");
    }
}
