//! Run-time values: small and cheap to clone.

use std::fmt;
use std::sync::Arc;

/// The longest text a run may make (`+`, `replace`, `join`): past it the run fails, so that
/// a script fed large records cannot grow without bound.
pub const TEXT_LIMIT: usize = 16 * 1024 * 1024;
/// What a run says of a text past [`TEXT_LIMIT`], from an operator or a function.
pub const TEXT_TOO_LONG: &str = "the text would be longer than 16 MiB, the most weir keeps";
/// The most items a list made in a run (`split`) may have, for the same reason.
pub const LIST_LIMIT: usize = 1_000_000;

use smol_str::SmolStr;

/// A label naming who made a change: `user`, the engine's label, or another tool's.
pub type Label = Arc<str>;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Number(f64),
    /// Short texts (up to 23 bytes) are kept inline; longer ones are shared, so a copy is cheap.
    Text(SmolStr),
    /// Seconds since 1970-01-01T00:00:00Z.
    Time(i64),
    /// Seconds.
    Duration(i64),
    Label(Label),
    List(Arc<[Value]>),
    /// A record nested in a field (`{ street: "…", city: "…" }`): its fields in the order its
    /// type declares them, so a read is an index; the names are for JSON and messages.
    Record(Fields),
}

/// A nested record's fields, named, in the order its type declares them.
pub type Fields = Arc<[(Arc<str>, Value)]>;

impl Value {
    pub fn text(s: &str) -> Value {
        Value::Text(SmolStr::new(s))
    }

    /// The value as it reads inside a text (`"{x}"`): texts without quotes, times in RFC 3339.
    pub fn to_plain_text(&self) -> String {
        let mut out = String::new();
        self.push_plain_text(&mut out);
        out
    }

    /// Appends the value as it reads inside a text, without building a string for it first.
    pub fn push_plain_text(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Text(s) => out.push_str(s),
            Value::Label(l) => out.push_str(l),
            Value::Time(t) => out.push_str(&format_rfc3339(*t)),
            Value::Duration(d) => out.push_str(&format_duration(*d)),
            Value::Number(n) => out.push_str(&format_number(*n)),
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }

    /// What kind of value this is, in the words of the type names (`text`, `number`, …).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::None => "none",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::Time(_) => "time",
            Value::Duration(_) => "duration",
            Value::Label(_) => "origin",
            Value::List(_) => "list",
            Value::Record(_) => "record",
        }
    }

    pub fn as_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::None => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_json(*n),
            Value::Text(s) => J::String(s.to_string()),
            Value::Time(t) => J::String(format_rfc3339(*t)),
            Value::Duration(d) => J::String(format_duration(*d)),
            Value::Label(l) => J::String(l.to_string()),
            Value::List(items) => J::Array(items.iter().map(Value::as_json).collect()),
            Value::Record(fields) => J::Object(
                fields
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.as_json()))
                    .collect(),
            ),
        }
    }
}

/// Whole numbers as JSON integers, the rest as floats. Numbers are finite where they are made;
/// were one not, it would be written as null rather than as JSON no reader takes.
pub fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("none"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::Text(s) => write!(f, "{:?}", s.as_str()),
            Value::Time(t) => write!(f, "time(\"{}\")", format_rfc3339(*t)),
            Value::Duration(d) => f.write_str(&format_duration(*d)),
            Value::Label(l) => f.write_str(l),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            // As a trace shows a record: `{sku: "TEA-1", qty: 2}`.
            Value::Record(fields) => {
                f.write_str("{")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `90` → `1m30s`; whole units only, largest first.
pub fn format_duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if seconds < 0 {
        out.push('-');
    }
    let mut rest = seconds.unsigned_abs();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Parses a duration as weir writes it: `45s`, `30m`, `2h`, `1d`, or several (`1h30m`).
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let amount: i64 = rest[..digits].parse().ok()?;
        let size = match rest[digits..].chars().next()? {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(amount.checked_mul(size)?)?;
        rest = &rest[digits + 1..];
    }
    Some(if negative { -total } else { total })
}

// ---------------------------------------------------------------- calendar arithmetic

/// The earliest and latest times weir keeps, in seconds since 1970: the first second of the
/// year -9999 and the last of 9999 (jiff's range). A time outside them is an error where it is
/// made (`time(…)`, `start + 1000000d`, an input field), so every time a run holds can be
/// written in RFC 3339 and read back.
fn time_range() -> (i64, i64) {
    (
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    )
}

/// `t` if it is a time weir can keep, `None` if it falls outside the range.
pub fn checked_time(t: i64) -> Option<i64> {
    let (min, max) = time_range();
    (min..=max).contains(&t).then_some(t)
}

/// Parses RFC 3339 (`2030-01-02T09:00:00Z`, `2030-01-02T09:00:00.5+02:00`); also a bare
/// date (`2030-01-02`, midnight UTC). Fractions of a second are dropped. A time outside
/// weir's range (a twelve-digit year) is refused like any other text that is not a time.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let seconds = match text.parse::<jiff::Timestamp>() {
        Ok(stamp) => stamp.as_second(),
        // A bare date; jiff would also read the date out of a time without an offset, which
        // is ambiguous and refused.
        Err(_) if !text.contains(['T', 't', ' ', ':']) => {
            let date: jiff::civil::Date = text.parse().ok()?;
            let midnight = date.to_datetime(jiff::civil::Time::midnight());
            jiff::tz::TimeZone::UTC
                .to_timestamp(midnight)
                .ok()?
                .as_second()
        }
        Err(_) => return None,
    };
    checked_time(seconds)
}

/// Parses a time written bare after `at` in a scenario: RFC 3339, or a date with an optional
/// clock time and no offset (`2030-05-01`, `2030-05-01T08:00`), read in UTC.
pub fn parse_written_time(text: &str) -> Option<i64> {
    if let Some(t) = parse_time(text) {
        return Some(t);
    }
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    let stamp = jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()?;
    checked_time(stamp.as_second())
}

/// The calendar date and clock time of a time, in UTC. Times are kept in weir's range
/// where they are made; one outside it (never expected) reads as the nearest end, not as a
/// wrapped year or a panic.
fn civil(t: i64) -> jiff::civil::DateTime {
    let (min, max) = time_range();
    let clamped = t.clamp(min, max);
    let stamp = jiff::Timestamp::from_second(clamped).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    jiff::tz::TimeZone::UTC.to_datetime(stamp)
}

pub fn format_rfc3339(t: i64) -> String {
    let c = civil(t);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_civil_date(c.date()),
        c.hour(),
        c.minute(),
        c.second()
    )
}

pub fn format_date(t: i64) -> String {
    format_civil_date(civil(t).date())
}

/// `2030-01-02`; years before 1 with a sign and six digits, as RFC 3339 parsers expect.
fn format_civil_date(d: jiff::civil::Date) -> String {
    let (y, m, day) = (d.year(), d.month(), d.day());
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{day:02}")
    } else {
        format!("{y:+07}-{m:02}-{day:02}")
    }
}

/// Formats a time in UTC with `%Y %m %d %H %M %S` (and `%%`); other text is kept.
pub fn format_time(t: i64, pattern: &str) -> String {
    format_time_in(t, pattern, &jiff::tz::TimeZone::UTC)
}

/// The time zone of the IANA database named `name` (`Europe/Berlin`, `UTC`), from the copy
/// compiled into weir, so a zone reads the same on every machine.
pub fn time_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::db().get(name).ok()
}

/// The zone names of the database closest to `name`, for a did-you-mean. Only a misspelt
/// place (`Europe/Berln`) gets one: an abbreviation or an offset (`PST`, `CEST`, `GMT+2`) is
/// close in letters to zones hours away from it, so it gets none.
pub fn closest_time_zone(name: &str) -> Option<String> {
    if !name.contains('/') {
        return None;
    }
    let names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    crate::suggest::closest(name, names.iter().map(String::as_str)).map(str::to_string)
}

/// Formats a time as the clocks of `zone` show it: `%Y %m %d %H %M %S`, `%Z` (the zone's
/// abbreviation, `CEST`), `%z` (the offset from UTC, `+0200`) and `%%`; other text is kept.
pub fn format_time_in(t: i64, pattern: &str, zone: &jiff::tz::TimeZone) -> String {
    let (min, max) = time_range();
    let stamp =
        jiff::Timestamp::from_second(t.clamp(min, max)).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let info = zone.to_offset_info(stamp);
    let c = info.offset().to_datetime(stamp);
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", c.year())),
            Some('m') => out.push_str(&format!("{:02}", c.month())),
            Some('d') => out.push_str(&format!("{:02}", c.day())),
            Some('H') => out.push_str(&format!("{:02}", c.hour())),
            Some('M') => out.push_str(&format!("{:02}", c.minute())),
            Some('S') => out.push_str(&format!("{:02}", c.second())),
            Some('Z') => out.push_str(info.abbreviation()),
            Some('z') => {
                let seconds = info.offset().seconds();
                let sign = if seconds < 0 { '-' } else { '+' };
                let minutes = seconds.unsigned_abs() / 60;
                out.push_str(&format!("{sign}{:02}{:02}", minutes / 60, minutes % 60));
            }
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_rfc3339() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2030-01-02T09:00:00Z",
            "2024-02-29T23:59:59Z",
            "1969-12-31T23:00:00Z",
        ] {
            let t = parse_time(text).unwrap();
            assert_eq!(format_rfc3339(t), text);
        }
        assert_eq!(parse_time("2030-01-01T00:00:00Z"), Some(1_893_456_000));
        assert_eq!(parse_time("2030-01-01T02:00:00+02:00"), Some(1_893_456_000));
    }

    #[test]
    fn impossible_dates_are_refused() {
        for text in [
            "2030-13-01",
            "2030-02-30",
            "2023-02-29T00:00:00Z",
            "tomorrow",
            "2030-01-01T25:00:00Z",
            "2030-01-01T10:00:00",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
    }

    #[test]
    fn written_times_read_in_utc_unless_they_say_otherwise() {
        let t = parse_time("2030-05-01T08:00:00Z");
        assert_eq!(parse_written_time("2030-05-01T08:00"), t);
        assert_eq!(parse_written_time("2030-05-01T08:00:00"), t);
        assert_eq!(parse_written_time("2030-05-01T10:00+02:00"), t);
        assert_eq!(
            parse_written_time("2030-05-01"),
            parse_time("2030-05-01T00:00:00Z")
        );
        assert_eq!(parse_written_time("2030-02-30T08:00"), None);
        assert_eq!(parse_written_time("2030-05-01T24:00"), None);
    }

    #[test]
    fn durations_and_patterns_format_readably() {
        assert_eq!(format_duration(90), "1m30s");
        assert_eq!(format_duration(86_400 + 7200), "1d2h");
        let t = parse_time("2030-01-02T09:05:07Z").unwrap();
        assert_eq!(format_time(t, "%d/%m/%Y %H:%M:%S"), "02/01/2030 09:05:07");
        assert_eq!(format_date(t), "2030-01-02");
    }

    #[test]
    fn only_a_misspelt_place_gets_a_time_zone_suggestion() {
        assert_eq!(
            closest_time_zone("Europe/Berln").as_deref(),
            Some("Europe/Berlin")
        );
        for abbreviation in ["PST", "CEST", "GMT+2"] {
            assert_eq!(closest_time_zone(abbreviation), None, "{abbreviation}");
        }
    }

    #[test]
    fn times_format_in_a_time_zone() {
        let berlin = time_zone("Europe/Berlin").unwrap();
        let summer = parse_time("2030-07-01T06:30:00Z").unwrap();
        let winter = parse_time("2030-01-01T06:30:00Z").unwrap();
        assert_eq!(
            format_time_in(summer, "%H:%M %Z %z", &berlin),
            "08:30 CEST +0200"
        );
        assert_eq!(
            format_time_in(winter, "%H:%M %Z %z", &berlin),
            "07:30 CET +0100"
        );
        assert_eq!(format_time(winter, "%H:%M %Z %z"), "06:30 UTC +0000");
        let new_york = time_zone("America/New_York").unwrap();
        assert_eq!(format_time_in(winter, "%d %H:%M", &new_york), "01 01:30");
        assert!(time_zone("Europe/Berln").is_none());
        assert_eq!(
            closest_time_zone("Europe/Berln").as_deref(),
            Some("Europe/Berlin")
        );
    }

    #[test]
    fn durations_parse_as_written() {
        assert_eq!(parse_duration("45s"), Some(45));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("-2d"), Some(-172_800));
        assert_eq!(parse_duration("2 h"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration(&format_duration(93_784)), Some(93_784));
    }

    #[test]
    fn times_read_plainly_inside_texts() {
        let t = parse_time("2030-01-02T09:00:00Z").unwrap();
        assert_eq!(Value::Time(t).to_plain_text(), "2030-01-02T09:00:00Z");
        assert_eq!(Value::Duration(90).to_plain_text(), "1m30s");
        assert_eq!(Value::Number(2.5).to_plain_text(), "2.5");
    }

    #[test]
    fn times_past_the_calendar_range_are_refused_not_wrapped() {
        for text in [
            "999999999999-01-01T00:00:00Z",
            "999999999999-01-01",
            "10000-01-01T00:00:00Z",
            "+010000-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
        let last = parse_time("9999-12-30T00:00:00Z").unwrap();
        assert_eq!(checked_time(last), Some(last));
        assert_eq!(checked_time(last + 10 * 86_400), None);
        assert_eq!(checked_time(i64::MAX), None);
        // Formatting never panics, even for a time that should never have been made.
        assert!(format_rfc3339(i64::MAX).starts_with("9999-12-"));
        assert!(format_date(i64::MIN).starts_with('-'));
        let early = parse_time("-000005-03-01T00:00:00Z").unwrap();
        assert_eq!(parse_time(&format_rfc3339(early)), Some(early));
    }
}
