//! Semantic tokens: keywords, texts, numbers and comments classified by the REPL's highlighter
//! ([`crate::repl::highlight::classify`]), so an editor colours a script as the REPL does, and
//! the names the checker resolved coloured by what they name.

use lsp_types::*;

use super::Failure;
use super::documents::Documents;
use super::index::Symbol;
use crate::repl::highlight::{Class, classify};

/// The token types, in the order of the legend (a token's type is its index here).
const TYPES: [SemanticTokenType; 10] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::STRUCT,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::ENUM_MEMBER,
];

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![SemanticTokenModifier::DECLARATION],
    }
}

fn class_type(class: Class) -> Option<u32> {
    match class {
        Class::Keyword => Some(0),
        Class::Text => Some(1),
        Class::Number => Some(2),
        Class::Comment => Some(3),
        // REPL commands do not occur in files.
        Class::Command => None,
    }
}

fn symbol_type(symbol: &Symbol) -> u32 {
    match symbol {
        Symbol::App(_) => 4,
        Symbol::Entity(_) => 5,
        Symbol::Field(..) => 6,
        Symbol::Workflow(_) => 7,
        Symbol::Local(..) => 8,
        Symbol::Label(_) => 9,
    }
}

pub fn full(
    documents: &Documents,
    params: SemanticTokensParams,
) -> Result<Option<SemanticTokensResult>, Failure> {
    let document = documents.get(&params.text_document.uri)?;
    let analysis = documents.analysis(&params.text_document.uri)?;
    let text = &document.text;
    // (start, end, type, modifiers) in byte offsets, sorted, not overlapping.
    let mut pieces: Vec<(usize, usize, u32, u32)> = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.trim_start().starts_with(':') {
            for (range, class) in classify(content) {
                if let Some(ty) = class_type(class) {
                    pieces.push((line_start + range.start, line_start + range.end, ty, 0));
                }
            }
        }
        line_start += line.len();
    }
    for o in analysis
        .index
        .occurrences
        .iter()
        .filter(|o| o.span.file == analysis.file)
    {
        pieces.push((
            o.span.start as usize,
            o.span.end as usize,
            symbol_type(&o.symbol),
            u32::from(o.definition),
        ));
    }
    pieces.sort_by_key(|p| (p.0, p.1));
    pieces.dedup_by_key(|p| p.0);
    let mut data = Vec::with_capacity(pieces.len());
    let (mut last_line, mut last_char, mut last_end) = (0, 0, 0);
    for (start, end, token_type, modifiers) in pieces {
        if start < last_end || end <= start {
            continue;
        }
        let from = document.lines.position(text, start);
        let to = document.lines.position(text, end);
        if to.line != from.line {
            continue;
        }
        let delta_line = from.line - last_line;
        let delta_start = if delta_line == 0 {
            from.character - last_char
        } else {
            from.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: to.character - from.character,
            token_type,
            token_modifiers_bitset: modifiers,
        });
        (last_line, last_char, last_end) = (from.line, from.character, end);
    }
    Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    })))
}
