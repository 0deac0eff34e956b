//! Paging through a list reply, one page at a time: the next page's URL from the page just
//! read, so that a long list is streamed (each page is filtered, then dropped) rather than
//! held whole.
//!
//! ```text
//! page cursor at "paging.next.after" as "after"   {"paging":{"next":{"after":"NTI1"}}} → ?after=NTI1
//! page after last as "starting_after"             last record's id cus_9 → ?starting_after=cus_9
//! page link                                       Link: <https://…?page=2>; rel="next"
//! page next at "@odata.nextLink"                  {"@odata.nextLink": "https://…"}
//! page number as "page"                           ?page=2, ?page=3, … until a page is empty
//! page offset as "offset"                         ?offset=100, … until a page is empty
//! ```
//!
//! A next page given as a whole URL (`Link`, `next at`) must be on the app's own host: the
//! app's credentials go with every page.

use reqwest::Url;
use serde_json::Value as Json;

use super::mapping::{Paging, get};
use super::wire::id_text;

/// No list is followed past this many pages (a loop in an app's cursors would go on forever).
pub const MAX_PAGES: u32 = 100_000;

/// Where the pages of one list are.
pub struct Pages<'m> {
    paging: Option<&'m Paging>,
    first: Url,
    current: Url,
    /// The page number of `current` (from 1), and the records read so far.
    number: u64,
    read: u64,
    pages: u32,
}

/// What a page said about the next one.
pub struct Page<'a> {
    pub json: &'a Json,
    pub link: Option<&'a str>,
    pub records: &'a [Json],
    /// The last record's id on this page.
    pub last_id: Option<String>,
}

impl<'m> Pages<'m> {
    pub fn new(paging: Option<&'m Paging>, first: Url) -> Pages<'m> {
        Pages {
            paging,
            current: first.clone(),
            first,
            number: 1,
            read: 0,
            pages: 1,
        }
    }

    /// The URL of the next page, `None` after the last; `Err` says why paging cannot go on.
    pub fn next(&mut self, page: &Page) -> Result<Option<Url>, String> {
        let Some(paging) = self.paging else {
            return Ok(None);
        };
        self.read += page.records.len() as u64;
        let empty = page.records.is_empty();
        let next = match paging {
            Paging::Cursor { at, param } => get(page.json, at)
                .and_then(id_text)
                .map(|cursor| self.with_param(param, &cursor)),
            Paging::AfterLast { param } => {
                let more = page.json.get("has_more").and_then(Json::as_bool);
                match (&page.last_id, more) {
                    (_, Some(false)) | (None, _) => None,
                    (Some(last), _) => Some(self.with_param(param, last)),
                }
            }
            Paging::Link => match page.link.and_then(next_link) {
                Some(url) => Some(self.same_host(&url)?),
                None => None,
            },
            Paging::Next { at } => match get(page.json, at).and_then(Json::as_str) {
                Some(url) => Some(self.same_host(url)?),
                None => None,
            },
            Paging::Number { param } if !empty => {
                self.number += 1;
                Some(self.with_param(param, &self.number.to_string()))
            }
            Paging::Offset { param } if !empty => {
                Some(self.with_param(param, &self.read.to_string()))
            }
            Paging::Number { .. } | Paging::Offset { .. } => None,
        };
        let Some(next) = next else {
            return Ok(None);
        };
        if next == self.current {
            return Err(format!("gave {next} as its own next page"));
        }
        self.pages += 1;
        if self.pages > MAX_PAGES {
            return Err(format!("had more than {MAX_PAGES} pages"));
        }
        self.current = next.clone();
        Ok(Some(next))
    }

    /// The first page's URL with one query parameter set (replaced if it is there).
    fn with_param(&self, name: &str, value: &str) -> Url {
        let mut url = self.first.clone();
        let kept: Vec<(String, String)> = self
            .first
            .query_pairs()
            .filter(|(k, _)| k != name)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair(name, value);
        url
    }

    fn same_host(&self, next: &str) -> Result<Url, String> {
        let url = self
            .first
            .join(next)
            .map_err(|_| format!("gave `{next}` as the next page, which is not a URL"))?;
        if url.origin() != self.first.origin() {
            return Err(format!(
                "gave a next page on another host ({}), where weir does not send the app's credentials",
                url.origin().ascii_serialization()
            ));
        }
        Ok(url)
    }
}

/// The `rel="next"` URL of a `Link` header (RFC 8288), as GitHub sends it:
/// `<https://api.github.com/…?page=2>; rel="next", <…>; rel="last"`.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .any(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim().trim_matches('"').split(' ').any(|r| r == "next")
            })
            .then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::mapping::wire_path;
    use serde_json::json;

    fn page<'a>(json: &'a Json, records: &'a [Json], link: Option<&'a str>) -> Page<'a> {
        Page {
            json,
            link,
            records,
            last_id: records.last().and_then(|r| r.get("id")).and_then(id_text),
        }
    }

    #[test]
    fn the_link_header_gives_the_next_page() {
        let header = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }

    #[test]
    fn a_cursor_is_sent_back_and_the_last_page_ends_the_list() {
        let paging = Paging::Cursor {
            at: wire_path("paging.next.after"),
            param: "after".to_string(),
        };
        let first = Url::parse("http://h/crm/v3/objects/contacts?limit=100").unwrap();
        let mut pages = Pages::new(Some(&paging), first);
        let reply = json!({"results": [], "paging": {"next": {"after": "NTI1"}}});
        let next = pages.next(&page(&reply, &[], None)).unwrap().unwrap();
        assert_eq!(
            next.as_str(),
            "http://h/crm/v3/objects/contacts?limit=100&after=NTI1"
        );
        let last = json!({"results": []});
        assert_eq!(pages.next(&page(&last, &[], None)).unwrap(), None);
    }

    #[test]
    fn after_last_stops_when_there_is_no_more() {
        let paging = Paging::AfterLast {
            param: "starting_after".to_string(),
        };
        let mut pages = Pages::new(Some(&paging), Url::parse("http://h/v1/customers").unwrap());
        let records = [json!({"id": "cus_1"}), json!({"id": "cus_2"})];
        let more = json!({"has_more": true});
        let next = pages.next(&page(&more, &records, None)).unwrap().unwrap();
        assert_eq!(next.as_str(), "http://h/v1/customers?starting_after=cus_2");
        let done = json!({"has_more": false});
        assert_eq!(pages.next(&page(&done, &records, None)).unwrap(), None);
    }

    #[test]
    fn a_next_page_on_another_host_or_the_same_page_again_is_refused() {
        let paging = Paging::Next {
            at: wire_path("@odata.nextLink"),
        };
        let first = Url::parse("https://graph.microsoft.com/v1.0/me/events").unwrap();
        let mut pages = Pages::new(Some(&paging), first.clone());
        let elsewhere = json!({"@odata.nextLink": "https://evil.example/steal"});
        let err = pages.next(&page(&elsewhere, &[], None)).unwrap_err();
        assert!(err.contains("another host"), "{err}");
        let mut pages = Pages::new(Some(&paging), first);
        let same = json!({"@odata.nextLink": "https://graph.microsoft.com/v1.0/me/events"});
        assert!(pages.next(&page(&same, &[], None)).is_err());
    }

    #[test]
    fn numbered_pages_go_on_until_one_is_empty() {
        let paging = Paging::Number {
            param: "page".to_string(),
        };
        let mut pages = Pages::new(Some(&paging), Url::parse("http://h/items").unwrap());
        let reply = json!([]);
        let one = [json!({"id": 1})];
        let next = pages.next(&page(&reply, &one, None)).unwrap().unwrap();
        assert_eq!(next.as_str(), "http://h/items?page=2");
        assert_eq!(pages.next(&page(&reply, &[], None)).unwrap(), None);
    }
}
