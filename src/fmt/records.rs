//! An entity's fields whose type holds a record (`address: { street: text, city: text }`,
//! `lines: list of { … }`): on one line when it fits and holds no comment, else the record's
//! fields one a line, nested records alike, so every comment stays beside the field it was
//! written by.
//!
//! ```text
//! customer: {
//!   name: text  # full name
//!   address: { street: text, city: text }
//! }
//! ```
//!
//! The syntax keeps the span of each nested field's name but not of its type: a nested
//! field's type ends at the last code before the next field's name (or the record's `}`),
//! which the scanner finds.

use super::{Printer, WIDTH, quote};
use crate::ast::{FieldDecl, TypeExpr};
use crate::span::Span;
use crate::syntax::scan::{Delim, Kind, Token};

/// A type around a record: what is written before its `{`, its fields, and what after its `}`
/// (`list of {`, `}?`), as the type's display writes them.
struct Shape<'a> {
    before: String,
    fields: &'a [(crate::span::Spanned<String>, TypeExpr)],
    after: String,
}

fn shape(ty: &TypeExpr) -> Option<Shape<'_>> {
    match ty {
        TypeExpr::Record(fields) => Some(Shape {
            before: String::new(),
            fields,
            after: String::new(),
        }),
        TypeExpr::Optional(inner) => shape(inner).map(|s| Shape {
            after: format!("{}?", s.after),
            ..s
        }),
        TypeExpr::List(inner) if matches!(**inner, TypeExpr::Optional(_)) => {
            shape(inner).map(|s| Shape {
                before: format!("list<{}", s.before),
                after: format!("{}>", s.after),
                ..s
            })
        }
        TypeExpr::List(inner) => shape(inner).map(|s| Shape {
            before: format!("list of {}", s.before),
            ..s
        }),
        _ => None,
    }
}

impl Printer<'_> {
    /// One field of an entity laid out one field a line; `text` is the field on one line.
    pub(super) fn entity_field(&mut self, field: &FieldDecl, text: &str) {
        let end = field.wire.as_ref().map_or(field.ty.span, |w| w.span);
        let span = field.name.span.to(end);
        match shape(&field.ty.node) {
            Some(shape) if self.spreads(text, span) => {
                let wire = field
                    .wire
                    .as_ref()
                    .map_or(String::new(), |w| format!(" as {}", quote(&w.node)));
                let ty_end = field.ty.span.end as usize;
                self.record_block(&field.name.node, &shape, (span, ty_end), &wire);
            }
            _ => self.line(text, span),
        }
    }

    /// Whether a field whose one-line form is `text` goes on lines of its own.
    fn spreads(&self, text: &str, span: Span) -> bool {
        self.pad().len() + text.len() > WIDTH || self.has_comment_within(span)
    }

    /// `NAME: {`, the record's fields one level in, and `}` with what follows it (`?`, a wire
    /// name). `span` runs from the name to the line's end in the source, `ty_end` is where
    /// the type ends.
    fn record_block(
        &mut self,
        name: &str,
        shape: &Shape,
        (span, ty_end): (Span, usize),
        rest: &str,
    ) {
        let start = span.start as usize;
        let tokens = self.code_tokens(start, ty_end);
        let open = tokens
            .iter()
            .find(|t| t.kind == Kind::Open(Delim::Brace))
            .map_or(start, |t| t.end);
        let close = tokens
            .iter()
            .rev()
            .find(|t| matches!(t.kind, Kind::Close(Delim::Brace)))
            .map_or(ty_end, |t| t.start);
        let at = |start: usize, end: usize| Span {
            start: start as u32,
            end: end as u32,
            ..span
        };
        self.line(&format!("{name}: {}{{", shape.before), at(start, open));
        self.indent += 1;
        for (i, (field, ty)) in shape.fields.iter().enumerate() {
            let field_start = field.span.start as usize;
            let boundary = shape
                .fields
                .get(i + 1)
                .map_or(close, |(next, _)| next.span.start as usize);
            // The type ends at the last code before the next field, a comma aside.
            let field_end = self
                .code_tokens(field_start, boundary)
                .iter()
                .rev()
                .find(|t| &self.source[t.start..t.end] != ",")
                .map_or(boundary, |t| t.end);
            let text = format!("{}: {ty}", field.node);
            let field_span = at(field_start, field_end);
            match shape_of_spread(self, ty, &text, field_span) {
                Some(inner) => self.record_block(&field.node, &inner, (field_span, field_end), ""),
                None => self.line(&text, field_span),
            }
        }
        self.indent -= 1;
        self.close_open(
            at(start, close + 1),
            &format!("{}{rest}", shape.after),
            span.end as usize,
        );
    }

    /// The code tokens of the source between `start` and `end`.
    fn code_tokens(&self, start: usize, end: usize) -> Vec<Token> {
        crate::syntax::scan::tokens(&self.source[start..end])
            .filter(Token::is_significant)
            .map(|t| Token {
                start: t.start + start,
                end: t.end + start,
                ..t
            })
            .collect()
    }
}

/// The record a nested field's type holds, when the field goes on lines of its own.
fn shape_of_spread<'a>(
    printer: &Printer<'_>,
    ty: &'a TypeExpr,
    text: &str,
    span: Span,
) -> Option<Shape<'a>> {
    shape(ty).filter(|_| printer.spreads(text, span))
}
