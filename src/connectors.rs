//! The connectors shipped with weir: app declarations for real services, kept as `.weir` files
//! in `connectors/` and compiled into the binary, so that `use github` works wherever weir runs.

/// Each shipped connector: the name a script uses and the text of its file. Each has a page in
/// `docs/connectors/`.
const SHIPPED: &[(&str, &str)] = &[
    ("github", include_str!("../connectors/github.weir")),
    (
        "google_calendar",
        include_str!("../connectors/google_calendar.weir"),
    ),
    ("hubspot", include_str!("../connectors/hubspot.weir")),
    (
        "microsoft_graph",
        include_str!("../connectors/microsoft_graph.weir"),
    ),
    ("stripe", include_str!("../connectors/stripe.weir")),
];

/// The text of the connector named `name`, if weir ships one.
pub fn shipped(name: &str) -> Option<&'static str> {
    SHIPPED
        .iter()
        .find(|(shipped, _)| *shipped == name)
        .map(|(_, text)| *text)
}

/// The names of every shipped connector, for suggestions and completion.
pub fn names() -> Vec<&'static str> {
    SHIPPED.iter().map(|(name, _)| *name).collect()
}

/// How a shipped connector is named in messages: it has no path on the user's disk.
pub fn file_name(name: &str) -> String {
    format!("<connector {name}>")
}

/// Whether a source's name is that of a shipped connector.
pub fn is_shipped_name(source_name: &str) -> bool {
    source_name.starts_with("<connector ")
}
