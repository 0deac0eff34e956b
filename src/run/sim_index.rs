//! The simulator's indexes: for a `find … where email == x`, the rows whose `email` is the text
//! `x`, so that a lookup reads those rows rather than every row of the table.
//!
//! An index is made the first time a lookup filters a table on a field by a text, and then
//! kept: a new record is added to it by the next lookup (rows are only ever appended), an
//! update of the field drops it, a delete leaves it (a dead row is skipped when read). It
//! narrows and never decides: each row it gives is still tested by the whole condition, so a
//! lookup keeps exactly the records a scan would, in the same (id) order.
//!
//! Only texts are indexed (ids, emails, names, choices, labels): `==` takes a text to equal
//! only a text or a label with the same letters, which is what a key of letters finds.

use std::cell::RefCell;
use std::collections::HashMap;

use smol_str::SmolStr;

use crate::operators::text_of;
use crate::program::FieldId;
use crate::value::Value;

/// The indexes of one table, by field.
#[derive(Clone, Debug, Default)]
pub(super) struct Indexes {
    by_field: RefCell<HashMap<FieldId, FieldIndex>>,
}

/// The rows of one field's texts, and how many rows it has looked at so far.
#[derive(Clone, Debug, Default)]
struct FieldIndex {
    rows_seen: usize,
    rows: HashMap<SmolStr, Vec<usize>>,
}

impl Indexes {
    /// The rows, in order, whose `field` may equal `wanted`, with `column(row)` reading a row's
    /// value of the field; `None` when `wanted` is not a text (then every row must be read).
    pub(super) fn rows<'v>(
        &self,
        field: FieldId,
        wanted: &Value,
        row_count: usize,
        column: impl Fn(usize) -> &'v Value,
    ) -> Option<Vec<usize>> {
        let key = text_of(wanted)?;
        let mut by_field = self.by_field.borrow_mut();
        let index = by_field.entry(field).or_default();
        for row in index.rows_seen..row_count {
            if let Some(text) = text_of(column(row)) {
                index.rows.entry(SmolStr::new(text)).or_default().push(row);
            }
        }
        index.rows_seen = row_count;
        Some(index.rows.get(key).cloned().unwrap_or_default())
    }

    /// A record's `field` changed in place: its index no longer says where texts are.
    pub(super) fn forget(&mut self, field: FieldId) {
        self.by_field.get_mut().remove(&field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_the_text_in_order_and_new_rows_added_later() {
        let mut column = vec![
            Value::text("a"),
            Value::Number(1.0),
            Value::text("b"),
            Value::text("a"),
        ];
        let indexes = Indexes::default();
        let field = FieldId(0);
        let rows = |indexes: &Indexes, column: &Vec<Value>, wanted: &Value| {
            indexes.rows(field, wanted, column.len(), |row| &column[row])
        };
        assert_eq!(rows(&indexes, &column, &Value::text("a")), Some(vec![0, 3]));
        assert_eq!(rows(&indexes, &column, &Value::Number(1.0)), None);
        column.push(Value::text("a"));
        assert_eq!(
            rows(&indexes, &column, &Value::text("a")),
            Some(vec![0, 3, 4])
        );
        assert_eq!(rows(&indexes, &column, &Value::text("c")), Some(vec![]));
    }

    #[test]
    fn a_forgotten_field_is_indexed_again_from_the_first_row() {
        let mut column = [Value::text("a"), Value::text("b")];
        let mut indexes = Indexes::default();
        let field = FieldId(0);
        let _ = indexes.rows(field, &Value::text("a"), column.len(), |row| &column[row]);
        column[0] = Value::text("b");
        indexes.forget(field);
        assert_eq!(
            indexes.rows(field, &Value::text("b"), column.len(), |row| &column[row]),
            Some(vec![0, 1])
        );
    }
}
