//! Validation errors that name the field and the rule it broke.

use std::fmt;

/// The rule an input broke; stable names that clients can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Required,
    OutOfRange,
    TooLong,
    TooShort,
    ControlCharacters,
    UnknownValue,
    BadFormat,
    /// A form's hidden field was filled in: a bot's doing.
    Automated,
    /// A form was sent sooner after it was shown than a person can.
    TooFast,
    /// A form was sent back after its token expired.
    Stale,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::OutOfRange => "out_of_range",
            Rule::TooLong => "too_long",
            Rule::TooShort => "too_short",
            Rule::ControlCharacters => "control_characters",
            Rule::UnknownValue => "unknown_value",
            Rule::BadFormat => "bad_format",
            Rule::Automated => "automated",
            Rule::TooFast => "too_fast",
            Rule::Stale => "stale",
        }
    }
}

/// One invalid field: its path (`answers.speed`, `invitations[3].order_id`),
/// the rule broken, and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub rule: Rule,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: Rule, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule,
            message: message.into(),
        }
    }

    /// The same error, reported under a parent path (`invitations[2]`).
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Collects every field error of one input instead of stopping at the first,
/// so a client fixes all of them in one round trip.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// `Ok(value)` when nothing was collected; `value` is only built then.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

/// `value` as a `u32` if it is within `min..=max`; the field named otherwise.
pub(crate) fn in_range(field: &str, value: i64, min: u32, max: u32) -> Result<u32, FieldError> {
    u32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            FieldError::new(
                field,
                Rule::OutOfRange,
                format!("must be an integer from {min} to {max}, got {value}"),
            )
        })
}
