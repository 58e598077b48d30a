//! Sending an invitation for the business: to whom, when (after a delay,
//! never inside the tenant's quiet hours, at most one reminder), and what a
//! sender does with a message that has come due.
//!
//! Every rule takes the clock as an argument, so the schedule is tested
//! with explicit instants, across DST changes, without waiting.

use crate::error::{FieldError, Rule};
use crate::time::TenantZone;
use chrono::{DateTime, Days, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest e-mail address (RFC 5321's path limit less its brackets).
const MAX_EMAIL: usize = 254;

/// The conversions serde stores a checked text type through: from a
/// `String` by `$read`, back to the `String`.
macro_rules! text_conversions {
    ($name:ident, $read:expr) => {
        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(value: String) -> Result<Self, FieldError> {
                $read(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// An e-mail address: one `@`, a local part and a dotted domain, in ASCII,
/// no white space or control characters. Deliverability is the provider's
/// to judge; this refuses what is plainly not an address, and what SES
/// cannot send to: it takes 7-bit ASCII addresses only (no SMTPUTF8), an
/// international domain in its `xn--` form, as do most SMTP relays. The
/// domain is kept in lower case, so one address has one suppression hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Email::checked(field, value, true)
    }

    /// An address read back from the store. Those stored before the ASCII
    /// rule are read as they were; sending one fails with its reason.
    fn stored(value: &str) -> Result<Self, FieldError> {
        Email::checked("email", value, false)
    }

    fn checked(field: &str, value: &str, ascii: bool) -> Result<Self, FieldError> {
        let bad = |message: &str| FieldError::new(field, Rule::BadFormat, message);
        if value.len() > MAX_EMAIL {
            return Err(FieldError::new(
                field,
                Rule::TooLong,
                format!("must be at most {MAX_EMAIL} bytes"),
            ));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("must not contain spaces or control characters"));
        }
        if ascii && !value.is_ascii() {
            return Err(bad(
                "must be in ASCII: write an international domain in its xn-- form (Punycode)",
            ));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(bad("must be an e-mail address such as name@example.com"));
        };
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if local.is_empty() || local.contains('@') || !domain.contains('.') || !labels_ok {
            return Err(bad("must be an e-mail address such as name@example.com"));
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_conversions!(Email, Email::stored);

/// A phone number in E.164: `+`, a country code and the number, 8 to 15
/// digits in all, the first not 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let digits = value.strip_prefix('+').unwrap_or("");
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Phone(value.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                Rule::BadFormat,
                "must be an E.164 number: + then 8 to 15 digits, such as +923001234567",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_conversions!(Phone, |value| Phone::parse("phone", value));

/// Where an invitation is sent: personal data, kept only until the last
/// message is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Email(Email),
    Phone(Phone),
}

/// How a message goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Email,
    Sms,
}

/// The media a deployment has a sender for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Media {
    pub email: bool,
    pub sms: bool,
}

impl Media {
    /// What a stack sends by, from the variables its template gives every
    /// function (`var` reads one; empty counts as unset): e-mail when
    /// `MAIL_FROM` names who it comes from, SMS when `SMS_ENABLED` is
    /// `true`. The HTTP functions (which refuse any other recipient) and
    /// the `send` function read them through this one place.
    pub fn deployed(var: impl Fn(&str) -> Option<String>) -> Media {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        Media {
            email: set("MAIL_FROM").is_some(),
            sms: set("SMS_ENABLED").as_deref() == Some("true"),
        }
    }

    pub fn sends(&self, medium: Medium) -> bool {
        match medium {
            Medium::Email => self.email,
            Medium::Sms => self.sms,
        }
    }
}

impl Medium {
    pub fn name(self) -> &'static str {
        match self {
            Medium::Email => "e-mail",
            Medium::Sms => "SMS",
        }
    }
}

impl Recipient {
    pub fn medium(&self) -> Medium {
        match self {
            Recipient::Email(_) => Medium::Email,
            Recipient::Phone(_) => Medium::Sms,
        }
    }

    /// The address or number as the provider is given it.
    pub fn as_str(&self) -> &str {
        match self {
            Recipient::Email(e) => e.as_str(),
            Recipient::Phone(p) => p.as_str(),
        }
    }

    /// Who it reaches, for the suppression list and the contact throttle:
    /// an address whatever its letters' case (mailbox providers ignore it,
    /// and an opt-out must hold however the shop typed the address).
    pub fn contact(&self) -> String {
        match self {
            Recipient::Email(e) => e.as_str().to_lowercase(),
            Recipient::Phone(p) => p.as_str().to_owned(),
        }
    }
}

/// The words that, texted back alone, ask for no more messages: the
/// carriers' usual opt-out keywords, whatever their case.
const STOP_WORDS: [&str; 7] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
];

/// Whether an SMS reply asks for no more messages: one opt-out keyword,
/// alone (trailing punctuation allowed), so "don't stop the offers" is not
/// one.
pub fn is_stop_reply(text: &str) -> bool {
    let word = text.trim().trim_end_matches(['.', '!']).trim();
    STOP_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// The hours of the tenant's local day when no message goes out, from
/// `start` up to `end`; past midnight when `end` is earlier than `start`
/// (21:00 to 09:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuietHours {
    #[serde(with = "hh_mm")]
    #[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "21:00")]
    pub start: NaiveTime,
    #[serde(with = "hh_mm")]
    #[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    pub end: NaiveTime,
}

/// A local clock time as `HH:MM`.
pub mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn parse(field: &str, value: &str) -> Result<NaiveTime, crate::error::FieldError> {
        let ok = value.len() == 5 && value.as_bytes()[2] == b':';
        ok.then(|| NaiveTime::parse_from_str(value, "%H:%M").ok())
            .flatten()
            .ok_or_else(|| {
                crate::error::FieldError::new(
                    field,
                    crate::error::Rule::BadFormat,
                    "must be a local time as HH:MM, such as 21:00",
                )
            })
    }

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format("%H:%M"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        parse("time", &text).map_err(serde::de::Error::custom)
    }
}

impl QuietHours {
    /// Whether the local clock time `t` is inside the quiet hours.
    fn holds(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// `at`, or the end of the quiet hours it falls in: the first instant
    /// the local clocks read `end` (or later, where DST skips it).
    pub fn next_allowed(&self, at: DateTime<Utc>, zone: &TenantZone) -> DateTime<Utc> {
        let local = zone.local(at);
        if !self.holds(local.time()) {
            return at;
        }
        // Past midnight the window ends tomorrow, unless we are already
        // in its morning part.
        let day = if self.start > self.end && local.time() >= self.start {
            local.date() + Days::new(1)
        } else {
            local.date()
        };
        zone.first_instant_at(day.and_time(self.end))
    }
}

/// Longest delay a tenant may set before sending: a week after delivery
/// is the latest peers recommend; a month leaves room.
pub const MAX_DELAY_MINUTES: u32 = 30 * 24 * 60;
/// Latest reminder, in days after the first message.
pub const MAX_REMINDER_DAYS: u32 = 30;

/// The tenant's rules for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SendRules {
    /// Minutes after an invitation is made that it is sent, when the
    /// request names no time.
    #[schema(maximum = 43200)]
    pub delay_minutes: u32,
    /// In the tenant's time zone; null: messages go out at any hour.
    pub quiet_hours: Option<QuietHours>,
    /// Days after the first message that one reminder goes to a customer
    /// who has not answered; null: no reminder.
    #[schema(minimum = 1, maximum = 30)]
    pub reminder_days: Option<u32>,
}

/// A change to the sending rules: each field given replaces its value;
/// null turns quiet hours or the reminder off.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = SendRulesInput)]
#[serde(deny_unknown_fields)]
pub struct SendRulesPatch {
    #[schema(minimum = 0, maximum = 43200, default = 60)]
    pub delay_minutes: Option<i64>,
    /// `{"start": "21:00", "end": "09:00"}`, or null for none.
    #[schema(value_type = Option<QuietHours>)]
    pub quiet_hours: Option<Option<(String, String)>>,
    #[schema(minimum = 1, maximum = 30)]
    pub reminder_days: Option<Option<i64>>,
}

impl SendRules {
    /// These rules with `patch` applied; every bad field is reported.
    pub fn apply(&self, patch: &SendRulesPatch) -> Result<SendRules, Vec<FieldError>> {
        let mut errors = crate::error::Errors::default();
        let mut next = *self;
        if let Some(minutes) = patch.delay_minutes
            && let Some(v) = errors.check(crate::error::in_range(
                "sending.delay_minutes",
                minutes,
                0,
                MAX_DELAY_MINUTES,
            ))
        {
            next.delay_minutes = v;
        }
        if let Some(hours) = &patch.quiet_hours {
            next.quiet_hours = match hours {
                None => None,
                Some((start, end)) => {
                    let start = errors.check(hh_mm::parse("sending.quiet_hours.start", start));
                    let end = errors.check(hh_mm::parse("sending.quiet_hours.end", end));
                    match (start, end) {
                        (Some(start), Some(end)) if start == end => {
                            errors.push(FieldError::new(
                                "sending.quiet_hours.end",
                                Rule::OutOfRange,
                                "must differ from start; null turns quiet hours off",
                            ));
                            next.quiet_hours
                        }
                        (Some(start), Some(end)) => Some(QuietHours { start, end }),
                        _ => next.quiet_hours,
                    }
                }
            };
        }
        if let Some(days) = patch.reminder_days {
            next.reminder_days = match days {
                None => None,
                Some(d) => errors.check(crate::error::in_range(
                    "sending.reminder_days",
                    d,
                    1,
                    MAX_REMINDER_DAYS,
                )),
            };
        }
        errors.finish(|| next)
    }
}

impl Default for SendRules {
    fn default() -> Self {
        SendRules {
            delay_minutes: 60,
            quiet_hours: Some(QuietHours {
                start: NaiveTime::from_hms_opt(21, 0, 0).expect("valid"),
                end: NaiveTime::from_hms_opt(9, 0, 0).expect("valid"),
            }),
            reminder_days: None,
        }
    }
}

/// When a request asks for its invitation to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// The tenant's delay.
    Default,
    After(Duration),
    At(DateTime<Utc>),
}

impl SendRules {
    /// `at`, moved past the quiet hours if it falls in them.
    pub fn allowed(&self, at: DateTime<Utc>, zone: &TenantZone) -> DateTime<Utc> {
        self.quiet_hours.map_or(at, |q| q.next_allowed(at, zone))
    }

    /// When the first message of an invitation made at `created` is due.
    pub fn first_due(
        &self,
        created: DateTime<Utc>,
        when: When,
        zone: &TenantZone,
    ) -> DateTime<Utc> {
        let asked = match when {
            When::Default => created + Duration::minutes(i64::from(self.delay_minutes)),
            When::After(delay) => created + delay,
            When::At(at) => at.max(created),
        };
        self.allowed(asked, zone)
    }

    /// When the reminder of a message sent at `sent` is due: the same local
    /// time `reminder_days` later, past the quiet hours. `None` without a
    /// reminder, or when it would come at or after `expires_at`.
    pub fn reminder_due(
        &self,
        sent: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        zone: &TenantZone,
    ) -> Option<DateTime<Utc>> {
        let days = self.reminder_days?;
        let local = zone
            .local(sent)
            .checked_add_days(Days::new(u64::from(days)))?;
        let due = self.allowed(zone.first_instant_at(local), zone);
        (due < expires_at).then_some(due)
    }
}

/// Where an invitation's sending stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Its first message is due at `due_at`.
    Scheduled,
    /// The first message went; a reminder may be due.
    Sent,
    /// The reminder went too.
    Reminded,
    /// The provider refused a message, it could not be sent, or it came
    /// back (a permanent bounce).
    Failed,
    /// The contact was on the suppression list before the first message
    /// (`cancelled` says why: it opted out, or its address bounced).
    Suppressed,
    /// Answered, expired or erased before the first message.
    Cancelled,
}

/// Why a pending message was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cancel {
    Answered,
    Expired,
    /// The contact opted out: the unsubscribe link, a STOP reply, a spam
    /// report.
    OptedOut,
    /// An earlier message to the address bounced for good.
    Bounced,
    Erased,
}

/// Why a contact is on the tenant's suppression list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The unsubscribe link, a STOP reply, a spam report.
    OptedOut,
    /// A message to the address bounced for good.
    Bounced,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::OptedOut => "opted_out",
            Suppression::Bounced => "bounced",
        }
    }

    /// As stored; an entry from before reasons were kept is an opt-out.
    pub fn stored(value: Option<&str>) -> Suppression {
        match value {
            Some("bounced") => Suppression::Bounced,
            _ => Suppression::OptedOut,
        }
    }
}

impl From<Suppression> for Cancel {
    fn from(why: Suppression) -> Cancel {
        match why {
            Suppression::OptedOut => Cancel::OptedOut,
            Suppression::Bounced => Cancel::Bounced,
        }
    }
}

/// What is true of an invitation when one of its messages comes due.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub answered: bool,
    pub expired: bool,
    /// The contact is on the tenant's suppression list, for this reason.
    pub suppressed: Option<Suppression>,
}

/// What a sender does with a delivery when it looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing is due yet (or ever again).
    Wait,
    SendFirst,
    SendReminder,
    /// Drop what is pending, for this reason.
    Cancel(Cancel),
    /// A sender took the message and stopped before recording what came
    /// of it: it may have gone. Recorded as failed rather than sent again,
    /// so a customer never gets a message twice.
    GiveUp,
}

/// How many times a message is tried before it is recorded as failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// The sending state an invitation carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sending {
    /// Removed once no message is due any more; `medium` stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Recipient>,
    pub medium: Medium,
    /// The contact's suppression key (a keyed hash, no personal data):
    /// kept, so an unsubscribe link works after the contact is removed.
    pub contact_hash: String,
    pub status: Status,
    /// When the next message is due; `None`: nothing is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// A sender took the due message at this instant and has not recorded
    /// the outcome yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<DateTime<Utc>>,
    /// Tries of the message now due that failed for a reason worth retrying.
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The provider reported, after taking it, that the last message sent
    /// did not arrive (a permanent bounce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounced_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Cancel>,
    /// One more at every change: a store replaces a state only if its
    /// revision is still the one read, so two senders never both act.
    pub revision: u32,
}

/// What the API shows of an invitation's sending: never the address or
/// number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Sending)]
pub struct SendingView<'a> {
    pub medium: Medium,
    pub status: Status,
    /// When the next message (the first, or the reminder) is due.
    pub due_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// Why the provider refused it, or why it could not be sent.
    pub failure: Option<&'a str>,
    /// When the provider reported that the last message sent did not
    /// arrive: the first, or the reminder once `reminded_at` is set.
    pub bounced_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why what was pending was dropped.
    pub cancelled: Option<Cancel>,
}

/// How long a sender may hold a message before another takes it as given
/// up (`Next::GiveUp`); far longer than any provider call's timeout.
pub const TAKE_TIMEOUT: Duration = Duration::minutes(5);

impl Sending {
    /// A first message to `recipient` (suppression key `contact_hash`),
    /// due at `due_at`.
    pub fn scheduled(recipient: Recipient, contact_hash: String, due_at: DateTime<Utc>) -> Self {
        Sending {
            medium: recipient.medium(),
            contact_hash,
            recipient: Some(recipient),
            status: Status::Scheduled,
            due_at: Some(due_at),
            taken_at: None,
            attempts: 0,
            sent_at: None,
            reminded_at: None,
            failed_at: None,
            failure: None,
            bounced_at: None,
            cancelled_at: None,
            cancelled: None,
            revision: 1,
        }
    }

    /// Whether its first message went and did not come back.
    pub fn reached(&self) -> bool {
        let first_bounced = self.bounced_at.is_some() && self.reminded_at.is_none();
        self.sent_at.is_some() && !first_bounced
    }

    /// Whether no message went and none ever will: refused, opted out, or
    /// dropped for a reason other than an answer (a customer who answered
    /// had the link from elsewhere). Such an invitation reached no one, so
    /// the response rate leaves it out.
    pub fn never_sent(&self) -> bool {
        !self.reached()
            && match self.status {
                Status::Failed | Status::Suppressed => true,
                Status::Cancelled => self.cancelled != Some(Cancel::Answered),
                Status::Scheduled | Status::Sent | Status::Reminded => false,
            }
    }

    pub fn view(&self) -> SendingView<'_> {
        SendingView {
            medium: self.medium,
            status: self.status,
            due_at: self.due_at,
            sent_at: self.sent_at,
            reminded_at: self.reminded_at,
            failed_at: self.failed_at,
            failure: self.failure.as_deref(),
            bounced_at: self.bounced_at,
            cancelled_at: self.cancelled_at,
            cancelled: self.cancelled,
        }
    }

    /// When a sender next needs to look at it: when its message is due,
    /// or, while a sender holds it, when that sender counts as gone.
    /// `None`: never again. Stores queue invitations by it.
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        let due = self.due_at?;
        Some(self.taken_at.map_or(due, |taken| taken + TAKE_TIMEOUT))
    }

    /// What a sender looking at this delivery at `now` does.
    pub fn next(&self, now: DateTime<Utc>, facts: Facts) -> Next {
        let Some(due) = self.due_at else {
            return Next::Wait;
        };
        if let Some(taken) = self.taken_at {
            return if now >= taken + TAKE_TIMEOUT {
                Next::GiveUp
            } else {
                Next::Wait
            };
        }
        if now < due {
            Next::Wait
        } else if let Some(why) = facts.suppressed {
            Next::Cancel(why.into())
        } else if facts.answered {
            Next::Cancel(Cancel::Answered)
        } else if facts.expired {
            Next::Cancel(Cancel::Expired)
        } else if self.status == Status::Scheduled {
            Next::SendFirst
        } else {
            Next::SendReminder
        }
    }

    /// Due now but inside the quiet hours (a sender ran late, a retry fell
    /// in them): due again at `until`, their end.
    pub fn deferred(&self, until: DateTime<Utc>) -> Self {
        Sending {
            due_at: Some(until),
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// Taken by a sender at `now`: no other sends it meanwhile.
    pub fn taken(&self, now: DateTime<Utc>) -> Self {
        Sending {
            taken_at: Some(now),
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// The message due went at `at`; `reminder_due` is when the reminder
    /// is (after a first message). The contact is kept only while a
    /// message is still due.
    pub fn sent(&self, at: DateTime<Utc>, reminder_due: Option<DateTime<Utc>>) -> Self {
        let first = self.status == Status::Scheduled;
        let due_at = if first { reminder_due } else { None };
        Sending {
            recipient: self.recipient.clone().filter(|_| due_at.is_some()),
            status: if first {
                Status::Sent
            } else {
                Status::Reminded
            },
            due_at,
            taken_at: None,
            attempts: 0,
            sent_at: if first { Some(at) } else { self.sent_at },
            reminded_at: if first { None } else { Some(at) },
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// The message due could not be sent at `at` for `reason`. Retried
    /// with a growing wait (`retry`) while attempts remain; then failed,
    /// and nothing more is sent.
    pub fn not_sent(&self, at: DateTime<Utc>, reason: &str, retry: bool) -> Self {
        let attempts = self.attempts + 1;
        if retry && attempts < MAX_ATTEMPTS {
            // 1, 4, 9, 16 minutes.
            let wait = Duration::minutes(i64::from(attempts * attempts));
            return Sending {
                due_at: Some(at + wait),
                taken_at: None,
                attempts,
                revision: self.revision + 1,
                ..self.clone()
            };
        }
        Sending {
            recipient: None,
            status: Status::Failed,
            due_at: None,
            taken_at: None,
            attempts,
            failed_at: Some(at),
            failure: Some(reason.to_owned()),
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// The provider reported at `at` that the last message sent did not
    /// arrive, for `reason` (a permanent bounce): failed, and nothing more
    /// is sent. After the first message that invitation reached no one;
    /// after the reminder the first still did. A report of a message not
    /// sent, or one already recorded (reports may come twice), changes
    /// nothing.
    pub fn bounced(&self, at: DateTime<Utc>, reason: &str) -> Self {
        if self.sent_at.is_none() || self.bounced_at.is_some() {
            return self.clone();
        }
        Sending {
            recipient: None,
            status: Status::Failed,
            due_at: None,
            taken_at: None,
            failed_at: Some(at),
            failure: Some(reason.to_owned()),
            bounced_at: Some(at),
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// What is pending is dropped at `at` for `why`. Before the first
    /// message that is the delivery's status (`suppressed` for a contact
    /// on the suppression list, `cancelled` otherwise); after it, the
    /// status stays `sent` and the reminder is dropped.
    pub fn cancelled(&self, at: DateTime<Utc>, why: Cancel) -> Self {
        if self.due_at.is_none() {
            return self.clone();
        }
        let status = match (self.status, why) {
            (Status::Scheduled, Cancel::OptedOut | Cancel::Bounced) => Status::Suppressed,
            (Status::Scheduled, _) => Status::Cancelled,
            (other, _) => other,
        };
        Sending {
            recipient: None,
            status,
            due_at: None,
            taken_at: None,
            cancelled_at: Some(at),
            cancelled: Some(why),
            revision: self.revision + 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_sends_by_what_its_variables_name() {
        let with = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Media::deployed(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        };
        assert_eq!(with(&[]), Media::default());
        assert_eq!(
            with(&[("MAIL_FROM", ""), ("SMS_ENABLED", "")]),
            Media::default()
        );
        assert_eq!(
            with(&[
                ("MAIL_FROM", "Chai <f@chai.example>"),
                ("SMS_ENABLED", "true")
            ]),
            Media {
                email: true,
                sms: true
            }
        );
        assert_eq!(with(&[("SMS_ENABLED", "yes")]), Media::default());
    }

    #[test]
    fn a_stop_reply_is_one_opt_out_word_alone() {
        for stop in [
            "STOP",
            "stop",
            " Stop. ",
            "unsubscribe!",
            "StopAll",
            "QUIT",
            "optout",
        ] {
            assert!(is_stop_reply(stop), "{stop:?}");
        }
        for not in [
            "",
            "thanks",
            "stop the offers",
            "don't stop",
            "STOPPED",
            "S T O P",
        ] {
            assert!(!is_stop_reply(not), "{not:?}");
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn zone(name: &str) -> TenantZone {
        TenantZone::parse("zone", name).unwrap()
    }

    fn rules() -> SendRules {
        SendRules::default()
    }

    #[test]
    fn addresses_and_numbers_are_checked_and_kept_as_given() {
        let email = Email::parse("e", "Ayesha.K+shop@Example.PK").unwrap();
        assert_eq!(email.as_str(), "Ayesha.K+shop@example.pk");
        for bad in [
            "",
            "ayesha",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@-x.com",
            "a@x..com",
        ] {
            assert_eq!(
                Email::parse("e", bad).unwrap_err().rule,
                Rule::BadFormat,
                "{bad}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse("e", &long).unwrap_err().rule, Rule::TooLong);
        // SES sends to ASCII addresses only: the domain in its xn-- form.
        let unicode = Email::parse("e", "ali@bücher.pk").unwrap_err();
        assert_eq!(unicode.rule, Rule::BadFormat);
        assert!(unicode.message.contains("xn--"), "{}", unicode.message);
        assert_eq!(
            Email::parse("e", "ålice@example.com").unwrap_err().rule,
            Rule::BadFormat
        );
        assert_eq!(
            Email::parse("e", "ali@xn--bcher-kva.pk").unwrap().as_str(),
            "ali@xn--bcher-kva.pk"
        );
        // One stored before that rule is still read (its send then fails
        // with a reason); what is plainly not an address is not.
        let stored: Email = serde_json::from_str("\"ali@Bücher.pk\"").unwrap();
        assert_eq!(stored.as_str(), "ali@bücher.pk");
        assert!(serde_json::from_str::<Email>("\"ali\"").is_err());
        assert_eq!(
            Phone::parse("p", "+923001234567").unwrap().as_str(),
            "+923001234567"
        );
        for bad in [
            "923001234567",
            "+0300123456",
            "+92 300 1234567",
            "+1234567",
            "+1234567890123456",
            "+92abc1234567",
        ] {
            assert_eq!(Phone::parse("p", bad).unwrap_err().field, "p", "{bad}");
        }
        let r = Recipient::Phone(Phone::parse("p", "+923001234567").unwrap());
        assert_eq!(
            (r.medium(), r.contact()),
            (Medium::Sms, "+923001234567".into())
        );
        let shouted = Recipient::Email(Email::parse("e", "Ayesha.K@Example.PK").unwrap());
        assert_eq!(
            (shouted.medium(), shouted.as_str(), shouted.contact()),
            (
                Medium::Email,
                "Ayesha.K@example.pk",
                "ayesha.k@example.pk".into()
            )
        );
        let json = serde_json::to_string(&Recipient::Email(email)).unwrap();
        assert_eq!(json, r#"{"email":"Ayesha.K+shop@example.pk"}"#);
    }

    #[test]
    fn the_delay_and_a_named_time_are_kept_outside_quiet_hours() {
        let karachi = zone("Asia/Karachi"); // UTC+5, no DST
        // 10:00 local plus the default hour: 11:00 local.
        let made = t("2026-06-01T05:00:00Z");
        assert_eq!(
            rules().first_due(made, When::Default, &karachi),
            t("2026-06-01T06:00:00Z")
        );
        // 20:30 local plus an hour is 21:30, quiet: the next 09:00.
        let evening = t("2026-06-01T15:30:00Z");
        assert_eq!(
            rules().first_due(evening, When::Default, &karachi),
            t("2026-06-02T04:00:00Z")
        );
        // Asked for 03:00 local: 09:00 the same morning.
        let night = When::At(t("2026-06-01T22:00:00Z"));
        assert_eq!(
            rules().first_due(made, night, &karachi),
            t("2026-06-02T04:00:00Z")
        );
        // A time in the past is now; a delay is counted from the making.
        assert_eq!(
            rules().first_due(made, When::At(t("2026-01-01T00:00:00Z")), &karachi),
            made
        );
        let week = When::After(Duration::days(7));
        assert_eq!(
            rules().first_due(made, week, &karachi),
            t("2026-06-08T05:00:00Z")
        );
        // No quiet hours: any hour goes.
        let always = SendRules {
            quiet_hours: None,
            ..rules()
        };
        assert_eq!(
            always.first_due(made, night, &karachi),
            t("2026-06-01T22:00:00Z")
        );
        // Quiet hours inside one day (13:00 to 14:00, a lunch break).
        let lunch = SendRules {
            quiet_hours: Some(QuietHours {
                start: hm(13, 0),
                end: hm(14, 0),
            }),
            ..rules()
        };
        let noon = t("2026-06-01T07:30:00Z"); // 12:30 local
        assert_eq!(
            lunch.first_due(noon, When::Default, &karachi),
            t("2026-06-01T09:00:00Z")
        );
        assert_eq!(
            lunch.allowed(t("2026-06-01T09:00:00Z"), &karachi),
            t("2026-06-01T09:00:00Z")
        );
    }

    #[test]
    fn quiet_hours_end_at_the_local_time_across_dst_changes() {
        let london = zone("Europe/London");
        // The night the clocks go forward (29 March 2026, 01:00 -> 02:00
        // GMT -> BST): 23:30 GMT is quiet; 09:00 BST is 08:00 UTC.
        assert_eq!(
            rules().allowed(t("2026-03-28T23:30:00Z"), &london),
            t("2026-03-29T08:00:00Z")
        );
        // The night they go back (25 October 2026): 09:00 GMT is 09:00 UTC.
        assert_eq!(
            rules().allowed(t("2026-10-24T21:30:00Z"), &london),
            t("2026-10-25T09:00:00Z")
        );
        // Quiet hours ending inside the gap (01:00 to 01:30, skipped) end
        // at the first time that exists, 02:00 BST.
        let gap = SendRules {
            quiet_hours: Some(QuietHours {
                start: hm(0, 30),
                end: hm(1, 30),
            }),
            ..rules()
        };
        assert_eq!(
            gap.allowed(t("2026-03-29T00:45:00Z"), &london),
            t("2026-03-29T01:00:00Z")
        );
        // In the repeated hour (01:00 to 02:00 twice) the first 01:30 ends
        // them, and the second 01:30 is outside them.
        assert_eq!(
            gap.allowed(t("2026-10-24T23:40:00Z"), &london),
            t("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            gap.allowed(t("2026-10-25T01:30:00Z"), &london),
            t("2026-10-25T01:30:00Z")
        );
    }

    #[test]
    fn the_reminder_comes_at_the_same_local_time_days_later_unless_expired() {
        let london = zone("Europe/London");
        let with = SendRules {
            reminder_days: Some(3),
            ..rules()
        };
        // Sent 10:00 GMT on the Friday before the change; three days later
        // at 10:00 BST.
        let sent = t("2026-03-27T10:00:00Z");
        let expires = t("2026-04-26T10:00:00Z");
        assert_eq!(
            with.reminder_due(sent, expires, &london),
            Some(t("2026-03-30T09:00:00Z"))
        );
        assert_eq!(
            rules().reminder_due(sent, expires, &london),
            None,
            "off by default"
        );
        // Not at or after expiry.
        assert_eq!(
            with.reminder_due(sent, t("2026-03-30T09:00:00Z"), &london),
            None
        );
        // Sent at 20:30 local: three days on is 20:30, before the quiet
        // hours.
        let late = t("2026-06-01T19:30:00Z");
        assert_eq!(
            with.reminder_due(late, expires + Duration::days(60), &london),
            Some(t("2026-06-04T19:30:00Z"))
        );
    }

    fn scheduled() -> Sending {
        let phone = Phone::parse("p", "+923001234567").unwrap();
        Sending::scheduled(
            Recipient::Phone(phone),
            "h".into(),
            t("2026-06-01T06:00:00Z"),
        )
    }

    #[test]
    fn rules_change_field_by_field_and_every_bad_one_is_named() {
        let base = rules();
        let next = base
            .apply(&SendRulesPatch {
                quiet_hours: Some(Some(("22:30".into(), "08:00".into()))),
                reminder_days: Some(Some(3)),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            (next.delay_minutes, next.quiet_hours, next.reminder_days),
            (
                60,
                Some(QuietHours {
                    start: hm(22, 30),
                    end: hm(8, 0)
                }),
                Some(3)
            )
        );
        let json = serde_json::to_value(next).unwrap();
        assert_eq!(
            json["quiet_hours"],
            serde_json::json!({"start": "22:30", "end": "08:00"})
        );
        assert_eq!(serde_json::from_value::<SendRules>(json).unwrap(), next);
        let off = next
            .apply(&SendRulesPatch {
                quiet_hours: Some(None),
                reminder_days: Some(None),
                ..Default::default()
            })
            .unwrap();
        assert_eq!((off.quiet_hours, off.reminder_days), (None, None));
        let bad = base
            .apply(&SendRulesPatch {
                delay_minutes: Some(-1),
                quiet_hours: Some(Some(("9pm".into(), "24:00".into()))),
                reminder_days: Some(Some(31)),
            })
            .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sending.delay_minutes",
                "sending.quiet_hours.start",
                "sending.quiet_hours.end",
                "sending.reminder_days"
            ]
        );
        let same = base.apply(&SendRulesPatch {
            quiet_hours: Some(Some(("09:00".into(), "09:00".into()))),
            ..Default::default()
        });
        assert_eq!(same.unwrap_err()[0].rule, Rule::OutOfRange);
    }

    #[test]
    fn a_due_message_is_sent_once_then_reminded_once() {
        let d = scheduled();
        let none = Facts::default();
        assert_eq!(d.next(t("2026-06-01T05:59:59Z"), none), Next::Wait);
        let now = t("2026-06-01T06:00:10Z");
        assert_eq!(d.next(now, none), Next::SendFirst);
        // Taken: no other sender sends it meanwhile.
        let taken = d.taken(now);
        assert_eq!(taken.next(now + Duration::seconds(30), none), Next::Wait);
        assert_eq!(taken.revision, d.revision + 1, "every change is a revision");
        assert_eq!(
            (d.wake_at(), taken.wake_at()),
            (d.due_at, Some(now + TAKE_TIMEOUT))
        );
        let reminder = t("2026-06-04T06:00:00Z");
        let sent = taken.sent(now, Some(reminder));
        assert_eq!(
            (sent.status, sent.due_at, sent.sent_at),
            (Status::Sent, Some(reminder), Some(now))
        );
        assert!(sent.recipient.is_some(), "kept until the reminder");
        assert_eq!(sent.next(now + Duration::days(1), none), Next::Wait);
        assert_eq!(sent.next(reminder, none), Next::SendReminder);
        let done = sent.taken(reminder).sent(reminder, None);
        assert_eq!(
            (done.status, done.due_at, done.sent_at, done.reminded_at),
            (Status::Reminded, None, Some(now), Some(reminder))
        );
        assert_eq!(done.recipient, None, "removed once nothing is due");
        assert_eq!(done.next(reminder + Duration::days(9), none), Next::Wait);
        // Come due inside the quiet hours: moved to their end, not sent.
        let morning = t("2026-06-02T04:00:00Z");
        let deferred = scheduled().deferred(morning);
        assert_eq!(
            (deferred.status, deferred.due_at, deferred.revision),
            (Status::Scheduled, Some(morning), scheduled().revision + 1)
        );
        // Without a reminder the contact goes with the first message.
        let only = scheduled().taken(now).sent(now, None);
        assert_eq!(
            (only.status, only.due_at, only.recipient),
            (Status::Sent, None, None)
        );
    }

    #[test]
    fn answering_expiry_erasure_and_opting_out_cancel_what_is_pending() {
        let now = t("2026-06-01T07:00:00Z");
        for (facts, why) in [
            (
                Facts {
                    answered: true,
                    ..Facts::default()
                },
                Cancel::Answered,
            ),
            (
                Facts {
                    expired: true,
                    ..Facts::default()
                },
                Cancel::Expired,
            ),
            (
                Facts {
                    suppressed: Some(Suppression::OptedOut),
                    answered: true,
                    ..Facts::default()
                },
                Cancel::OptedOut,
            ),
            (
                Facts {
                    suppressed: Some(Suppression::Bounced),
                    ..Facts::default()
                },
                Cancel::Bounced,
            ),
        ] {
            assert_eq!(scheduled().next(now, facts), Next::Cancel(why));
        }
        let before = scheduled().cancelled(now, Cancel::OptedOut);
        assert_eq!(
            (before.status, before.due_at, before.recipient),
            (Status::Suppressed, None, None)
        );
        let dead = scheduled().cancelled(now, Suppression::Bounced.into());
        assert_eq!(
            (dead.status, dead.cancelled),
            (Status::Suppressed, Some(Cancel::Bounced))
        );
        for why in [Suppression::OptedOut, Suppression::Bounced] {
            assert_eq!(Suppression::stored(Some(why.as_str())), why);
        }
        assert_eq!(Suppression::stored(None), Suppression::OptedOut);
        let erased = scheduled().cancelled(now, Cancel::Erased);
        assert_eq!(
            (erased.status, erased.cancelled),
            (Status::Cancelled, Some(Cancel::Erased))
        );
        // After the first message only the reminder goes; the status stays.
        let sent = scheduled().sent(now, Some(now + Duration::days(3)));
        let answered = sent.cancelled(now + Duration::hours(1), Cancel::Answered);
        assert_eq!(
            (
                answered.status,
                answered.due_at,
                answered.cancelled,
                answered.recipient.is_none()
            ),
            (Status::Sent, None, Some(Cancel::Answered), true)
        );
        // Nothing pending: nothing to cancel.
        assert_eq!(answered.cancelled(now, Cancel::Erased), answered);
    }

    #[test]
    fn failures_are_retried_then_recorded_and_a_lost_sender_is_not_repeated() {
        let now = t("2026-06-01T06:00:00Z");
        let mut d = scheduled();
        let mut waits = Vec::new();
        for _ in 1..MAX_ATTEMPTS {
            d = d.taken(now).not_sent(now, "throttled", true);
            assert_eq!(d.status, Status::Scheduled);
            waits.push((d.due_at.unwrap() - now).num_minutes());
        }
        assert_eq!(waits, [1, 4, 9, 16]);
        let failed = d.not_sent(now, "throttled", true);
        assert_eq!(
            (
                failed.status,
                failed.due_at,
                failed.failure.as_deref(),
                failed.recipient
            ),
            (Status::Failed, None, Some("throttled"), None)
        );
        // A refusal that will not change fails at once.
        let refused = scheduled().not_sent(now, "invalid number", false);
        assert_eq!((refused.status, refused.attempts), (Status::Failed, 1));
        // A sender that took the message and vanished: given up after the
        // timeout, never sent twice.
        let taken = scheduled().taken(now);
        assert_eq!(
            taken.next(now + TAKE_TIMEOUT - Duration::seconds(1), Facts::default()),
            Next::Wait
        );
        assert_eq!(
            taken.next(now + TAKE_TIMEOUT, Facts::default()),
            Next::GiveUp
        );
    }

    #[test]
    fn a_bounce_fails_the_invitation_and_stops_the_reminder() {
        let now = t("2026-06-01T06:00:00Z");
        let later = now + Duration::minutes(3);
        let reminder = now + Duration::days(3);
        // Not sent yet: a report of it is not about this message.
        assert_eq!(scheduled().bounced(later, "bounced"), scheduled());
        let sent = scheduled().taken(now).sent(now, Some(reminder));
        assert!(sent.reached());
        let bounced = sent.bounced(later, "the address does not exist");
        assert_eq!(
            (
                bounced.status,
                bounced.due_at,
                bounced.recipient.is_none(),
                bounced.failed_at,
                bounced.bounced_at,
                bounced.failure.as_deref(),
                bounced.sent_at,
            ),
            (
                Status::Failed,
                None,
                true,
                Some(later),
                Some(later),
                Some("the address does not exist"),
                Some(now)
            )
        );
        assert_eq!(bounced.revision, sent.revision + 1);
        assert!(!bounced.reached() && bounced.never_sent(), "reached no one");
        assert_eq!(bounced.next(reminder, Facts::default()), Next::Wait);
        // The same report again changes nothing.
        assert_eq!(
            bounced.bounced(later + Duration::minutes(1), "again"),
            bounced
        );
        // The reminder came back: the first message still reached them.
        let reminded = sent.taken(reminder).sent(reminder, None);
        let back = reminded.bounced(reminder + Duration::minutes(2), "mailbox full");
        assert_eq!(back.status, Status::Failed);
        assert!(back.reached() && !back.never_sent());
    }
}
