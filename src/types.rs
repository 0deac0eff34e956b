//! The types of weir values, as the checker infers them and users read them.

use std::fmt;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Text,
    Number,
    Bool,
    Time,
    Duration,
    /// Who made a change: a label such as `user` or the engine's own.
    Origin,
    /// A text that must be one of a fixed set (`one of "booked", "cancelled"`), in the
    /// order declared. It is a text everywhere a text goes; only writes and comparisons with
    /// literal texts look at the set.
    Choice(Arc<[Arc<str>]>),
    List(Box<Type>),
    Optional(Box<Type>),
    /// A field of an open app: anything goes, checked when the workflow runs.
    Any,
    /// The type of the literal `none` before it meets a context.
    Nothing,
    /// Stands in after an error, so that one mistake does not cause a cascade of others.
    Error,
    /// A record found by `find` (a `let`, read as `c.FIELD`): its entity, and its name for
    /// messages.
    Record(crate::program::EntityId, Arc<str>),
    /// A record nested in a field (`address: { street: text, city: text }`): its fields in
    /// the order declared, read as `address.city`.
    Nested(Arc<[(Arc<str>, Type)]>),
}

impl Type {
    pub fn optional(inner: Type) -> Type {
        match inner {
            Type::Optional(_) | Type::Any | Type::Error | Type::Nothing => inner,
            other => Type::Optional(Box::new(other)),
        }
    }

    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Nothing)
    }

    /// The type with any optional wrapper removed.
    pub fn unwrapped(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// The choices of a choice type (under any `?`), if it is one.
    pub fn choices(&self) -> Option<&[Arc<str>]> {
        match self.unwrapped() {
            Type::Choice(choices) => Some(choices),
            _ => None,
        }
    }

    /// The type with choices read as plain text (for operators, which treat them alike).
    pub fn widened(&self) -> Type {
        match self {
            Type::Choice(_) => Type::Text,
            Type::Optional(inner) => Type::optional(inner.widened()),
            Type::List(element) => Type::list(element.widened()),
            other => other.clone(),
        }
    }

    /// Types that say nothing certain (errors, `any`): never the cause of another diagnostic.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Type::Any | Type::Error)
    }

    /// Whether a value of type `self` may be stored where `target` is expected.
    pub fn fits(&self, target: &Type) -> bool {
        if self.is_unknown() || target.is_unknown() || self == target {
            return true;
        }
        match (self, target) {
            (Type::Nothing, Type::Optional(_)) => true,
            (value, Type::Optional(inner)) => value.fits(inner),
            (Type::List(a), Type::List(b)) => a.fits(b) || **a == Type::Nothing,
            (Type::Choice(_), Type::Text) => true,
            // Any text may go to a choice: a literal is checked against the set now, any other
            // text when it is written.
            (Type::Text, Type::Choice(_)) => true,
            (Type::Choice(from), Type::Choice(to)) => from.iter().all(|c| to.contains(c)),
            (Type::Nested(from), Type::Nested(to)) => {
                from.len() == to.len()
                    && from
                        .iter()
                        .zip(to.iter())
                        .all(|((a, x), (b, y))| a == b && x.fits(y))
            }
            _ => false,
        }
    }

    /// The type of a value that is either `self` or `other` (the branches of an `if`), if any.
    pub fn join(&self, other: &Type) -> Option<Type> {
        if self.is_unknown() {
            return Some(other.clone());
        }
        if other.is_unknown() || self == other {
            return Some(self.clone());
        }
        match (self, other) {
            (Type::Nothing, t) | (t, Type::Nothing) => Some(Type::optional(t.clone())),
            (Type::Optional(a), b) | (b, Type::Optional(a)) if a.fits(b) || b.fits(a) => {
                Some(Type::optional(a.join(b)?))
            }
            (Type::List(a), Type::List(b)) => Some(Type::list(a.join(b)?)),
            (Type::Choice(_), Type::Text | Type::Choice(_)) | (Type::Text, Type::Choice(_)) => {
                Some(Type::Text)
            }
            _ => None,
        }
    }
}

/// The choices of a choice type for messages: `"booked", "cancelled" or "no_show"`.
pub fn choice_list(choices: &[Arc<str>]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("{c:?}")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Text => f.write_str("text"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Time => f.write_str("time"),
            Type::Duration => f.write_str("duration"),
            Type::Origin => f.write_str("origin"),
            Type::Choice(choices) => {
                f.write_str("one of ")?;
                for (i, choice) in choices.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{choice:?}")?;
                }
                Ok(())
            }
            Type::List(element) if **element == Type::Nothing => f.write_str("empty list"),
            // `list of text?` reads as an optional list, so optional items keep `<…>`.
            Type::List(element) if matches!(**element, Type::Optional(_)) => {
                write!(f, "list<{element}>")
            }
            Type::List(element) => write!(f, "list of {element}"),
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::Nested(fields) => {
                f.write_str("{ ")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {ty}")?;
                }
                f.write_str(" }")
            }
            Type::Any => f.write_str("any"),
            Type::Nothing => f.write_str("none"),
            Type::Error => f.write_str("unknown"),
            Type::Record(_, name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Type;

    #[test]
    fn values_fit_their_optional_and_none_fits_any_optional() {
        assert!(Type::Text.fits(&Type::optional(Type::Text)));
        assert!(Type::Nothing.fits(&Type::optional(Type::Number)));
        assert!(!Type::optional(Type::Text).fits(&Type::Text));
        assert!(!Type::Number.fits(&Type::Text));
        assert!(Type::Any.fits(&Type::Text));
    }

    #[test]
    fn joining_with_none_makes_an_optional() {
        assert_eq!(
            Type::Nothing.join(&Type::Text),
            Some(Type::optional(Type::Text))
        );
        assert_eq!(Type::Text.join(&Type::Number), None);
        assert_eq!(Type::list(Type::Text).to_string(), "list of text");
    }

    #[test]
    fn a_choice_is_a_text_and_fits_a_wider_choice_only() {
        let status = |names: &[&str]| Type::Choice(names.iter().map(|n| Arc::from(*n)).collect());
        let small = status(&["booked", "cancelled"]);
        let large = status(&["booked", "cancelled", "no_show"]);
        assert!(small.fits(&Type::Text));
        assert!(small.fits(&large));
        assert!(!large.fits(&small));
        assert_eq!(large.join(&small), Some(Type::Text));
        assert_eq!(
            Type::optional(small.clone()).widened(),
            Type::optional(Type::Text)
        );
        assert_eq!(small.to_string(), r#"one of "booked", "cancelled""#);
    }
}
