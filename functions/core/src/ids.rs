//! Identifiers and short texts supplied by businesses, each validated once at
//! the edge so the rest of the code can trust them.
//!
//! None of them may contain `#`: the stores use it as a key separator.

use crate::error::{FieldError, Rule};
use serde::{Deserialize, Serialize};

/// Characters allowed in ids that appear in URLs and store keys.
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(field, Rule::Required, "must not be empty"));
    }
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            Rule::TooLong,
            format!("must be at most {max} characters, got {len}"),
        ));
    }
    Ok(())
}

/// A URL-safe identifier: 1–64 of `A-Z a-z 0-9 - _ .`.
fn url_safe_id(field: &str, value: &str) -> Result<(), FieldError> {
    check_len(field, value, 64)?;
    if !value.chars().all(is_id_char) {
        return Err(FieldError::new(
            field,
            Rule::BadFormat,
            "may contain only letters A-Z and a-z, digits, '-', '_' and '.'",
        ));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `value`, naming `field` in the error.
            pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
                let check: fn(&str, &str) -> Result<(), FieldError> = $check;
                check(field, value)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(value: String) -> Result<Self, FieldError> {
                Self::parse(stringify!($name), &value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A representative's id, chosen by the business (`ayesha`, `emp-0042`).
    RepId,
    url_safe_id
);

/// The most reps one invitation or link credits: the first in `rep_id`,
/// the others in `also_rep_ids`.
pub const MAX_REPS: usize = 3;

string_id!(
    /// A store, branch or till (`lahore-gulberg`).
    LocationId,
    url_safe_id
);

string_id!(
    /// The business's own order or ticket number; one invitation per order.
    /// 1–128 visible ASCII characters without `#` (`POS-2024/001`, `INV:77`).
    OrderId,
    |field, value| {
        check_len(field, value, 128)?;
        if value.chars().all(|c| c.is_ascii_graphic() && c != '#') {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                Rule::BadFormat,
                "may contain only visible ASCII characters other than '#', no spaces",
            ))
        }
    }
);

string_id!(
    /// The business's reference to a customer (a CRM id, an e-mail, a phone
    /// number). Personal data: erasable, never shown on public pages.
    CustomerRef,
    |field, value| {
        check_len(field, value, 256)?;
        if value.chars().any(|c| c.is_control() || c == '#') {
            return Err(FieldError::new(
                field,
                Rule::BadFormat,
                "must not contain control characters or '#'",
            ));
        }
        if value.trim() != value {
            return Err(FieldError::new(
                field,
                Rule::BadFormat,
                "must not start or end with white space",
            ));
        }
        Ok(())
    }
);

string_id!(
    /// A BCP 47 language tag as sent by clients (`en`, `ur-PK`, `hi`).
    Locale,
    |field, value| {
        let mut parts = value.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
        let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if value.len() <= 35 && primary_ok && rest_ok {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                Rule::BadFormat,
                "must be a language tag such as 'en', 'ur' or 'hi-IN'",
            ))
        }
    }
);

impl Locale {
    /// The primary language subtag in lower case (`ur` for `ur-PK`).
    pub fn language(&self) -> String {
        self.0
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rep_ids_are_url_safe() {
        assert!(RepId::parse("rep_id", "emp-0042.a_b").is_ok());
        let err = RepId::parse("rep_id", "a b").unwrap_err();
        assert_eq!((err.field.as_str(), err.rule), ("rep_id", Rule::BadFormat));
        assert_eq!(RepId::parse("rep_id", "").unwrap_err().rule, Rule::Required);
        assert_eq!(
            RepId::parse("rep_id", &"x".repeat(65)).unwrap_err().rule,
            Rule::TooLong
        );
        assert!(RepId::parse("rep_id", "a#b").is_err());
    }

    #[test]
    fn order_ids_allow_pos_punctuation_but_not_the_key_separator() {
        assert!(OrderId::parse("order_id", "POS-2024/001:7").is_ok());
        assert!(OrderId::parse("order_id", "A#1").is_err());
        assert!(OrderId::parse("order_id", "A 1").is_err());
    }

    #[test]
    fn customer_refs_reject_controls_and_padding() {
        assert!(CustomerRef::parse("customer_ref", "+92 300 1234567").is_ok());
        assert!(CustomerRef::parse("customer_ref", "a\u{0}b").is_err());
        assert!(CustomerRef::parse("customer_ref", " a").is_err());
    }

    #[test]
    fn locales_are_language_tags() {
        assert_eq!(Locale::parse("locale", "ur-PK").unwrap().language(), "ur");
        assert!(Locale::parse("locale", "hi").is_ok());
        assert!(Locale::parse("locale", "english!").is_err());
        assert!(Locale::parse("locale", "").is_err());
    }

    #[test]
    fn deserialising_validates() {
        let ok: Result<RepId, _> = serde_json::from_str("\"ayesha\"");
        assert!(ok.is_ok());
        let bad: Result<RepId, _> = serde_json::from_str("\"a b\"");
        assert!(bad.is_err());
    }
}
