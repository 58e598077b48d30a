//! Abuse protection on the public routes: what is kept about a client (a
//! keyed hash of its address, never the address), the signed time a form was
//! rendered, per-address and per-link quotas, and when a burst of answers is
//! held back for review.

use crate::error::{Errors, FieldError, Rule};
use crate::time::TenantZone;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::net::IpAddr;

/// The tenant's secret key for the hashes and form tokens here. It is made
/// once, at random, and kept in the store, so hashes cannot be reversed by
/// trying every address or phone number without it.
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn new(bytes: [u8; 32]) -> Self {
        Secret(bytes)
    }

    /// A fresh secret from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, crate::code::RandomError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| crate::code::RandomError(e.to_string()))?;
        Ok(Secret(bytes))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn mac(&self, purpose: &str, parts: &[&str]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(b"\n");
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// What is kept about a client: 64 bits of a keyed hash of its address,
    /// enough to count one address's answers, not to recover it.
    pub fn client(&self, address: IpAddr) -> String {
        hex::encode(&self.mac("client", &[&address.to_string()])[..8])
    }

    /// The key of a customer's invitation throttle: a keyed hash of the
    /// customer ref, so the throttle record names no one.
    pub fn contact(&self, customer_ref: &str) -> String {
        hex::encode(&self.mac("contact", &[customer_ref])[..16])
    }

    /// The key of a contact on the suppression list: a keyed hash of the
    /// e-mail address or phone number, so the list names no one.
    pub fn suppression(&self, contact: &str) -> String {
        hex::encode(&self.mac("suppression", &[contact])[..16])
    }

    /// The unsubscribe token of invitation `code`'s messages: `{code}.{mac}`,
    /// short enough for an SMS; only this tenant can make one (a guess
    /// has one chance in 2^40, and the public routes are rate limited).
    pub fn unsubscribe_token(&self, code: &str) -> String {
        format!(
            "{code}.{}",
            hex::encode(&self.mac("unsubscribe", &[code])[..5])
        )
    }

    /// The invitation code an unsubscribe token names, if it is genuine.
    pub fn unsubscribed<'a>(&self, token: &'a str) -> Option<&'a str> {
        let (code, mac) = token.split_once('.')?;
        let expected = hex::encode(&self.mac("unsubscribe", &[code])[..5]);
        same_secret(&expected, mac).then_some(code)
    }

    /// `at`, signed for `purpose` over `parts`: `{ms}.{mac}`.
    fn stamp(&self, purpose: &str, parts: &[&str], at: DateTime<Utc>) -> String {
        let ms = at.timestamp_millis().to_string();
        let signed: Vec<&str> = parts.iter().copied().chain([ms.as_str()]).collect();
        let mac = hex::encode(&self.mac(purpose, &signed)[..12]);
        format!("{ms}.{mac}")
    }

    /// How long ago a [`Secret::stamp`] was made; `None` when it is
    /// missing, forged, or for another purpose or parts.
    fn stamp_age(
        &self,
        purpose: &str,
        parts: &[&str],
        token: &str,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let (ms, mac) = token.split_once('.')?;
        let signed: Vec<&str> = parts.iter().copied().chain([ms]).collect();
        let expected = hex::encode(&self.mac(purpose, &signed)[..12]);
        if !same_secret(&expected, mac) {
            return None;
        }
        let at = DateTime::from_timestamp_millis(ms.parse().ok()?)?;
        Some(now - at)
    }

    /// A form's hidden token: when it was rendered for `code` (and, on a
    /// reusable link, the form's response id), signed.
    pub fn form_token(&self, code: &str, rid: &str, at: DateTime<Utc>) -> String {
        self.stamp("form", &[code, rid], at)
    }

    /// How long ago the form behind `token` was rendered; `None` when the
    /// token is missing, forged or for another link.
    pub fn form_age(
        &self,
        token: &str,
        code: &str,
        rid: &str,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        self.stamp_age("form", &[code, rid], token, now)
    }

    /// The token that lets whoever sent the first answer of response `id`
    /// change it inside the edit window: handed out with that answer, never
    /// derivable from the code alone.
    pub fn edit_token(&self, id: &str) -> String {
        hex::encode(&self.mac("edit", &[id])[..16])
    }

    /// Whether `token` is response `id`'s edit token.
    pub fn edit_token_ok(&self, id: &str, token: &str) -> bool {
        same_secret(&self.edit_token(id), token)
    }

    /// A dashboard session for the key whose secret hashes to `key_hash`,
    /// signed in at `at`: the hash, not the key, so a stolen cookie cannot
    /// call the API.
    pub fn session(&self, key_hash: &str, at: DateTime<Utc>) -> String {
        format!("{key_hash}.{}", self.stamp("session", &[key_hash], at))
    }

    /// The key hash of a genuine session signed in less than `lifetime`
    /// before `now`.
    pub fn session_key<'a>(
        &self,
        session: &'a str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Option<&'a str> {
        let (hash, stamp) = session.split_once('.')?;
        let age = self.stamp_age("session", &[hash], stamp, now)?;
        (age >= Duration::zero() && age < lifetime).then_some(hash)
    }
}

/// Whether `given` is `expected` (a MAC, or a secret shared with a proxy),
/// compared in constant time.
pub fn same_secret(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The business's abuse settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AbuseRules {
    /// Answers one address may give through one reusable link per day
    /// (0: no limit; a shop's Wi-Fi shares one address).
    pub per_address_daily: u32,
    /// A form posted sooner than this after it was shown is a bot's.
    pub min_fill_ms: u32,
    /// The window bursts are counted in.
    pub burst_minutes: u32,
    /// Answers from one address in a window before the rest are flagged
    /// (0: never). A business that posts its customers' answers from its
    /// own server (a kiosk app) raises it or turns it off.
    pub burst_per_address: u32,
    /// Answers through one reusable link in a window before the rest are
    /// flagged (0: never).
    pub burst_per_link: u32,
}

impl Default for AbuseRules {
    fn default() -> Self {
        AbuseRules {
            per_address_daily: 1,
            min_fill_ms: 1500,
            burst_minutes: 10,
            burst_per_address: 20,
            burst_per_link: 60,
        }
    }
}

/// A change to the limits on the public routes: each field given replaces
/// its value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = AbuseRulesInput)]
#[serde(deny_unknown_fields)]
pub struct AbuseRulesPatch {
    /// Answers one client address may give through one reusable link per
    /// day (0: no limit). Beyond it: 429 with Retry-After until the
    /// tenant's midnight.
    #[schema(minimum = 0, maximum = 1000)]
    pub per_address_daily: Option<i64>,
    /// A rating form posted sooner after it was shown is refused as a
    /// bot's (0: off).
    #[schema(minimum = 0, maximum = 60_000)]
    pub min_fill_ms: Option<i64>,
    /// The window bursts are counted in.
    #[schema(minimum = 1, maximum = 1440)]
    pub burst_minutes: Option<i64>,
    /// Answers from one address in a window before the rest are flagged
    /// (0: never).
    #[schema(minimum = 0, maximum = 100_000)]
    pub burst_per_address: Option<i64>,
    /// Answers through one reusable link in a window before the rest are
    /// flagged (0: never).
    #[schema(minimum = 0, maximum = 100_000)]
    pub burst_per_link: Option<i64>,
}

impl AbuseRules {
    pub fn apply(&self, patch: &AbuseRulesPatch) -> Result<AbuseRules, Vec<FieldError>> {
        let mut errors = Errors::default();
        let mut next = *self;
        let mut set = |field: &str, value: Option<i64>, max: u32, slot: &mut u32| {
            if let Some(v) = value
                && let Some(v) =
                    errors.check(crate::error::in_range(&format!("abuse.{field}"), v, 0, max))
            {
                *slot = v;
            }
        };
        set(
            "per_address_daily",
            patch.per_address_daily,
            1000,
            &mut next.per_address_daily,
        );
        set(
            "min_fill_ms",
            patch.min_fill_ms,
            60_000,
            &mut next.min_fill_ms,
        );
        set(
            "burst_minutes",
            patch.burst_minutes,
            1440,
            &mut next.burst_minutes,
        );
        set(
            "burst_per_address",
            patch.burst_per_address,
            100_000,
            &mut next.burst_per_address,
        );
        set(
            "burst_per_link",
            patch.burst_per_link,
            100_000,
            &mut next.burst_per_link,
        );
        if next.burst_minutes == 0 {
            errors.push(FieldError::new(
                "abuse.burst_minutes",
                Rule::OutOfRange,
                "must be an integer from 1 to 1440, got 0",
            ));
        }
        errors.finish(|| next)
    }

    /// The burst window holding `now`: its label and when it ends.
    pub fn burst_window(&self, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let len = i64::from(self.burst_minutes.max(1)) * 60;
        let start = now.timestamp().div_euclid(len) * len;
        let end = DateTime::from_timestamp(start + len, 0).unwrap_or(now);
        (start.to_string(), end)
    }

    /// Why an answer is held back, given how many answers (this one
    /// included) its address and its reusable link gave in the window.
    pub fn flag(&self, from_address: u64, through_link: Option<u64>) -> Option<FlagReason> {
        let over = |limit: u32, count: u64| limit > 0 && count > u64::from(limit);
        if over(self.burst_per_address, from_address) {
            Some(FlagReason::AddressBurst)
        } else if through_link.is_some_and(|n| over(self.burst_per_link, n)) {
            Some(FlagReason::LinkBurst)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    /// More answers from one address than a person gives.
    AddressBurst,
    /// More answers through one reusable link than its place sees.
    LinkBurst,
}

/// Why and when a response was held back from the scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flag {
    pub reason: FlagReason,
    pub at: DateTime<Utc>,
}

/// A cap on answers under one key until a moment: concurrent answers cannot
/// slip past it, and an answer sent again does not count twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub key: String,
    pub max: u32,
    /// When the count starts again (the next tenant-local midnight).
    pub resets_at: DateTime<Utc>,
    pub scope: QuotaScope,
}

/// Whose answers a quota counts, which decides how a store may keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaScope {
    /// One address's few answers: small enough to keep which ones counted.
    Address,
    /// Everyone's answers through a link: a busy count.
    Link,
}

impl Quota {
    /// One address's answers through reusable link `code` on `day`.
    pub fn per_address(
        code: &str,
        client: &str,
        day: NaiveDate,
        max: u32,
        zone: &TenantZone,
    ) -> Self {
        Quota {
            key: format!("{code}#{day}#{client}"),
            max,
            resets_at: next_midnight(day, zone),
            scope: QuotaScope::Address,
        }
    }

    /// All answers through reusable link `code` on `day`.
    pub fn per_link(code: &str, day: NaiveDate, max: u32, zone: &TenantZone) -> Self {
        Quota {
            key: format!("{code}#{day}"),
            max,
            resets_at: next_midnight(day, zone),
            scope: QuotaScope::Link,
        }
    }
}

fn next_midnight(day: NaiveDate, zone: &TenantZone) -> DateTime<Utc> {
    zone.start_of(day.succ_opt().unwrap_or(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new([7; 32])
    }

    #[test]
    fn hashes_are_keyed_stable_and_short() {
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(secret().client(ip), secret().client(ip));
        assert_eq!(secret().client(ip).len(), 16);
        assert_ne!(secret().client(ip), Secret::new([8; 32]).client(ip));
        assert_ne!(
            secret().client(ip),
            secret().client("203.0.113.10".parse().unwrap())
        );
        assert_eq!(secret().contact("+923001234567").len(), 32);
        assert!(!secret().contact("+923001234567").contains("923001234567"));
    }

    #[test]
    fn unsubscribe_tokens_name_an_invitation_only_if_this_tenant_made_them() {
        let hash = secret().suppression("+923001234567");
        assert_eq!(hash.len(), 32);
        assert_ne!(
            hash,
            secret().contact("+923001234567"),
            "a purpose of its own"
        );
        let token = secret().unsubscribe_token("ABCDEFGHIJKL");
        assert_eq!(token.len(), 23, "short enough for an SMS");
        assert_eq!(secret().unsubscribed(&token), Some("ABCDEFGHIJKL"));
        let other = Secret::new([9; 32]);
        assert_eq!(other.unsubscribed(&token), None);
        let forged = format!("ABCDEFGHIJKM{}", &token[12..]);
        assert_eq!(secret().unsubscribed(&forged), None);
        assert_eq!(secret().unsubscribed("no-dot"), None);
    }

    #[test]
    fn edit_tokens_belong_to_one_response() {
        let token = secret().edit_token("ABCDEFGHIJKL");
        assert!(secret().edit_token_ok("ABCDEFGHIJKL", &token));
        assert!(!secret().edit_token_ok("ABCDEFGHIJKM", &token));
        assert!(!secret().edit_token_ok("ABCDEFGHIJKL", &token[1..]));
        assert!(!Secret::new([8; 32]).edit_token_ok("ABCDEFGHIJKL", &token));
        assert!(!token.contains("ABCDEFGHIJKL"));
    }

    #[test]
    fn sessions_name_their_key_until_they_expire() {
        let t0: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let hash = "ab".repeat(32);
        let session = secret().session(&hash, t0);
        assert!(!session.contains("fbk_"));
        let day = Duration::hours(12);
        assert_eq!(secret().session_key(&session, t0, day), Some(hash.as_str()));
        let late = t0 + day - Duration::seconds(1);
        assert_eq!(
            secret().session_key(&session, late, day),
            Some(hash.as_str())
        );
        assert_eq!(secret().session_key(&session, t0 + day, day), None);
        // Signed in "in the future", another key's hash, another secret.
        assert_eq!(
            secret().session_key(&session, t0 - Duration::seconds(1), day),
            None
        );
        let other = session.replacen("ab", "cd", 1);
        assert_eq!(secret().session_key(&other, t0, day), None);
        assert_eq!(Secret::new([8; 32]).session_key(&session, t0, day), None);
        // A form token is not a session.
        let form = format!("{hash}.{}", secret().form_token(&hash, "", t0));
        assert_eq!(secret().session_key(&form, t0, day), None);
    }

    #[test]
    fn form_tokens_tell_their_age_and_refuse_forgeries() {
        let at: DateTime<Utc> = "2026-05-01T10:00:00Z".parse().unwrap();
        let token = secret().form_token("CODE", "rid", at);
        let later = at + Duration::milliseconds(2500);
        assert_eq!(
            secret().form_age(&token, "CODE", "rid", later),
            Some(Duration::milliseconds(2500))
        );
        assert_eq!(secret().form_age(&token, "OTHER", "rid", later), None);
        assert_eq!(secret().form_age(&token, "CODE", "other", later), None);
        let (ms, mac) = token.split_once('.').unwrap();
        let earlier = format!("{}.{mac}", ms.parse::<i64>().unwrap() - 60_000);
        assert_eq!(secret().form_age(&earlier, "CODE", "rid", later), None);
        assert_eq!(secret().form_age("garbage", "CODE", "rid", later), None);
    }

    #[test]
    fn bursts_flag_what_is_over_the_limits() {
        let rules = AbuseRules::default();
        assert_eq!(rules.flag(20, Some(60)), None);
        assert_eq!(rules.flag(21, Some(1)), Some(FlagReason::AddressBurst));
        assert_eq!(rules.flag(1, Some(61)), Some(FlagReason::LinkBurst));
        assert_eq!(rules.flag(1, None), None);
        let off = AbuseRules {
            burst_per_address: 0,
            ..rules
        };
        assert_eq!(off.flag(1_000, None), None);
        let at: DateTime<Utc> = "2026-05-01T10:07:30Z".parse().unwrap();
        let (label, end) = rules.burst_window(at);
        assert_eq!(
            end,
            "2026-05-01T10:10:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(rules.burst_window(end - Duration::seconds(1)).0, label);
        assert_ne!(rules.burst_window(end).0, label);
    }

    #[test]
    fn patches_are_checked_field_by_field() {
        let bad = AbuseRulesPatch {
            min_fill_ms: Some(-1),
            burst_minutes: Some(0),
            ..Default::default()
        };
        let fields: Vec<_> = AbuseRules::default()
            .apply(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["abuse.min_fill_ms", "abuse.burst_minutes"]);
        let next = AbuseRules::default()
            .apply(&AbuseRulesPatch {
                per_address_daily: Some(3),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(next.per_address_daily, 3);
    }

    #[test]
    fn quotas_reset_at_the_tenants_midnight() {
        let zone = TenantZone::parse("tz", "Asia/Karachi").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let q = Quota::per_address("CODE", "abcd", day, 1, &zone);
        assert_eq!(q.key, "CODE#2026-05-01#abcd");
        assert_eq!(
            q.resets_at,
            "2026-05-01T19:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            Quota::per_link("CODE", day, 5, &zone).key,
            "CODE#2026-05-01"
        );
    }
}
