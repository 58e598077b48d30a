//! Webhooks: what a business subscribes to, the events it receives, how a
//! delivery is signed, and when a failed one is tried again.
//!
//! Events are derived from changes of stored records ([`Change`]: a response
//! or a follow-up, before and after), so one derivation serves DynamoDB's
//! stream in AWS and the embedded store's outbox locally. An event's id is a
//! hash of what changed and its revision: a change seen twice (a stream
//! retry) yields the same event and the same delivery id, which is what lets
//! receivers drop duplicates of an at-least-once delivery.

use crate::code::{RandomError, random_base62};
use crate::error::{FieldError, Rule};
use crate::followup::{FollowUp, FollowUpRules};
use crate::model::{Attribution, Invitation, Response};
use crate::sending::{SendingView, Status};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "feedback-signature";
/// The event's type, its id (stable across retries) and the delivery's id.
pub const EVENT_HEADER: &str = "feedback-event";
pub const EVENT_ID_HEADER: &str = "feedback-event-id";
pub const DELIVERY_HEADER: &str = "feedback-delivery";
/// How old a signature's timestamp may be before receivers should refuse it.
pub const REPLAY_TOLERANCE_SECONDS: i64 = 300;
/// Webhooks one tenant may have.
pub const MAX_WEBHOOKS: usize = 10;
const MAX_URL_LEN: usize = 2048;

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
pub enum EventType {
    #[serde(rename = "response.created")]
    ResponseCreated,
    #[serde(rename = "response.updated")]
    ResponseUpdated,
    /// A response at or below the follow-up thresholds: someone should call.
    #[serde(rename = "response.unhappy")]
    ResponseUnhappy,
    #[serde(rename = "follow_up.updated")]
    FollowUpUpdated,
    /// The product sent an invitation's message (the first, or the reminder).
    #[serde(rename = "invitation.sent")]
    InvitationSent,
    /// The product could not send an invitation's message, for good.
    #[serde(rename = "invitation.failed")]
    InvitationFailed,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::ResponseCreated,
        EventType::ResponseUpdated,
        EventType::ResponseUnhappy,
        EventType::FollowUpUpdated,
        EventType::InvitationSent,
        EventType::InvitationFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ResponseCreated => "response.created",
            EventType::ResponseUpdated => "response.updated",
            EventType::ResponseUnhappy => "response.unhappy",
            EventType::FollowUpUpdated => "follow_up.updated",
            EventType::InvitationSent => "invitation.sent",
            EventType::InvitationFailed => "invitation.failed",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    format!("must be one of {}", names.join(", ")),
                )
            })
    }
}

/// Where a webhook may point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// AWS: `https` only, and never to loopback, private or link-local
    /// addresses (the function must not become a way into a network).
    PublicHttps,
    /// The local server: `https` anywhere, or plain `http` to loopback.
    Local,
}

/// `raw` if it is a webhook URL `policy` allows; the field named otherwise.
pub fn check_url(field: &str, raw: &str, policy: UrlPolicy) -> Result<String, FieldError> {
    let bad = |message: &str| Err(FieldError::new(field, Rule::BadFormat, message));
    if raw.len() > MAX_URL_LEN {
        return Err(FieldError::new(
            field,
            Rule::TooLong,
            format!("at most {MAX_URL_LEN} characters"),
        ));
    }
    // Hosts are taken in ASCII only (the workspace builds `url` without
    // IDNA's Unicode tables, Cargo.toml says why): an international
    // domain in its xn-- form.
    let Ok(url) = url::Url::parse(raw) else {
        return bad(match raw.is_ascii() {
            true => "must be an absolute URL such as https://example.com/hooks/feedback",
            false => {
                "must be an absolute URL with an ASCII host: write an international domain in its xn-- form (Punycode)"
            }
        });
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad("must not carry credentials; deliveries are signed instead");
    }
    if url.fragment().is_some() {
        return bad("must not have a #fragment");
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) => Host::Name(d.to_ascii_lowercase()),
        Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
        None => return bad("must name a host"),
    };
    match (url.scheme(), policy) {
        ("https", UrlPolicy::Local) => {}
        ("http", UrlPolicy::Local) if host.is_loopback() => {}
        ("http", UrlPolicy::Local) => {
            return bad("plain http is only for loopback (127.0.0.1, ::1, localhost); use https");
        }
        ("https", UrlPolicy::PublicHttps) if host.is_public() => {}
        ("https", UrlPolicy::PublicHttps) => {
            return bad("must point to a public host, not a loopback, private or link-local one");
        }
        _ => return bad("must use https"),
    }
    Ok(url.to_string())
}

enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    fn is_loopback(&self) -> bool {
        match self {
            Host::Name(n) => n == "localhost" || n.ends_with(".localhost"),
            Host::Ip(ip) => ip.is_loopback(),
        }
    }

    /// Names are resolved again at delivery, where a private answer is
    /// refused too ([`is_public_ip`]); here only names that are never public.
    fn is_public(&self) -> bool {
        match self {
            Host::Name(n) => {
                !self.is_loopback()
                    && n.contains('.')
                    && ![".internal", ".local", ".localdomain", ".home.arpa"]
                        .iter()
                        .any(|suffix| n.ends_with(suffix))
            }
            Host::Ip(ip) => is_public_ip(*ip),
        }
    }
}

/// True for a globally routable unicast address: not loopback, private,
/// shared (CGNAT), link-local, documentation, multicast or reserved.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

/// A subscription: where to send which events, and the secret that signs
/// them (shown to the business once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

/// Base62 characters of a webhook id after its `wh_` prefix.
const WEBHOOK_ID_LEN: usize = 16;

impl Webhook {
    /// Whether `id` has the shape of a webhook id (`wh_` and 16 base62
    /// characters): anything else names no webhook and must not reach a
    /// store key.
    pub fn is_id(id: &str) -> bool {
        id.strip_prefix("wh_").is_some_and(|rest| {
            rest.len() == WEBHOOK_ID_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    }

    pub fn generate(
        url: String,
        mut events: Vec<EventType>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, RandomError> {
        events.sort();
        events.dedup();
        Ok(Webhook {
            id: format!("wh_{}", random_base62(WEBHOOK_ID_LEN)?),
            url,
            events,
            secret: format!("whsec_{}", random_base62(40)?),
            created_at: now,
        })
    }

    pub fn wants(&self, kind: EventType) -> bool {
        self.events.contains(&kind)
    }
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not 't=<seconds>,v1=<hex>'")]
    Malformed,
    #[error("the signature is older than the replay window")]
    Stale,
    #[error("no signature matches the body")]
    Mismatch,
}

/// What a receiver does: checks `header` against `body` with `secret`, in
/// constant time, refusing timestamps more than `tolerance` seconds from
/// `now` (a replayed delivery). Several `v1=` entries are allowed.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(hex::decode(s).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > tolerance {
        return Err(SignatureError::Stale);
    }
    signatures
        .iter()
        .any(|s| mac(secret, timestamp, body).verify_slice(s).is_ok())
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}

/// A stored record's change, as the store's stream or outbox reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Response {
        before: Option<Box<Response>>,
        after: Box<Response>,
    },
    FollowUp {
        before: Option<Box<FollowUp>>,
        after: Box<FollowUp>,
    },
    /// An invitation whose message went or failed ([`Change::sending`]).
    Invitation {
        before: Option<Box<Invitation>>,
        after: Box<Invitation>,
    },
}

/// What a webhook receives (the POST body). Headers: Feedback-Event
/// (type), Feedback-Event-Id (stable across retries: dedupe on it),
/// Feedback-Delivery, Feedback-Signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// Stable across redeliveries: receivers dedupe on it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created_at: DateTime<Utc>,
    /// `{"response": Response}` for response.*; `{"follow_up": FollowUp}`
    /// for follow_up.updated; `{"invitation": Invitation}` for
    /// invitation.* (its `sending` says how far it got, never to whom).
    #[schema(value_type = Object)]
    pub data: Value,
}

impl Event {
    fn new(kind: EventType, subject: &str, revision: u32, at: DateTime<Utc>, data: Value) -> Self {
        Event {
            id: format!(
                "evt_{}",
                short_hash(&[kind.as_str(), subject, &revision.to_string()])
            ),
            kind,
            created_at: at,
            data,
        }
    }
}

fn short_hash(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\n").as_bytes());
    hex::encode(&digest[..12])
}

/// What an invitation event says of it: what the API shows, less its
/// link (the business has it) and its customer ref (the order and the
/// code identify it; without the ref, no stored delivery holds personal
/// data an erasure would have to reach).
#[derive(Serialize)]
struct InvitationData<'a> {
    code: &'a str,
    order_id: &'a str,
    #[serde(flatten)]
    attribution: &'a Attribution,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'a str>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    sending: SendingView<'a>,
}

/// The event an invitation's change means, if any: its message went
/// (`sent` or `reminded`) or failed, at a new sending revision.
fn sending_event(before: Option<&Invitation>, after: &Invitation) -> Option<Event> {
    let now = after.sending.as_ref()?;
    let was = before.and_then(|b| b.sending.as_ref());
    if was.is_some_and(|w| w.revision >= now.revision || w.status == now.status) {
        return None;
    }
    let (kind, at) = match now.status {
        Status::Sent => (EventType::InvitationSent, now.sent_at),
        Status::Reminded => (EventType::InvitationSent, now.reminded_at),
        Status::Failed => (EventType::InvitationFailed, now.failed_at),
        _ => return None,
    };
    let data = InvitationData {
        code: after.code.as_str(),
        order_id: after.order_id.as_str(),
        attribution: &after.attribution,
        locale: after.locale.as_ref().map(|l| l.as_str()),
        created_at: after.created_at,
        expires_at: after.expires_at,
        sending: now.view(),
    };
    Some(Event::new(
        kind,
        after.code.as_str(),
        now.revision,
        at.unwrap_or(after.created_at),
        json!({ "invitation": data }),
    ))
}

impl Change {
    /// An invitation's change when it means an event (its message went or
    /// failed), without the address or number: a change may be kept (the
    /// local outbox) until it is dispatched.
    pub fn sending(before: Option<Invitation>, after: Invitation) -> Option<Change> {
        sending_event(before.as_ref(), &after)?;
        let strip = |mut i: Invitation| {
            if let Some(s) = i.sending.as_mut() {
                s.recipient = None;
            }
            Box::new(i)
        };
        Some(Change::Invitation {
            before: before.map(strip),
            after: strip(after),
        })
    }

    /// The events this change means. `rules` say what is unhappy: a response
    /// is `response.unhappy` when it becomes so (first answer or edit down).
    /// A change that leaves the revision alone (an erasure) means nothing.
    pub fn events(&self, rules: &FollowUpRules) -> Vec<Event> {
        match self {
            Change::Response { before, after } => {
                // A held-back answer means nothing until it is released;
                // then it is news as if it had just arrived.
                if after.flagged.is_some()
                    || before
                        .as_ref()
                        .is_some_and(|b| b.revision >= after.revision)
                {
                    return Vec::new();
                }
                let before = before.as_ref().filter(|b| b.flagged.is_none());
                let at = after.edited_at.unwrap_or(after.submitted_at);
                let data = json!({ "response": after.view() });
                let unhappy = |r: &Response| rules.is_unhappy(r.attribution.survey, r.score);
                let kind = match before {
                    None => EventType::ResponseCreated,
                    Some(_) => EventType::ResponseUpdated,
                };
                let mut events = vec![Event::new(
                    kind,
                    &after.id,
                    after.revision,
                    at,
                    data.clone(),
                )];
                if unhappy(after) && !before.is_some_and(|b| unhappy(b)) {
                    events.push(Event::new(
                        EventType::ResponseUnhappy,
                        &after.id,
                        after.revision,
                        at,
                        data,
                    ));
                }
                events
            }
            // Opening is `response.unhappy`; what follows is an update.
            Change::FollowUp {
                before: Some(before),
                after,
            } if after.revision > before.revision => vec![Event::new(
                EventType::FollowUpUpdated,
                &after.id,
                after.revision,
                after.updated_at,
                json!({ "follow_up": after.view(after.updated_at) }),
            )],
            Change::FollowUp { .. } => Vec::new(),
            Change::Invitation { before, after } => sending_event(before.as_deref(), after)
                .into_iter()
                .collect(),
        }
    }
}

/// When a failed delivery is tried again: exponential, capped, with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub cap: Duration,
    /// Attempts in all, the first included; then the delivery has failed.
    pub max_attempts: u32,
}

impl Backoff {
    /// 1 min, 2, 4 … capped at 6 h: twelve attempts over about 20 hours,
    /// enough to ride out a receiver's night-long outage.
    pub const DEFAULT: Backoff = Backoff {
        first: Duration::minutes(1),
        cap: Duration::hours(6),
        max_attempts: 12,
    };

    /// The wait after the `failures`-th failed attempt; `jitter` in 0..1
    /// picks a point in the upper half of the window, so that receivers
    /// coming back from an outage are not hit by every retry at once.
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let exp = self.first * 2i32.saturating_pow(failures.saturating_sub(1).min(30));
        let window = if exp > self.cap || exp < self.first {
            self.cap
        } else {
            exp
        };
        let ms = window.num_milliseconds() as f64 * (0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        Duration::milliseconds(ms as i64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no answer (timeout, refused connection…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// How long a sender owns a delivery it is attempting: past this, another
/// worker may take it over (the first one died or hung).
pub const LEASE: Duration = Duration::minutes(2);

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// A hash of the event and webhook ids: the same event to the same
    /// webhook is always the same delivery.
    pub id: String,
    pub webhook_id: String,
    pub event: Event,
    pub state: DeliveryState,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// While pending: when it may next be attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// +1 per change; stores use it so two workers never both own it.
    pub revision: u32,
}

impl Delivery {
    /// A new delivery, owned by its creator for [`LEASE`] so that a retry
    /// sweep leaves it alone while the first attempt is under way.
    pub fn new(webhook: &Webhook, event: Event, now: DateTime<Utc>) -> Delivery {
        Delivery {
            id: format!("dlv_{}", short_hash(&[&event.id, &webhook.id])),
            webhook_id: webhook.id.clone(),
            event,
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            next_attempt_at: Some(now + LEASE),
            revision: 1,
        }
    }

    /// Whether its event carries a customer's comment.
    pub fn has_comment(&self) -> bool {
        !self.event.data["response"]["comment"].is_null()
    }

    /// This delivery with the customer's comment taken out of its event
    /// (erasure): a new revision, so a sender holding the old one fails its
    /// guarded update.
    pub fn without_comment(&self) -> Delivery {
        let mut next = self.clone();
        next.event.data["response"]["comment"] = serde_json::Value::Null;
        next.revision += 1;
        next
    }

    /// This delivery taken over by a retry sweep at `now`.
    pub fn leased(&self, now: DateTime<Utc>) -> Delivery {
        Delivery {
            next_attempt_at: Some(now + LEASE),
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// This delivery after `attempt`: delivered, pending a retry, or failed
    /// for good once `backoff` allows no more attempts.
    pub fn after(&self, attempt: Attempt, backoff: &Backoff, jitter: f64) -> Delivery {
        let mut next = self.clone();
        next.revision += 1;
        let at = attempt.at;
        let ok = attempt.succeeded();
        next.attempts.push(attempt);
        let failures = next.attempts.len() as u32;
        (next.state, next.next_attempt_at) = if ok {
            (DeliveryState::Delivered, None)
        } else if failures >= backoff.max_attempts {
            (DeliveryState::Failed, None)
        } else {
            (
                DeliveryState::Pending,
                Some(at + backoff.delay(failures, jitter)),
            )
        };
        next
    }

    /// Given up without an attempt (its webhook was deleted).
    pub fn abandoned(&self) -> Delivery {
        Delivery {
            state: DeliveryState::Failed,
            next_attempt_at: None,
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// The body sent: the event as JSON.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&self.event).expect("an event serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_is_news_when_its_message_went_or_failed_for_good() {
        use crate::sending::{Phone, Recipient, Sending};
        let t0 = Utc::now();
        let with = |sending: &Sending| Invitation {
            sending: Some(sending.clone()),
            ..crate::model::test_invitation(t0)
        };
        let phone = Recipient::Phone(Phone::parse("p", "+923001234567").unwrap());
        let scheduled = Sending::scheduled(phone, "hash".into(), t0);
        let taken = scheduled.taken(t0);
        let sent = taken.sent(t0, Some(t0 + Duration::days(2)));
        let kinds = |before: &Sending, after: &Sending| {
            let change = Change::sending(Some(with(before)), with(after));
            let events = change.map(|c| c.events(&FollowUpRules::default()));
            events.map(|e| e.iter().map(|e| e.kind).collect::<Vec<_>>())
        };
        // Taking it, a retry and a deferral are nothing to announce.
        assert_eq!(kinds(&scheduled, &taken), None);
        let retried = taken.not_sent(t0, "the gateway answered 503", true);
        assert_eq!(kinds(&taken, &retried), None);
        assert_eq!(kinds(&sent, &sent.deferred(t0 + Duration::days(3))), None);
        assert_eq!(Change::sending(None, with(&scheduled)), None);

        assert_eq!(kinds(&taken, &sent), Some(vec![EventType::InvitationSent]));
        let again = sent.taken(t0 + Duration::days(2));
        let reminded = again.sent(t0 + Duration::days(2), None);
        assert_eq!(
            kinds(&again, &reminded),
            Some(vec![EventType::InvitationSent]),
            "the reminder"
        );
        let failed = taken.not_sent(t0, "the gateway answered 400", false);
        assert_eq!(
            kinds(&taken, &failed),
            Some(vec![EventType::InvitationFailed])
        );
        let bounced = sent.bounced(t0 + Duration::minutes(2), "the address bounced");
        assert_eq!(
            kinds(&sent, &bounced),
            Some(vec![EventType::InvitationFailed]),
            "a bounce reported after the message went"
        );
        // A replay of the same change is the same event; the number is in
        // neither the change nor the event.
        let change = Change::sending(Some(with(&taken)), with(&sent)).unwrap();
        let (a, b) = (
            change.events(&FollowUpRules::default()),
            change.events(&FollowUpRules::default()),
        );
        assert_eq!(a[0].id, b[0].id);
        let text = serde_json::to_string(&(change, &a)).unwrap();
        assert!(!text.contains("923001234567"), "{text}");
        assert_eq!(a[0].data["invitation"]["sending"]["status"], "sent");
    }

    #[test]
    fn urls_in_aws_are_public_https_only() {
        let ok = |u: &str| check_url("url", u, UrlPolicy::PublicHttps);
        assert!(ok("https://hooks.example.com/feedback?x=1").is_ok());
        assert!(ok("https://93.184.216.34/h").is_ok());
        for bad in [
            "http://hooks.example.com/",
            "https://localhost/",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://172.16.0.1/",
            "https://192.168.1.10/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://ip-10-0-0-1.ec2.internal/",
            "https://printer/",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            assert!(ok(bad).is_err(), "{bad} was accepted");
        }
        // International hosts in their xn-- form; a path may hold any text.
        let unicode = ok("https://bücher.example/hook").unwrap_err();
        assert!(unicode.message.contains("xn--"), "{}", unicode.message);
        assert!(ok("https://xn--bcher-kva.example/hook").is_ok());
        assert_eq!(
            ok("https://hooks.example.com/ürün").unwrap(),
            "https://hooks.example.com/%C3%BCr%C3%BCn"
        );
    }

    #[test]
    fn the_local_server_allows_http_to_loopback_only() {
        let ok = |u: &str| check_url("url", u, UrlPolicy::Local);
        assert!(ok("http://127.0.0.1:9000/hook").is_ok());
        assert!(ok("http://localhost:9000/hook").is_ok());
        assert!(ok("http://[::1]:9000/hook").is_ok());
        assert!(ok("https://192.168.1.10/hook").is_ok());
        assert_eq!(ok("http://192.168.1.10/hook").unwrap_err().field, "url");
    }

    #[test]
    fn signatures_verify_and_refuse_tampering_and_replays() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_k", 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(verify("whsec_k", &header, body, 1_700_000_100, 300), Ok(()));
        assert_eq!(
            verify("whsec_k", &header, b"{}", 1_700_000_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", &header, body, 1_700_000_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_k", &header, body, 1_700_000_301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("whsec_k", "v1=00", body, 1_700_000_000, 300),
            Err(SignatureError::Malformed)
        );
        // A rotated secret: either of two signatures may match.
        let both = format!("{header},v1={}", "ab".repeat(32));
        assert_eq!(verify("whsec_k", &both, body, 1_700_000_000, 300), Ok(()));
    }

    #[test]
    fn known_hmac_vector() {
        // RFC 4231, test case 2: the primitive the signature is built on.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter_in_the_upper_half() {
        let b = Backoff::DEFAULT;
        assert_eq!(b.delay(1, 1.0), Duration::minutes(1));
        assert_eq!(b.delay(1, 0.0), Duration::seconds(30));
        assert_eq!(b.delay(3, 1.0), Duration::minutes(4));
        assert_eq!(b.delay(10, 1.0), Duration::hours(6));
        assert_eq!(b.delay(40, 1.0), Duration::hours(6));
        let total: i64 = (1..b.max_attempts)
            .map(|f| b.delay(f, 1.0).num_minutes())
            .sum();
        assert!((18 * 60..24 * 60).contains(&total), "{total} minutes");
    }

    fn webhook() -> Webhook {
        Webhook::generate(
            "https://hooks.example.com/".into(),
            vec![EventType::ResponseCreated],
            Utc::now(),
        )
        .unwrap()
    }

    #[test]
    fn ids_are_recognised_by_shape() {
        assert!(Webhook::is_id(&webhook().id));
        for bad in [
            "",
            "wh_",
            "wh_short",
            "xx_0123456789abcdef",
            &"wh_A".repeat(2000),
        ] {
            assert!(!Webhook::is_id(bad), "{bad}");
        }
    }

    fn event() -> Event {
        Event::new(EventType::ResponseCreated, "r1", 1, Utc::now(), json!({}))
    }

    #[test]
    fn a_delivery_is_retried_until_it_succeeds_or_runs_out() {
        let now = Utc::now();
        let d = Delivery::new(&webhook(), event(), now);
        assert_eq!(d.next_attempt_at, Some(now + LEASE));
        let failed = |at| Attempt {
            at,
            status: Some(500),
            error: None,
            duration_ms: 3,
        };
        let d1 = d.after(failed(now), &Backoff::DEFAULT, 1.0);
        assert_eq!(
            (d1.state, d1.next_attempt_at, d1.revision),
            (DeliveryState::Pending, Some(now + Duration::minutes(1)), 2)
        );
        let ok = Attempt {
            status: Some(204),
            ..failed(now)
        };
        let d2 = d1.after(ok, &Backoff::DEFAULT, 1.0);
        assert_eq!(
            (d2.state, d2.next_attempt_at),
            (DeliveryState::Delivered, None)
        );
        let mut d = d;
        for _ in 0..Backoff::DEFAULT.max_attempts {
            d = d.after(failed(now), &Backoff::DEFAULT, 0.5);
        }
        assert_eq!((d.state, d.attempts.len()), (DeliveryState::Failed, 12));
    }

    #[test]
    fn the_same_event_to_the_same_webhook_is_the_same_delivery() {
        let (w, now) = (webhook(), Utc::now());
        assert_eq!(
            Delivery::new(&w, event(), now).id,
            Delivery::new(&w, event(), now + Duration::hours(1)).id
        );
        assert_ne!(
            Delivery::new(&w, event(), now).id,
            Delivery::new(&webhook(), event(), now).id
        );
    }

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "10.0.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "::1",
            "fc00::1",
            "0.0.0.0",
        ] {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    fn response(score: u8) -> Response {
        use crate::model::{Answer, Answers};
        let zone = crate::time::TenantZone::parse("tz", "UTC").unwrap();
        let t0: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        let inv = crate::model::test_invitation(t0);
        let answer = Answer {
            score,
            answers: Answers::default(),
            comment: Some("cold tea".into()),
        };
        Response::first(&inv, answer, t0, &zone)
    }

    fn kinds(change: &Change) -> Vec<EventType> {
        change
            .events(&FollowUpRules::default())
            .iter()
            .map(|e| e.kind)
            .collect()
    }

    #[test]
    fn changes_become_events_once_per_revision() {
        let first = response(2);
        let created = Change::Response {
            before: None,
            after: Box::new(first.clone()),
        };
        assert_eq!(
            kinds(&created),
            [EventType::ResponseCreated, EventType::ResponseUnhappy]
        );
        let events = created.events(&FollowUpRules::default());
        assert_eq!(
            events,
            created.events(&FollowUpRules::default()),
            "stable ids"
        );
        assert_ne!(events[0].id, events[1].id);
        assert_eq!(events[0].data["response"]["comment"], "cold tea");

        let mut up = first.clone();
        (up.score, up.revision) = (5, 2);
        let edited_up = Change::Response {
            before: Some(Box::new(first.clone())),
            after: Box::new(up.clone()),
        };
        assert_eq!(kinds(&edited_up), [EventType::ResponseUpdated]);
        let down = Change::Response {
            before: Some(Box::new(up.clone())),
            after: Box::new(Response {
                score: 1,
                revision: 3,
                ..up.clone()
            }),
        };
        assert_eq!(
            kinds(&down),
            [EventType::ResponseUpdated, EventType::ResponseUnhappy]
        );
        // An erasure rewrites the record without a new revision: no event.
        let erased = Change::Response {
            before: Some(Box::new(up.clone())),
            after: Box::new(Response {
                comment: None,
                ..up
            }),
        };
        assert!(kinds(&erased).is_empty());
    }

    #[test]
    fn follow_ups_report_changes_after_opening() {
        let opened =
            FollowUp::opened_by(&response(1), &FollowUpRules::default()).expect("unhappy opens");
        let open = Change::FollowUp {
            before: None,
            after: Box::new(opened.clone()),
        };
        assert!(kinds(&open).is_empty(), "opening is response.unhappy");
        let mut next = opened.clone();
        next.revision += 1;
        next.assignee = Some("Ayesha".into());
        let update = Change::FollowUp {
            before: Some(Box::new(opened)),
            after: Box::new(next),
        };
        let events = update.events(&FollowUpRules::default());
        assert_eq!(events[0].kind, EventType::FollowUpUpdated);
        assert_eq!(events[0].data["follow_up"]["assignee"], "Ayesha");
    }
}
