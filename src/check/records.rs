//! Records nested in fields, record literals, and values made from a list's items.
//!
//! A field may hold a record (`address: { street: text, city: text }`) or a list of them
//! (`lines: list of { sku: text, qty: number, price: number }`). A nested field is read by its
//! place in the record's type, so a run never looks up a name (of a record that may be none,
//! like `lines[0]`, the field may be none too); a literal is checked against the
//! type the context wants, field by field. `sum(…)`, `any(…)`, `all(…)` and `[… for … in …]`
//! walk a list with an item seen only inside them.
//!
//! ```text
//! notify "#ops" "{address.city}"                               # accepted: `city` is declared
//! notify "#ops" "{address.town}"                               # E0230: no `town` in `address`
//! update customer in CRM linked { address: { street: "1 Elm" } }   # E0231: `city` is missing
//! let total = sum(l.qty * l.price for l in lines)              # accepted: a number
//! let total = sum(l.sku for l in lines)                        # E0232: `sku` is text
//! ```

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Named, Parts};
use super::expr::{Scope, error_expr};
use crate::ast::{self, EachKind};
use crate::codes::Code;
use crate::diagnostic::{help, primary};
use crate::program::{Each, Expr, ExprKind, Local, LocalId};
use crate::span::Span;
use crate::types::Type;

/// What can be wrong with a nested record, a record literal or a walk over a list's items.
#[derive(Clone, Debug)]
pub enum RecordProblem {
    /// E0230: `address.town` where `address` has no `town`; also a literal's unknown field.
    UnknownField {
        field: Named,
        /// What holds the record, as written (`address`, `line`), if it is read.
        owner: Option<String>,
        record: Type,
        suggestion: Option<Arc<str>>,
    },
    /// E0231: a literal's field whose value does not fit the field's type.
    WrongFieldType {
        span: Span,
        field: Arc<str>,
        /// The value as written, kept in the fix; none for a constant, which a fix replaces.
        written: Option<String>,
        expected: Type,
        found: Type,
    },
    /// E0231: a literal without some field its type requires.
    MissingFields {
        span: Span,
        missing: Vec<(Arc<str>, Type)>,
    },
    /// E0232: `sum`, `any`, `all` or `[… for …]` over something that is not a list.
    NotAList {
        span: Span,
        written: String,
        found: Type,
    },
    /// E0232: `sum` of values that are not numbers, `any`/`all` of values that are not bools.
    WrongItemValue {
        span: Span,
        word: &'static str,
        expected: Type,
        found: Type,
        /// The walk as written with its value converted, when a conversion fits.
        fixed: Option<String>,
    },
}

impl RecordProblem {
    pub(super) fn code(&self) -> Code {
        match self {
            RecordProblem::UnknownField { .. } => Code::E0230,
            RecordProblem::WrongFieldType { .. } | RecordProblem::MissingFields { .. } => {
                Code::E0231
            }
            RecordProblem::NotAList { .. } | RecordProblem::WrongItemValue { .. } => Code::E0232,
        }
    }

    pub(super) fn parts(&self) -> Parts {
        match self {
            RecordProblem::UnknownField {
                field,
                owner,
                record,
                suggestion,
            } => {
                let names = field_names(record);
                (
                    match owner {
                        Some(owner) => format!("`{owner}` has no field `{}`", field.text),
                        None => format!("the record has no field `{}`", field.text),
                    },
                    vec![primary(field.span, format!("not a field of `{record}`"))],
                    vec![help(match suggestion {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("the record's fields are {names}"),
                    })],
                )
            }
            RecordProblem::WrongFieldType {
                span,
                field,
                written,
                expected,
                found,
            } => (
                format!("field `{field}` of the record is `{expected}`, but this is `{found}`"),
                vec![primary(*span, format!("this is {found}"))],
                vec![help(field_type_help(field, written.as_deref(), expected, found))],
            ),
            RecordProblem::MissingFields { span, missing } => {
                let names: Vec<String> = missing.iter().map(|(n, _)| format!("`{n}`")).collect();
                let fill: Vec<String> = missing
                    .iter()
                    .map(|(n, ty)| format!("{n}: {}", example_of(ty)))
                    .collect();
                (
                    format!("the record misses {}", names.join(", ")),
                    vec![primary(*span, "every field not marked `?` needs a value")],
                    vec![help(format!("add `{}` to the record", fill.join(", ")))],
                )
            }
            RecordProblem::NotAList {
                span,
                written,
                found,
            } => (
                format!("`for … in` walks a list, but `{written}` is `{found}`"),
                vec![primary(*span, format!("this is {found}, not a list"))],
                vec![help(match found.unwrapped() {
                    Type::List(_) => format!("walk no items when there is no list: `{written} ?? []`"),
                    Type::Text | Type::Choice(_) => {
                        format!("split the text into a list first: `split({written}, \",\")`")
                    }
                    _ => "walk a list: a field declared `list of …`, `split(TEXT, \",\")`, or `[a, b]`"
                        .to_string(),
                })],
            ),
            RecordProblem::WrongItemValue {
                span,
                word,
                expected,
                found,
                fixed,
            } => (
                format!("`{word}` takes a `{expected}` for each item, but this is `{found}`"),
                vec![primary(*span, format!("this is {found}"))],
                vec![help(item_value_help(fixed.as_deref(), word))],
            ),
        }
    }
}

/// E0231's fix: the value written, converted where a built-in converts it; else a value of
/// the type, in its place.
fn field_type_help(field: &str, written: Option<&str>, expected: &Type, found: &Type) -> String {
    let example = example_of(expected);
    match written.map(|w| (w, super::value_error::converted(expected, found, w))) {
        Some((_, Some(converted))) => format!("convert the value: `{field}: {converted}`"),
        Some((written, None)) => format!(
            "give `{field}` a value of type `{expected}` in place of `{written}`, as in `{field}: {example}`"
        ),
        None => format!("give `{field}` a value of type `{expected}`, as in `{field}: {example}`"),
    }
}

/// E0232's fix for a walk's value: the walk with the value converted, or an example of `word`.
fn item_value_help(fixed: Option<&str>, word: &str) -> String {
    match (fixed, word) {
        (Some(fixed), _) => format!("convert each item's value: `{fixed}`"),
        (None, "sum") => {
            "add up numbers, as in `sum(line.qty * line.price for line in lines)`".to_string()
        }
        (None, word) => format!("test each item, as in `{word}(line.qty > 10 for line in lines)`"),
    }
}

/// `` `street`, `city` `` for a nested record's type.
fn field_names(record: &Type) -> String {
    match record.unwrapped() {
        Type::Nested(fields) => fields
            .iter()
            .map(|(name, _)| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

impl Checker<'_> {
    /// `BASE.FIELD` where `BASE` holds a nested record: the field by its place.
    pub(super) fn member(&mut self, base: Expr, field: &ast::Name, span: Span) -> Option<Expr> {
        let Type::Nested(fields) = base.ty.unwrapped().clone() else {
            return None;
        };
        let Some(at) = fields.iter().position(|(name, _)| *name == field.node) else {
            let suggestion = crate::suggest::closest(&field.node, fields.iter().map(|(n, _)| &**n))
                .map(Arc::from);
            self.report(CheckError::Records(RecordProblem::UnknownField {
                field: Named::of(field),
                owner: Some(self.written(base.span)),
                record: base.ty.clone(),
                suggestion,
            }));
            return Some(error_expr(span));
        };
        // Of a record that may be none (`lines[0].sku`), the field may be none too.
        let ty = if base.ty.is_optional() {
            Type::optional(fields[at].1.clone())
        } else {
            fields[at].1.clone()
        };
        Some(Expr {
            ty,
            kind: ExprKind::Member(Box::new(base), at),
            span,
        })
    }

    /// One field of a record literal against the record wanted: a field it lacks (with the
    /// closest name, remembered in `offered`), or a value of the wrong type.
    fn literal_field_fits(
        &mut self,
        init: &ast::FieldInit,
        value: &Expr,
        fields: &[(Arc<str>, Type)],
        field_ty: Option<&Type>,
        offered: &mut Vec<Arc<str>>,
    ) {
        match field_ty {
            None => {
                let suggestion =
                    crate::suggest::closest(&init.name.node, fields.iter().map(|(n, _)| &**n))
                        .map(Arc::from);
                offered.extend(suggestion.clone());
                self.report(CheckError::Records(RecordProblem::UnknownField {
                    field: Named::of(&init.name),
                    owner: None,
                    record: Type::Nested(fields.to_vec().into()),
                    suggestion,
                }));
            }
            Some(ty) if !value.ty.fits(ty) => {
                self.report(CheckError::Records(RecordProblem::WrongFieldType {
                    span: value.span,
                    field: init.name.node.clone(),
                    written: (!matches!(value.kind, ExprKind::Const(_)))
                        .then(|| self.written(value.span)),
                    expected: ty.clone(),
                    found: value.ty.clone(),
                }));
            }
            Some(_) => {}
        }
    }

    /// `{ street: …, city: … }`: checked against the record type wanted here, if any.
    pub(super) fn record_literal(
        &mut self,
        inits: &[ast::FieldInit],
        span: Span,
        scope: Scope,
        expected: Option<&Type>,
    ) -> Expr {
        let wanted = match expected.map(Type::unwrapped) {
            Some(Type::Nested(fields)) => Some(fields.clone()),
            _ => None,
        };
        let mut seen: Vec<(Arc<str>, Expr, Span)> = Vec::new();
        // Fields already offered as the fix of a misspelt one are not also reported missing.
        let mut offered: Vec<Arc<str>> = Vec::new();
        for init in inits {
            let field_ty = wanted.as_ref().and_then(|fields| {
                fields
                    .iter()
                    .find(|(name, _)| *name == init.name.node)
                    .map(|(_, ty)| ty.clone())
            });
            let value = self.expr(&init.value, scope, field_ty.as_ref());
            if let Some(first) = seen.iter().find(|(name, ..)| *name == init.name.node) {
                self.report(CheckError::Duplicate {
                    what: "field",
                    name: Named::of(&init.name),
                    first: first.2,
                });
                continue;
            }
            if let Some(fields) = &wanted {
                self.literal_field_fits(init, &value, fields, field_ty.as_ref(), &mut offered);
            }
            seen.push((init.name.node.clone(), value, init.name.span));
        }
        let Some(fields) = wanted else {
            // No record wanted here: the literal's type is what it says.
            let ty = Type::Nested(
                seen.iter()
                    .map(|(name, value, _)| (name.clone(), value.ty.clone()))
                    .collect(),
            );
            let kind = ExprKind::Record(seen.into_iter().map(|(n, v, _)| (n, v)).collect());
            return Expr { kind, ty, span };
        };
        let missing: Vec<(Arc<str>, Type)> = fields
            .iter()
            .filter(|(name, ty)| {
                !ty.is_optional()
                    && !seen.iter().any(|(n, ..)| n == name)
                    && !offered.contains(name)
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            self.report(CheckError::Records(RecordProblem::MissingFields {
                span,
                missing,
            }));
        }
        // In the type's order, an optional field left out as `none`.
        let mut values = Vec::with_capacity(fields.len());
        for (name, _) in fields.iter() {
            let value = match seen.iter().position(|(n, ..)| n == name) {
                Some(i) => seen.swap_remove(i).1,
                None => Expr {
                    kind: ExprKind::Const(crate::value::Value::None),
                    ty: Type::Nothing,
                    span,
                },
            };
            values.push((name.clone(), value));
        }
        Expr {
            kind: ExprKind::Record(values),
            ty: Type::Nested(fields),
            span,
        }
    }

    /// `sum(…)`, `any(…)`, `all(…)` or `[VALUE for ITEM in LIST if KEEP]`.
    pub(super) fn each(
        &mut self,
        each: &ast::Each,
        span: Span,
        scope: Scope,
        expected: Option<&Type>,
    ) -> Expr {
        let list = self.expr(&each.list, scope, None);
        let walks_nothing = is_empty_list(&list);
        let element = match &list.ty {
            // `[]` has no items to have a type: the walk is over none of them (`sum` is 0).
            Type::List(_) if walks_nothing => Type::Any,
            Type::List(element) => (**element).clone(),
            Type::Any | Type::Error => Type::Any,
            found => {
                self.report(CheckError::Records(RecordProblem::NotAList {
                    span: list.span,
                    written: self.written(list.span),
                    found: found.clone(),
                }));
                Type::Error
            }
        };
        // A `let` or `for` of the same name further down is another name: not seen here.
        let later = std::mem::take(&mut self.later_lets);
        let (same, others): (Vec<_>, Vec<_>) = later
            .into_iter()
            .partition(|(name, _)| *name == each.item.node);
        self.later_lets = others;
        let item = self.declare_item(&each.item, element, scope);
        let wanted = match each.kind {
            EachKind::Sum => Some(Type::Number),
            EachKind::Any | EachKind::All => Some(Type::Bool),
            EachKind::List => match expected.map(Type::unwrapped) {
                Some(Type::List(element)) => Some((**element).clone()),
                _ => None,
            },
        };
        let value = self.expr(&each.value, scope, wanted.as_ref());
        let keep = each
            .keep
            .as_ref()
            .map(|keep| self.condition(keep, scope, "the condition after `if`"));
        self.locals_hidden[item.0] = true;
        self.hidden_by_for.push(item.0);
        self.later_lets.extend(same);
        if let (Some(word), Some(wanted)) = (each.kind.word(), &wanted) {
            self.item_value_fits(word, wanted, &value, span);
        }
        let ty = match each.kind {
            EachKind::Sum => Type::Number,
            EachKind::Any | EachKind::All => Type::Bool,
            EachKind::List if walks_nothing => list.ty.clone(),
            EachKind::List => Type::list(value.ty.clone()),
        };
        Expr {
            kind: ExprKind::Each(Box::new(Each {
                kind: each.kind,
                value,
                item,
                list,
                keep,
            })),
            ty,
            span,
        }
    }

    /// E0232 (or the optional's error) when a walk's value for each item is not what `word`
    /// takes; the walk is at `span`.
    fn item_value_fits(&mut self, word: &'static str, wanted: &Type, value: &Expr, span: Span) {
        if value.ty.is_unknown() || value.ty == *wanted {
            return;
        }
        if value.ty.unwrapped() == wanted {
            self.report(CheckError::OptionalUsed {
                span: value.span,
                found: value.ty.clone(),
            });
            return;
        }
        let fixed = item_converted(wanted, &value.ty, &self.written(value.span)).map(|converted| {
            let before = self.sources.slice(Span {
                end: value.span.start,
                ..span
            });
            let after = self.sources.slice(Span {
                start: value.span.end,
                ..span
            });
            let walk = format!("{before}{converted}{after}");
            walk.split_whitespace().collect::<Vec<_>>().join(" ")
        });
        self.report(CheckError::Records(RecordProblem::WrongItemValue {
            span: value.span,
            word,
            expected: wanted.clone(),
            found: value.ty.clone(),
            fixed,
        }));
    }

    /// The item of a walk over a list: a local like a `for`'s, hidden again after it.
    fn declare_item(&mut self, name: &ast::Name, ty: Type, scope: Scope) -> LocalId {
        if let Some(trigger) = scope.trigger {
            let item = self.declare_local(name, ty, trigger);
            self.locals_used[item.0] = true;
            return item;
        }
        if let Some(first) = self.visible_local(&name.node) {
            let first = self.locals[first].span;
            self.report(CheckError::Duplicate {
                what: "`let` name",
                name: Named::of(name),
                first,
            });
        }
        self.locals.push(Local {
            name: name.node.clone(),
            ty,
            span: name.span,
        });
        self.locals_used.push(true);
        self.locals_hidden.push(false);
        self.visible_locals = self.locals.len();
        LocalId(self.locals.len() - 1)
    }
}

/// Whether `list` is written `[]`.
fn is_empty_list(list: &Expr) -> bool {
    match &list.kind {
        ExprKind::List(items) => items.is_empty(),
        ExprKind::Const(crate::value::Value::List(items)) => items.is_empty(),
        _ => false,
    }
}

/// A walk's value for each item converted to what `sum` (a number) or `any`/`all` (a bool)
/// take: `number(v) ?? 0`, `if v then 1 else 0`, `v != ""`, `v > 0`.
fn item_converted(wanted: &Type, found: &Type, value: &str) -> Option<String> {
    let value = if value.contains(char::is_whitespace) {
        format!("({value})")
    } else {
        value.to_string()
    };
    match (wanted, found) {
        (Type::Number, Type::Text) => Some(format!("number({value}) ?? 0")),
        (Type::Bool, Type::Text) => Some(format!("{value} != \"\"")),
        (Type::Bool, Type::Number) => Some(format!("{value} > 0")),
        (Type::Number, Type::Bool) => Some(format!("if {value} then 1 else 0")),
        _ => None,
    }
}

/// A value of `ty` to show in a help: `""`, `0`, `{ street: "", city: "" }`.
fn example_of(ty: &Type) -> String {
    match ty.unwrapped() {
        Type::Nested(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|(name, ty)| format!("{name}: {}", example_of(ty)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Type::Choice(choices) if !choices.is_empty() => format!("{:?}", &*choices[0]),
        other => super::value_error::default_example(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::types::Type;

    #[test]
    fn a_nested_record_reads_as_its_fields() {
        let address = Type::Nested(
            [
                ("street".into(), Type::Text),
                ("city".into(), Type::optional(Type::Text)),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(address.to_string(), "{ street: text, city: text? }");
        assert_eq!(super::field_names(&address), "`street`, `city`");
        assert_eq!(super::example_of(&address), r#"{ street: "", city: "" }"#);
        assert_eq!(
            Type::list(address).to_string(),
            "list of { street: text, city: text? }"
        );
    }
}
