//! Reusable links: one code for a place or a person (a QR code on the
//! counter, a rep's badge, a web page) rather than for one order. Each
//! answer through it is its own anonymous response.

use crate::code::Code;
use crate::error::{Errors, FieldError, Rule};
use crate::ids::{Locale, LocationId};
use crate::model::{Answerable, Attribution, Channel, credited_reps, validate_label};
use crate::survey::SurveyKind;
use crate::time::TenantZone;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The channels a reusable link can stand for.
pub const LINK_CHANNELS: [Channel; 3] = [Channel::Qr, Channel::InStore, Channel::Web];

/// Largest daily cap a link may have.
pub const MAX_DAILY_CAP: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub code: Code,
    /// Fixed when the link is made: renaming or archiving its rep later
    /// never moves what was rated through it.
    #[serde(flatten)]
    pub attribution: Attribution,
    /// The business's own name for it ("Till 2", "Ayesha's badge").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Answers it takes per tenant-local day; beyond, 429 until midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<u32>,
    pub active: bool,
    /// +1 per change; stores use it to refuse lost updates.
    pub revision: u32,
}

/// Why a link takes no answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Disabled,
    Expired(DateTime<Utc>),
}

impl Link {
    /// Whether it takes answers at `now`.
    pub fn closed(&self, now: DateTime<Utc>) -> Option<Closed> {
        if !self.active {
            Some(Closed::Disabled)
        } else {
            self.expires_at.filter(|e| now >= *e).map(Closed::Expired)
        }
    }

    /// The response id of one answer through this link: the code, then the
    /// form's own token, so a double tap of one form is one answer.
    pub fn response_id(&self, token: &str) -> String {
        format!("{}-{token}", self.code)
    }
}

/// Longest answer token a response id carries after its link's code (the
/// ids made here carry 16 hex digits).
const MAX_ANSWER_TOKEN: usize = 32;

/// A response id's link code or invitation code, if `id` has the shape of a
/// response id at all: a code, or a code, `-` and a short alphanumeric
/// token. Anything else names no response and must not reach a store key.
pub fn code_of_response(id: &str) -> Option<Code> {
    let (code, token) = match id.split_once('-') {
        Some((code, token)) => (code, Some(token)),
        None => (id, None),
    };
    let token_ok = token.is_none_or(|t| {
        (1..=MAX_ANSWER_TOKEN).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    token_ok.then(|| Code::parse("id", code).ok()).flatten()
}

/// A link request as a client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    #[schema(schema_with = channel_schema)]
    pub channel: Option<String>,
    #[schema(schema_with = crate::schema::nullable_id)]
    pub rep_id: Option<String>,
    #[schema(schema_with = crate::schema::also_rep_ids)]
    pub also_rep_ids: Option<Vec<String>>,
    #[schema(schema_with = crate::schema::nullable_id)]
    pub location: Option<String>,
    #[schema(value_type = Option<SurveyKind>)]
    pub survey: Option<String>,
    #[schema(schema_with = crate::schema::nullable_locale)]
    pub locale: Option<String>,
    #[schema(schema_with = crate::schema::nullable_label_100)]
    pub label: Option<String>,
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<String>,
    #[schema(minimum = 1, maximum = 100_000)]
    pub daily_cap: Option<i64>,
}

/// The channels a link may be counted under, `qr` when none is given.
fn channel_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut names: Vec<Option<&str>> = LINK_CHANNELS.iter().map(|c| Some(c.as_str())).collect();
    names.push(None);
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(names))
        .default(Some(Channel::Qr.as_str().into()))
        .into()
}

fn channel(field: &str, value: &str) -> Result<Channel, FieldError> {
    let channel = Channel::parse(field, value)?;
    if LINK_CHANNELS.contains(&channel) {
        Ok(channel)
    } else {
        Err(FieldError::new(
            field,
            Rule::UnknownValue,
            "a reusable link is for qr, in_store or web; one-use invitations serve the others",
        ))
    }
}

fn expiry(field: &str, value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let at = DateTime::parse_from_rfc3339(value)
        .map_err(|_| FieldError::new(field, Rule::BadFormat, "must be an RFC 3339 time"))?
        .with_timezone(&Utc);
    if at <= now {
        return Err(FieldError::new(
            field,
            Rule::OutOfRange,
            "must be in the future",
        ));
    }
    Ok(at)
}

fn cap(field: &str, value: i64) -> Result<u32, FieldError> {
    u32::try_from(value)
        .ok()
        .filter(|v| (1..=MAX_DAILY_CAP).contains(v))
        .ok_or_else(|| {
            FieldError::new(
                field,
                Rule::OutOfRange,
                format!("must be an integer from 1 to {MAX_DAILY_CAP}, got {value}"),
            )
        })
}

fn opt(value: &Option<String>) -> Option<&str> {
    value.as_deref()
}

fn label(field: &str, value: &str) -> Result<String, FieldError> {
    validate_label(field, value, 100)
}

impl NewLink {
    /// The link this request makes at `now` with `code`; every bad field is
    /// reported. The channel defaults to `qr`, the survey to the tenant's.
    pub fn validate(
        &self,
        code: Code,
        default_survey: SurveyKind,
        now: DateTime<Utc>,
    ) -> Result<Link, Vec<FieldError>> {
        let mut errors = Errors::default();
        let channel = match opt(&self.channel) {
            Some(v) => errors.check(channel("channel", v)),
            None => Some(Channel::Qr),
        };
        let (rep_id, also_rep_ids) =
            credited_reps(&mut errors, opt(&self.rep_id), self.also_rep_ids.as_deref());
        let location =
            opt(&self.location).and_then(|v| errors.check(LocationId::parse("location", v)));
        let survey = opt(&self.survey).and_then(|v| errors.check(SurveyKind::parse("survey", v)));
        let locale = opt(&self.locale).and_then(|v| errors.check(Locale::parse("locale", v)));
        let label = opt(&self.label).and_then(|v| errors.check(label("label", v)));
        let expires_at =
            opt(&self.expires_at).and_then(|v| errors.check(expiry("expires_at", v, now)));
        let daily_cap = self
            .daily_cap
            .and_then(|v| errors.check(cap("daily_cap", v)));
        errors.finish(|| Link {
            code,
            attribution: Attribution {
                survey: survey.unwrap_or(default_survey),
                rep_id,
                also_rep_ids,
                channel: channel.expect("checked"),
                location,
            },
            label,
            locale,
            created_at: now,
            expires_at,
            daily_cap,
            active: true,
            revision: 1,
        })
    }
}

/// A change to a link: each field given replaces its value; null clears a
/// nullable one. What a link is counted under (rep, location, channel,
/// survey) cannot change.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkPatch {
    pub active: Option<bool>,
    #[schema(schema_with = crate::schema::nullable_label_100)]
    pub label: Option<Option<String>>,
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 100_000)]
    pub daily_cap: Option<Option<i64>>,
}

impl LinkPatch {
    pub fn apply(&self, link: &Link, now: DateTime<Utc>) -> Result<Link, Vec<FieldError>> {
        let mut errors = Errors::default();
        let mut next = link.clone();
        if let Some(active) = self.active {
            next.active = active;
        }
        if let Some(v) = &self.label {
            next.label = v.as_deref().and_then(|v| errors.check(label("label", v)));
        }
        if let Some(v) = &self.expires_at {
            next.expires_at = v
                .as_deref()
                .and_then(|v| errors.check(expiry("expires_at", v, now)));
        }
        if let Some(v) = self.daily_cap {
            next.daily_cap = v.and_then(|v| errors.check(cap("daily_cap", v)));
        }
        next.revision += 1;
        errors.finish(|| next)
    }
}

/// What a customer's link points at: one invitation, or a reusable link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Invitation(crate::model::Invitation),
    Link(Link),
}

impl Answerable for Target {
    fn code(&self) -> &Code {
        match self {
            Target::Invitation(i) => &i.code,
            Target::Link(l) => &l.code,
        }
    }

    fn attribution(&self) -> &Attribution {
        match self {
            Target::Invitation(i) => &i.attribution,
            Target::Link(l) => &l.attribution,
        }
    }

    fn locale(&self) -> Option<&Locale> {
        match self {
            Target::Invitation(i) => i.locale.as_ref(),
            Target::Link(l) => l.locale.as_ref(),
        }
    }

    /// The invitation's day; a reusable link's answers have no invitation,
    /// so theirs is the day of the answer.
    fn invited_day(&self, zone: &TenantZone, now: DateTime<Utc>) -> NaiveDate {
        match self {
            Target::Invitation(i) => i.day,
            Target::Link(_) => zone.day_of(now),
        }
    }

    fn reusable(&self) -> bool {
        matches!(self, Target::Link(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-05-01T10:00:00Z".parse().unwrap()
    }

    fn code() -> Code {
        Code::parse("code", "ABCDEFGHIJKL").unwrap()
    }

    #[test]
    fn a_link_defaults_to_qr_and_names_every_bad_field() {
        let link = NewLink::default()
            .validate(code(), SurveyKind::Nps, now())
            .unwrap();
        assert_eq!(link.attribution.channel, Channel::Qr);
        assert_eq!(link.attribution.survey, SurveyKind::Nps);
        assert!(link.active && link.closed(now()).is_none());

        let bad = NewLink {
            channel: Some("sms".into()),
            expires_at: Some("2026-04-01T00:00:00Z".into()),
            daily_cap: Some(0),
            label: Some(" ".into()),
            ..Default::default()
        };
        let fields: Vec<_> = bad
            .validate(code(), SurveyKind::Csat, now())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["channel", "label", "expires_at", "daily_cap"]);
    }

    #[test]
    fn patches_disable_expire_and_keep_the_attribution() {
        let link = NewLink {
            rep_id: Some("ayesha".into()),
            channel: Some("in_store".into()),
            ..Default::default()
        }
        .validate(code(), SurveyKind::Csat, now())
        .unwrap();
        let off = LinkPatch {
            active: Some(false),
            daily_cap: Some(Some(50)),
            ..Default::default()
        }
        .apply(&link, now())
        .unwrap();
        assert_eq!(off.closed(now()), Some(Closed::Disabled));
        assert_eq!((off.daily_cap, off.revision), (Some(50), 2));
        assert_eq!(off.attribution, link.attribution);
        let expiring = LinkPatch {
            expires_at: Some(Some("2026-05-02T00:00:00Z".into())),
            ..Default::default()
        }
        .apply(&link, now())
        .unwrap();
        let later: DateTime<Utc> = "2026-05-02T00:00:00Z".parse().unwrap();
        assert_eq!(expiring.closed(later), Some(Closed::Expired(later)));
    }

    #[test]
    fn response_ids_name_their_code() {
        let link = NewLink::default()
            .validate(code(), SurveyKind::Csat, now())
            .unwrap();
        let id = link.response_id("f00d");
        assert_eq!(id, "ABCDEFGHIJKL-f00d");
        assert_eq!(code_of_response(&id), Some(code()));
        assert_eq!(code_of_response("ABCDEFGHIJKL"), Some(code()));
        assert_eq!(code_of_response("no good"), None);
        assert_eq!(code_of_response(&format!("{id}{}", "0".repeat(5000))), None);
        assert_eq!(code_of_response("ABCDEFGHIJKL-"), None);
        assert_eq!(code_of_response("ABCDEFGHIJKL-f00d#x"), None);
    }
}
