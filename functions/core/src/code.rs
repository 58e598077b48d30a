//! Invitation codes: the capability in a customer's link (`/r/{code}`).

use crate::error::{FieldError, Rule};
use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters in a new code: 12 base62 characters carry 71 bits, so guessing
/// a live code is hopeless even at the API's rate limits, and the link still
/// fits an SMS beside the business name.
pub const CODE_LEN: usize = 12;

/// Codes are accepted in this length range, so the length can grow later
/// without breaking links already printed on receipts.
const ACCEPTED_LEN: std::ops::RangeInclusive<usize> = 10..=32;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomError(pub(crate) String);

/// `len` characters from the operating system's CSPRNG, uniform over base62.
pub fn random_base62(len: usize) -> Result<String, RandomError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
        // 248 = 4 * 62: rejecting the bytes above it keeps every character
        // equally likely (no modulo bias).
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[usize::from(b % 62)] as char);
        }
    }
    Ok(out)
}

impl Code {
    /// A fresh, unguessable code.
    pub fn generate() -> Result<Self, RandomError> {
        random_base62(CODE_LEN).map(Self)
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        if !ACCEPTED_LEN.contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(FieldError::new(
                field,
                Rule::BadFormat,
                "must be 10 to 32 letters and digits",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Code {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, FieldError> {
        Self::parse("code", &value)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_codes_are_base62_of_the_right_length_and_distinct() {
        let codes: HashSet<Code> = (0..10_000).map(|_| Code::generate().unwrap()).collect();
        assert_eq!(codes.len(), 10_000);
        for code in &codes {
            assert_eq!(code.as_str().len(), CODE_LEN);
            assert!(Code::parse("code", code.as_str()).is_ok());
        }
    }

    #[test]
    fn characters_are_roughly_uniform() {
        let mut counts = [0u32; 62];
        for _ in 0..5_000 {
            for b in Code::generate().unwrap().as_str().bytes() {
                let i = ALPHABET.iter().position(|&a| a == b).unwrap();
                counts[i] += 1;
            }
        }
        // 60,000 draws: 967.7 expected per character; 6 sigma is about 185.
        for count in counts {
            assert!((780..1160).contains(&count), "count {count}");
        }
    }

    #[test]
    fn parse_rejects_bad_codes() {
        for bad in [
            "",
            "short",
            "abc-defghijkl",
            "ÄbcdefghijkL",
            &"a".repeat(33),
        ] {
            assert_eq!(Code::parse("code", bad).unwrap_err().rule, Rule::BadFormat);
        }
    }
}
