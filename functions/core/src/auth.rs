//! API keys and their scopes.
//!
//! A key is shown to its owner once (`fbk_` and 40 base62 characters, about
//! 238 bits) and stored only as its SHA-256. Its id is the first 12 hex
//! digits of that hash: enough to name it, useless to use it.

use crate::code::{RandomError, random_base62};
use crate::error::{FieldError, Rule};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const KEY_PREFIX: &str = "fbk_";
const SECRET_LEN: usize = 40;
const ID_LEN: usize = 12;

/// What a key may do. `Admin` may do everything.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Scope {
    #[serde(rename = "invitations:write")]
    InvitationsWrite,
    #[serde(rename = "reps:write")]
    RepsWrite,
    #[serde(rename = "responses:read")]
    ResponsesRead,
    /// Reviewing flagged responses: releasing them into the scores.
    #[serde(rename = "responses:write")]
    ResponsesWrite,
    #[serde(rename = "scores:read")]
    ScoresRead,
    #[serde(rename = "settings:write")]
    SettingsWrite,
    #[serde(rename = "follow_ups:write")]
    FollowUpsWrite,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::InvitationsWrite,
        Scope::RepsWrite,
        Scope::ResponsesRead,
        Scope::ResponsesWrite,
        Scope::ScoresRead,
        Scope::SettingsWrite,
        Scope::FollowUpsWrite,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::InvitationsWrite => "invitations:write",
            Scope::RepsWrite => "reps:write",
            Scope::ResponsesRead => "responses:read",
            Scope::ResponsesWrite => "responses:write",
            Scope::ScoresRead => "scores:read",
            Scope::SettingsWrite => "settings:write",
            Scope::FollowUpsWrite => "follow_ups:write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    format!(
                        "unknown scope '{}'; expected one of {}",
                        crate::survey::truncate(value),
                        Self::ALL.map(Scope::as_str).join(", ")
                    ),
                )
            })
    }

    /// Whether holding `scopes` grants this one.
    pub fn granted_by(self, scopes: &[Scope]) -> bool {
        scopes.iter().any(|&s| s == self || s == Scope::Admin)
    }
}

/// The SHA-256 of a presented key, in hex: what the stores look keys up by.
pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A stored key: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub hash: String,
    pub scopes: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// A new key with `scopes`; returns it with the secret, which is shown once.
    pub fn generate(
        scopes: Vec<Scope>,
        name: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), RandomError> {
        let secret = format!("{KEY_PREFIX}{}", random_base62(SECRET_LEN)?);
        let hash = hash_key(&secret);
        let key = ApiKey {
            id: hash[..ID_LEN].to_owned(),
            hash,
            scopes,
            name,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        Ok((key, secret))
    }

    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// Reads a presented `Authorization` header value: `Bearer fbk_…`.
pub fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with(KEY_PREFIX) && token.len() <= 128)
        .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_as_hashes_and_named_by_a_prefix_of_it() {
        let now = Utc::now();
        let (key, secret) = ApiKey::generate(vec![Scope::ScoresRead], None, now).unwrap();
        assert!(secret.starts_with("fbk_") && secret.len() == 44);
        assert_eq!(key.hash, hash_key(&secret));
        assert!(!key.hash.contains(&secret[4..]));
        assert_eq!(key.id, key.hash[..12]);
        assert!(key.is_active());
    }

    #[test]
    fn admin_grants_everything_else_only_itself() {
        assert!(Scope::ScoresRead.granted_by(&[Scope::Admin]));
        assert!(Scope::ScoresRead.granted_by(&[Scope::ResponsesRead, Scope::ScoresRead]));
        assert!(!Scope::Admin.granted_by(&[Scope::ScoresRead]));
        assert!(!Scope::SettingsWrite.granted_by(&[]));
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer_secret("Bearer fbk_abc"), Some("fbk_abc"));
        assert_eq!(bearer_secret("bearer  fbk_abc "), Some("fbk_abc"));
        assert_eq!(bearer_secret("Basic fbk_abc"), None);
        assert_eq!(bearer_secret("Bearer abc"), None);
        assert_eq!(bearer_secret("Bearer"), None);
    }

    #[test]
    fn scopes_serialise_by_their_names() {
        assert_eq!(
            serde_json::to_string(&Scope::InvitationsWrite).unwrap(),
            "\"invitations:write\""
        );
        assert_eq!(
            Scope::parse("scopes[0]", "scores:read").unwrap(),
            Scope::ScoresRead
        );
        assert_eq!(
            Scope::parse("scopes[0]", "root").unwrap_err().field,
            "scopes[0]"
        );
    }
}
