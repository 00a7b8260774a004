//! Keyset pagination: `?limit=` (default 50, at most 200) and an opaque `?cursor=`.

use crate::validation::{FieldErrors, FieldProblem, in_range};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    /// The sort key of the last item of the previous page, as the store encoded it.
    pub after: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, FieldErrors> {
        let limit = in_range(limit.unwrap_or(DEFAULT_LIMIT), 1, MAX_LIMIT)
            .map_err(|problem| FieldErrors::single("limit", problem))?;
        let after = match cursor {
            None | Some("") => None,
            Some(cursor) => Some(
                decode_cursor(cursor)
                    .ok_or_else(|| FieldErrors::single("cursor", FieldProblem::InvalidCursor))?,
            ),
        };
        Ok(Self { limit, after })
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn decode_cursor(cursor: &str) -> Option<String> {
    if cursor.len() > 512 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes).ok()
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list that is always complete (no further pages).
    pub fn complete(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }

    /// Builds a page from up to `limit + 1` fetched rows: the extra row only says that more
    /// follow. `key` gives the sort key of an item.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 50);
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(201), None).is_err());
        assert_eq!(PageRequest::parse(Some(200), None).unwrap().limit, 200);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor("0192-key");
        assert_eq!(
            PageRequest::parse(None, Some(&cursor))
                .unwrap()
                .after
                .as_deref(),
            Some("0192-key")
        );
        assert!(PageRequest::parse(None, Some("%%%")).is_err());
        assert!(PageRequest::parse(None, Some(&"A".repeat(600))).is_err());
    }

    #[test]
    fn the_extra_row_makes_a_cursor() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(encode_cursor("2")));
        assert_eq!(
            Page::from_rows(vec![1, 2], 2, |n| n.to_string()).next_cursor,
            None
        );
    }
}
