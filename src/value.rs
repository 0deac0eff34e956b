//! Run-time values: small and cheap to clone.

use std::fmt;
use std::sync::Arc;

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
}

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
        }
    }
}

/// Whole numbers as JSON integers, the rest as floats (NaN and infinities as null).
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses RFC 3339 (`2030-01-02T09:00:00Z`, `2030-01-02T09:00:00.5+02:00`); also a bare
/// date (`2030-01-02`, midnight UTC). Fractions of a second are dropped.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year = digits(parts.next()?)?;
    let month = digits(parts.next()?)? as u32;
    let day = digits(parts.next()?)? as u32;
    if parts.next().is_some()
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    let Some(rest) = rest else {
        return Some(seconds);
    };
    let (clock, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return None,
    };
    let clock = clock.split('.').next()?;
    let mut hms = clock.split(':');
    let hour = digits(hms.next()?)?;
    let minute = digits(hms.next()?)?;
    let second = digits(hms.next()?)?;
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    seconds += hour * 3600 + minute * 60 + second;
    match offset {
        "Z" | "z" => {}
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let mut hm = offset[1..].split(':');
            let oh = digits(hm.next()?)?;
            let om = digits(hm.next()?)?;
            if hm.next().is_some() || oh > 23 || om > 59 {
                return None;
            }
            seconds -= sign * (oh * 3600 + om * 60);
        }
    }
    Some(seconds)
}

fn split_time(t: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

pub fn format_rfc3339(t: i64) -> String {
    let (y, m, d, hh, mm, ss) = split_time(t);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

pub fn format_date(t: i64) -> String {
    let (y, m, d, ..) = split_time(t);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Formats a time with `%Y %m %d %H %M %S` (and `%%`); other text is kept.
pub fn format_time(t: i64, pattern: &str) -> String {
    let (y, m, d, hh, mm, ss) = split_time(t);
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{y:04}")),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('H') => out.push_str(&format!("{hh:02}")),
            Some('M') => out.push_str(&format!("{mm:02}")),
            Some('S') => out.push_str(&format!("{ss:02}")),
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
    fn durations_and_patterns_format_readably() {
        assert_eq!(format_duration(90), "1m30s");
        assert_eq!(format_duration(86_400 + 7200), "1d2h");
        let t = parse_time("2030-01-02T09:05:07Z").unwrap();
        assert_eq!(format_time(t, "%d/%m/%Y %H:%M:%S"), "02/01/2030 09:05:07");
        assert_eq!(format_date(t), "2030-01-02");
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
}
