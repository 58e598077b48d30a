//! Opaque list cursors and the sort key they point into.
//!
//! Lists run newest first by `(instant, id)` — a response by when it was
//! submitted, a follow-up by when it opened — encoded as the fixed-width text
//! `2026-01-31T09:15:02.123456Z#<id>` that sorts the same way in SQLite and
//! in a DynamoDB sort key. A cursor is that key, base64url encoded: opaque to
//! clients, and the same in both stores.

use crate::Page;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use feedback_core::{FieldError, FollowUp, Response, Rule};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

/// The fixed-width, sortable form of an instant (microsecond precision).
pub(crate) fn instant_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// An instant back from its [`instant_key`].
#[cfg(feature = "sqlite")]
pub(crate) fn parse_instant_key(key: &str) -> Result<DateTime<Utc>, crate::StoreError> {
    DateTime::parse_from_rfc3339(key)
        .map(|t| t.with_timezone(&Utc))
        .map_err(crate::StoreError::internal)
}

/// Which end of a list comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Every list the API pages through.
    NewestFirst,
    /// The head of a queue: no cursor goes with it.
    OldestFirst,
}

/// Something a list returns, with its place in the list.
pub(crate) trait Listed {
    fn sort_key(&self) -> String;
}

impl Listed for Response {
    fn sort_key(&self) -> String {
        format!("{}#{}", instant_key(self.submitted_at), self.id)
    }
}

impl Listed for FollowUp {
    fn sort_key(&self) -> String {
        format!("{}#{}", instant_key(self.opened_at), self.id)
    }
}

impl Listed for feedback_core::webhook::Delivery {
    fn sort_key(&self) -> String {
        format!("{}#{}", instant_key(self.event.created_at), self.id)
    }
}

impl Cursor {
    pub(crate) fn after(item: &impl Listed) -> Self {
        Cursor(item.sort_key())
    }

    #[cfg(feature = "dynamo")]
    pub(crate) fn from_key(key: String) -> Self {
        Cursor(key)
    }

    pub(crate) fn key(&self) -> &str {
        &self.0
    }

    /// The opaque text given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }

    /// Reads a cursor a client sent back, naming `field` if it is not one.
    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                Rule::BadFormat,
                "is not a cursor returned by this API",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let key = String::from_utf8(bytes).map_err(|_| bad())?;
        let (instant, id) = key.split_once('#').ok_or_else(bad)?;
        DateTime::parse_from_rfc3339(instant).map_err(|_| bad())?;
        // The id becomes part of a store key: only a response id's shape
        // passes (follow-ups are listed by their response's id too).
        if feedback_core::links::code_of_response(id).is_none() || instant.len() != 27 {
            return Err(bad());
        }
        Ok(Cursor(key))
    }
}

/// The exclusive upper sort key of a listing: the cursor or the `before`
/// bound, whichever is lower.
pub(crate) fn upper_bound(
    before: Option<DateTime<Utc>>,
    cursor: Option<&Cursor>,
) -> Option<String> {
    let before = before.map(instant_key);
    match (before, cursor.map(|c| c.key().to_owned())) {
        (Some(b), Some(c)) => Some(b.min(c)),
        (b, c) => c.or(b),
    }
}

/// Cuts `items` (fetched up to `limit + 1`) into a page: the extra item only
/// says that there is a next page.
pub(crate) fn page<T: Listed>(mut items: Vec<T>, limit: usize) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(Cursor::after)
    } else {
        None
    };
    Page { items, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_keys_are_fixed_width_and_sort_in_time_order() {
        let a = instant_key("2026-01-01T09:00:00Z".parse().unwrap());
        let b = instant_key("2026-01-01T09:00:00.5Z".parse().unwrap());
        let c = instant_key("2026-01-01T10:00:00Z".parse().unwrap());
        assert_eq!(a, "2026-01-01T09:00:00.000000Z");
        assert!(a < b && b < c);
        assert_eq!(a.len(), b.len());
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let c = Cursor("2026-01-01T09:00:00.000000Z#ABCDEFGHIJKL-f00d".into());
        assert_eq!(Cursor::parse("cursor", &c.encode()).unwrap(), c);
        let long_id = format!("2026-01-01T09:00:00.000000Z#{}", "A".repeat(5000));
        for bad in [
            "",
            "!!!",
            "bm90LWEta2V5",
            &URL_SAFE_NO_PAD.encode("2026-01-01#x"),
            &URL_SAFE_NO_PAD.encode("2026-01-01T09:00:00.000000Z#abc"),
            &URL_SAFE_NO_PAD.encode(long_id),
        ] {
            assert_eq!(Cursor::parse("cursor", bad).unwrap_err().field, "cursor");
        }
    }
}
