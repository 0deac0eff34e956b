//! Calendar times as Google Calendar and Microsoft Graph write them in a reply: an object
//! holding `dateTime` and `timeZone`, or `date` alone for an all-day event. A time field
//! mapped `as "start.dateTime"` reads the whole object, not only the text at that path:
//!
//! ```text
//! {"start": {"dateTime": "2030-01-01T09:00:00.0000000", "timeZone": "Europe/Paris"}}
//!     → 2030-01-01T08:00:00Z   (Graph: a local time without an offset, read in its zone)
//! {"start": {"dateTime": "2030-01-01T09:00:00+01:00", "timeZone": "Europe/Paris"}}
//!     → 2030-01-01T08:00:00Z   (Google: the offset is in the text; the zone is not needed)
//! {"start": {"date": "2030-01-01"}}
//!     → 2030-01-01T00:00:00Z   (an all-day event: midnight UTC of its day)
//! ```
//!
//! Zones are IANA names (`Europe/Paris`) or `UTC`, read with jiff's bundled time zone
//! database. A zone jiff does not know (Graph's Windows names, such as `Pacific Standard
//! Time`, when a calendar is set so) leaves the text as it is, which is not a time weir reads.

use serde_json::Value as Json;

use super::mapping::{WirePath, get};

/// The value a time field mapped at `wire` reads from a reply, when `wire` ends in
/// `dateTime`; `None` where it does not, so the field reads what is at `wire`.
pub fn read(inner: &Json, wire: &WirePath) -> Option<Json> {
    let (last, parent) = wire.split_last()?;
    if &**last != "dateTime" {
        return None;
    }
    let slot = get(inner, parent)?.as_object()?;
    match slot.get("dateTime") {
        Some(Json::String(text)) => {
            let zone = slot.get("timeZone").and_then(Json::as_str)?;
            in_zone(text, zone).map(Json::String)
        }
        None | Some(Json::Null) => slot.get("date").cloned(),
        Some(_) => None,
    }
}

/// A local time without an offset, read in `zone`, as RFC 3339 in UTC; `None` when the text
/// has an offset already (it reads as it is) or is not a local time, or the zone is unknown.
/// A local time that a change of clocks skips or repeats is read as jiff's `compatible`
/// rule does: the later reading of a skipped time, the earlier of a repeated one.
fn in_zone(text: &str, zone: &str) -> Option<String> {
    if text.parse::<jiff::Timestamp>().is_ok() {
        return None;
    }
    let local: jiff::civil::DateTime = text.trim().parse().ok()?;
    let zone = jiff::tz::TimeZone::get(zone).ok()?;
    let stamp = zone.to_timestamp(local).ok()?;
    Some(stamp.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::mapping::wire_path;
    use serde_json::json;

    fn start(slot: Json) -> Option<Json> {
        read(&json!({ "start": slot }), &wire_path("start.dateTime"))
    }

    #[test]
    fn a_local_time_is_read_in_its_zone() {
        let paris = json!({"dateTime": "2030-07-01T09:00:00.0000000", "timeZone": "Europe/Paris"});
        assert_eq!(start(paris), Some(json!("2030-07-01T07:00:00Z")));
        let utc = json!({"dateTime": "2030-01-01T09:00:00.0000000", "timeZone": "UTC"});
        assert_eq!(start(utc), Some(json!("2030-01-01T09:00:00Z")));
    }

    #[test]
    fn a_time_with_an_offset_or_an_unknown_zone_is_left_as_it_is() {
        let google = json!({"dateTime": "2030-01-01T09:00:00+01:00", "timeZone": "Europe/Paris"});
        assert_eq!(start(google), None);
        let windows =
            json!({"dateTime": "2030-01-01T09:00:00", "timeZone": "Pacific Standard Time"});
        assert_eq!(start(windows), None);
    }

    #[test]
    fn an_all_day_event_reads_its_date() {
        assert_eq!(
            start(json!({"date": "2030-01-01"})),
            Some(json!("2030-01-01"))
        );
        assert_eq!(
            read(&json!({"start": "x"}), &wire_path("start")),
            None,
            "a path that does not end in `dateTime` reads as it is"
        );
    }
}
