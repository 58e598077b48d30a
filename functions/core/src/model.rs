//! Invitations, responses and reps, and the validation of what clients send.

use crate::code::Code;
use crate::error::{Errors, FieldError, Rule};
use crate::ids::{CustomerRef, Locale, LocationId, MAX_REPS, OrderId, RepId};
use crate::sending::{Email, Phone, Recipient, When};
use crate::survey::{SurveyKind, truncate};
use crate::time::TenantZone;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where an invitation was handed to the customer.
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
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Receipt,
    Sms,
    Email,
    Web,
    Qr,
    Phone,
    Chat,
    InStore,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::Receipt,
        Channel::Sms,
        Channel::Email,
        Channel::Web,
        Channel::Qr,
        Channel::Phone,
        Channel::Chat,
        Channel::InStore,
    ];

    /// The channel's place in [`Channel::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Receipt => "receipt",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Web => "web",
            Channel::Qr => "qr",
            Channel::Phone => "phone",
            Channel::Chat => "chat",
            Channel::InStore => "in_store",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    format!(
                        "unknown channel '{}'; expected one of {}",
                        truncate(value),
                        Self::ALL.map(Channel::as_str).join(", ")
                    ),
                )
            })
    }
}

/// How the experience compared with what the customer expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    Below,
    Met,
    Exceeded,
}

impl Expectation {
    pub const ALL: [Expectation; 3] = [Expectation::Below, Expectation::Met, Expectation::Exceeded];

    pub fn as_str(self) -> &'static str {
        match self {
            Expectation::Below => "below",
            Expectation::Met => "met",
            Expectation::Exceeded => "exceeded",
        }
    }

    /// Ordinal value used by the rollup moments: below 0, met 1, exceeded 2.
    pub fn ordinal(self) -> i64 {
        match self {
            Expectation::Below => 0,
            Expectation::Met => 1,
            Expectation::Exceeded => 2,
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    Rule::UnknownValue,
                    format!(
                        "unknown value '{}'; expected below, met or exceeded",
                        truncate(value)
                    ),
                )
            })
    }
}

/// The optional questions after the main score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub friendliness: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub speed: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 5)]
    pub knowledge: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectations: Option<Expectation>,
}

impl Answers {
    pub fn is_empty(&self) -> bool {
        *self == Answers::default()
    }
}

/// What a response is counted under; copied from the invitation when it is
/// created, so later changes to a rep never move past ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attribution {
    pub survey: SurveyKind,
    /// The rep who served the customer, or the first of those who did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub rep_id: Option<RepId>,
    /// The others who served in the same interaction (a cashier and a
    /// tailor): each rep's figures count the answer in full, the business's
    /// once. Never without `rep_id`, never repeating a rep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>, max_items = 2)]
    pub also_rep_ids: Vec<RepId>,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub location: Option<LocationId>,
}

impl Attribution {
    /// Every rep credited, the first named first.
    pub fn reps(&self) -> impl Iterator<Item = &RepId> {
        self.rep_id.iter().chain(&self.also_rep_ids)
    }

    /// Every rep credited, with the request field that named it (`rep_id`,
    /// `also_rep_ids[0]`, …).
    pub fn named_reps(&self) -> impl Iterator<Item = (String, &RepId)> {
        let first = self.rep_id.iter().map(|r| ("rep_id".to_owned(), r));
        let also =
            (self.also_rep_ids.iter().enumerate()).map(|(i, r)| (format!("also_rep_ids[{i}]"), r));
        first.chain(also)
    }

    /// Whether `rep` is one of the reps credited.
    pub fn credits(&self, rep: &RepId) -> bool {
        self.reps().any(|r| r == rep)
    }
}

/// The reps a request credits: `rep_id`, then up to two more in
/// `also_rep_ids`, each a valid id named once. Errors go to `errors`, each
/// naming its field (`also_rep_ids[1]`).
pub fn credited_reps(
    errors: &mut Errors,
    rep_id: Option<&str>,
    also: Option<&[String]>,
) -> (Option<RepId>, Vec<RepId>) {
    let first = rep_id.and_then(|v| errors.check(RepId::parse("rep_id", v)));
    let also = also.unwrap_or_default();
    if also.is_empty() {
        return (first, Vec::new());
    }
    if rep_id.is_none() {
        errors.push(FieldError::new(
            "also_rep_ids",
            Rule::Required,
            "name the first rep in rep_id; also_rep_ids holds the others",
        ));
    }
    if also.len() > MAX_REPS - 1 {
        errors.push(FieldError::new(
            "also_rep_ids",
            Rule::TooLong,
            format!(
                "at most {} more reps (up to {MAX_REPS} in all), got {}",
                MAX_REPS - 1,
                also.len()
            ),
        ));
        return (first, Vec::new());
    }
    let mut others: Vec<RepId> = Vec::with_capacity(also.len());
    for (i, v) in also.iter().enumerate() {
        let field = format!("also_rep_ids[{i}]");
        let Some(id) = errors.check(RepId::parse(&field, v)) else {
            continue;
        };
        if first.as_ref() == Some(&id) || others.contains(&id) {
            errors.push(FieldError::new(
                field,
                Rule::BadFormat,
                format!("names {id} twice; each rep is credited once"),
            ));
        } else {
            others.push(id);
        }
    }
    (first, others)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub code: Code,
    pub order_id: OrderId,
    #[serde(flatten)]
    pub attribution: Attribution,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<CustomerRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The tenant-local day it was created on: response rates count by it.
    pub day: NaiveDate,
    /// When its personal data (customer ref, comments) is erased under the
    /// business's retention setting; `None`: kept until erased on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_until: Option<DateTime<Utc>>,
    /// When the product sends it for the business: to whom, and how far
    /// it has got. `None`: the business hands the link out itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending: Option<crate::sending::Sending>,
}

impl Invitation {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// An invitation request as a client sent it, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewInvitation {
    pub order_id: Option<String>,
    pub rep_id: Option<String>,
    pub also_rep_ids: Option<Vec<String>>,
    pub channel: Option<String>,
    pub location: Option<String>,
    pub customer_ref: Option<String>,
    pub survey: Option<String>,
    pub locale: Option<String>,
    /// Where the product sends it, if it does.
    pub recipient: Option<NewRecipient>,
    /// When (RFC 3339), instead of the tenant's delay.
    pub send_at: Option<String>,
    /// Minutes after it is made, instead of the tenant's delay.
    pub send_after_minutes: Option<i64>,
}

/// A recipient as a client sent it: one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRecipient {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// What a request asks the product to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    pub to: Recipient,
    pub when: When,
}

/// A validated invitation request: everything but the code and the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSpec {
    pub order_id: OrderId,
    pub attribution: Attribution,
    pub customer_ref: Option<CustomerRef>,
    pub locale: Option<Locale>,
    pub send: Option<SendRequest>,
}

/// The send part of an invitation request; every bad field is reported.
fn send_request(
    errors: &mut Errors,
    recipient: Option<&NewRecipient>,
    send_at: Option<&str>,
    after: Option<i64>,
) -> Option<SendRequest> {
    let when = match (send_at, after) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "send_after_minutes",
                Rule::BadFormat,
                "give send_at or send_after_minutes, not both",
            ));
            None
        }
        (Some(at), None) => DateTime::parse_from_rfc3339(at)
            .map(|t| When::At(t.with_timezone(&Utc)))
            .map_err(|_| FieldError::new("send_at", Rule::BadFormat, "must be an RFC 3339 time"))
            .map(Some)
            .unwrap_or_else(|e| {
                errors.push(e);
                None
            }),
        (None, Some(minutes)) => errors
            .check(crate::error::in_range(
                "send_after_minutes",
                minutes,
                0,
                crate::sending::MAX_DELAY_MINUTES,
            ))
            .map(|m| When::After(Duration::minutes(i64::from(m)))),
        (None, None) => Some(When::Default),
    };
    let Some(recipient) = recipient else {
        if send_at.is_some() || after.is_some() {
            errors.push(FieldError::new(
                "recipient",
                Rule::Required,
                "say whom to send to: {\"email\": …} or {\"phone\": …}",
            ));
        }
        return None;
    };
    let to = match (&recipient.email, &recipient.phone) {
        (Some(email), None) => errors
            .check(Email::parse("recipient.email", email))
            .map(Recipient::Email),
        (None, Some(phone)) => errors
            .check(Phone::parse("recipient.phone", phone))
            .map(Recipient::Phone),
        _ => {
            errors.push(FieldError::new(
                "recipient",
                Rule::BadFormat,
                "give one of email or phone",
            ));
            None
        }
    };
    Some(SendRequest {
        to: to?,
        when: when?,
    })
}

fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, FieldError> {
    value
        .as_deref()
        .ok_or_else(|| FieldError::new(field, Rule::Required, "is required"))
}

fn optional<T>(
    field: &str,
    value: &Option<String>,
    parse: impl Fn(&str, &str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    value.as_deref().map(|v| parse(field, v)).transpose()
}

impl NewInvitation {
    /// Validates every field, reporting all errors at once. `survey` falls
    /// back to the tenant's default kind.
    pub fn validate(&self, default_survey: SurveyKind) -> Result<InvitationSpec, Vec<FieldError>> {
        let mut errors = Errors::default();
        let order_id = errors.check(
            required("order_id", &self.order_id).and_then(|v| OrderId::parse("order_id", v)),
        );
        let channel = errors
            .check(required("channel", &self.channel).and_then(|v| Channel::parse("channel", v)));
        let (rep_id, also_rep_ids) = credited_reps(
            &mut errors,
            self.rep_id.as_deref(),
            self.also_rep_ids.as_deref(),
        );
        let location = errors.check(optional("location", &self.location, LocationId::parse));
        let customer_ref = errors.check(optional(
            "customer_ref",
            &self.customer_ref,
            CustomerRef::parse,
        ));
        let survey = errors.check(optional("survey", &self.survey, SurveyKind::parse));
        let locale = errors.check(optional("locale", &self.locale, Locale::parse));
        let send = send_request(
            &mut errors,
            self.recipient.as_ref(),
            self.send_at.as_deref(),
            self.send_after_minutes,
        );
        errors.finish(|| InvitationSpec {
            order_id: order_id.expect("checked"),
            attribution: Attribution {
                survey: survey.flatten().unwrap_or(default_survey),
                rep_id,
                also_rep_ids,
                channel: channel.expect("checked"),
                location: location.flatten(),
            },
            customer_ref: customer_ref.flatten(),
            locale: locale.flatten(),
            send,
        })
    }
}

impl InvitationSpec {
    /// The invitation this request creates at `now`, valid for `lifetime`.
    pub fn issue(
        self,
        code: Code,
        now: DateTime<Utc>,
        lifetime: Duration,
        zone: &TenantZone,
    ) -> Invitation {
        Invitation {
            code,
            order_id: self.order_id,
            attribution: self.attribution,
            customer_ref: self.customer_ref,
            locale: self.locale,
            created_at: now,
            expires_at: now + lifetime,
            day: zone.day_of(now),
            personal_until: None,
            sending: None,
        }
    }
}

/// Comments longer than this many characters are refused, not cut.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// A comment's schema in the API document, for a JSON body.
pub fn nullable_comment_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::schema::free_text(MAX_COMMENT_CHARS, true)
}

/// A comment's schema in the API document, for a form.
pub fn form_comment_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::schema::free_text(MAX_COMMENT_CHARS, false)
}

/// A customer's answer as it arrived, numbers already read as integers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Submission {
    pub score: Option<i64>,
    pub friendliness: Option<i64>,
    pub speed: Option<i64>,
    pub knowledge: Option<i64>,
    pub resolved: Option<bool>,
    pub expectations: Option<String>,
    pub comment: Option<String>,
}

/// A validated answer: what a response is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub score: u8,
    pub answers: Answers,
    pub comment: Option<String>,
}

/// Checks a free-text comment. Text is kept byte for byte (Urdu, Hindi,
/// emoji, bidi marks); only an empty or all-blank comment becomes `None`.
pub fn validate_comment(field: &str, comment: &str) -> Result<Option<String>, FieldError> {
    if comment.trim().is_empty() {
        return Ok(None);
    }
    let chars = comment.chars().count();
    if chars > MAX_COMMENT_CHARS {
        return Err(FieldError::new(
            field,
            Rule::TooLong,
            format!("must be at most {MAX_COMMENT_CHARS} characters, got {chars}"),
        ));
    }
    if comment
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(
            field,
            Rule::ControlCharacters,
            "must not contain control characters other than tab and line breaks",
        ));
    }
    Ok(Some(comment.to_owned()))
}

fn rating(field: &str, value: i64) -> Result<u8, FieldError> {
    match u8::try_from(value) {
        Ok(v @ 1..=5) => Ok(v),
        _ => Err(FieldError::new(
            field,
            Rule::OutOfRange,
            format!("must be an integer from 1 to 5, got {value}"),
        )),
    }
}

impl Submission {
    pub fn validate(&self, survey: SurveyKind) -> Result<Answer, Vec<FieldError>> {
        let mut errors = Errors::default();
        let score = match self.score {
            Some(s) => errors.check(survey.score("score", s)),
            None => {
                errors.push(FieldError::new("score", Rule::Required, "is required"));
                None
            }
        };
        let mut question = |field: &str, value: Option<i64>| {
            value.and_then(|v| errors.check(rating(&format!("answers.{field}"), v)))
        };
        let friendliness = question("friendliness", self.friendliness);
        let speed = question("speed", self.speed);
        let knowledge = question("knowledge", self.knowledge);
        let expectations = errors.check(optional(
            "answers.expectations",
            &self.expectations,
            Expectation::parse,
        ));
        let comment = match &self.comment {
            Some(c) => errors.check(validate_comment("comment", c)).flatten(),
            None => None,
        };
        errors.finish(|| Answer {
            score: score.expect("checked"),
            answers: Answers {
                friendliness,
                speed,
                knowledge,
                resolved: self.resolved,
                expectations: expectations.flatten(),
            },
            comment,
        })
    }
}

/// A customer's rating of one invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Unique per response; for a one-use invitation it is the code itself,
    /// which is what makes a second submit a replacement, not a new count.
    pub id: String,
    pub code: Code,
    #[serde(flatten)]
    pub attribution: Attribution,
    pub score: u8,
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    pub submitted_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// 1 when first submitted, +1 per edit; stores use it to detect races.
    pub revision: u32,
    /// Tenant-local day of the first submission: the bucket it counts in.
    pub day: NaiveDate,
    /// Tenant-local day of the invitation: response rates count by it.
    pub invited_day: NaiveDate,
    /// Came through a reusable link: an anonymous answer of its own, not
    /// the answer to an invitation (so response rates leave it out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reusable: bool,
    /// A keyed hash of the client's address ([`crate::abuse::Secret::client`]),
    /// never the address itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Held back from the scores until the business releases it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<crate::abuse::Flag>,
}

/// What a customer answers, as the response records it: an invitation, or
/// a reusable link (`links::Target`).
pub trait Answerable {
    fn code(&self) -> &Code;
    fn attribution(&self) -> &Attribution;
    fn locale(&self) -> Option<&Locale>;
    /// The day answers to it count as invited on.
    fn invited_day(&self, zone: &TenantZone, now: DateTime<Utc>) -> NaiveDate;
    /// Whether many customers answer it (a reusable link).
    fn reusable(&self) -> bool;
}

impl Answerable for Invitation {
    fn code(&self) -> &Code {
        &self.code
    }

    fn attribution(&self) -> &Attribution {
        &self.attribution
    }

    fn locale(&self) -> Option<&Locale> {
        self.locale.as_ref()
    }

    fn invited_day(&self, _: &TenantZone, _: DateTime<Utc>) -> NaiveDate {
        self.day
    }

    fn reusable(&self) -> bool {
        false
    }
}

/// How a response arrived.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Invitation,
    Link,
}

/// A response as the API and webhooks show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Response)]
pub struct ResponseView<'a> {
    id: &'a str,
    #[schema(value_type = String)]
    code: &'a Code,
    survey: SurveyKind,
    #[schema(value_type = Option<String>)]
    rep_id: Option<&'a RepId>,
    /// The other reps credited with the same interaction.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<String>)]
    also_rep_ids: &'a [RepId],
    channel: Channel,
    #[schema(value_type = Option<String>)]
    location: Option<&'a LocationId>,
    score: u8,
    answers: &'a Answers,
    comment: Option<&'a str>,
    #[schema(value_type = Option<String>)]
    locale: Option<&'a Locale>,
    submitted_at: DateTime<Utc>,
    edited_at: Option<DateTime<Utc>>,
    #[schema(inline)]
    via: Via,
    /// A keyed hash of the client's address (never the address).
    client: Option<&'a str>,
    /// Held back from every score until released.
    flagged: Option<crate::abuse::Flag>,
}

impl Response {
    /// What the API and webhooks show of a response.
    pub fn view(&self) -> ResponseView<'_> {
        ResponseView {
            id: &self.id,
            code: &self.code,
            survey: self.attribution.survey,
            rep_id: self.attribution.rep_id.as_ref(),
            also_rep_ids: &self.attribution.also_rep_ids,
            channel: self.attribution.channel,
            location: self.attribution.location.as_ref(),
            score: self.score,
            answers: &self.answers,
            comment: self.comment.as_deref(),
            locale: self.locale.as_ref(),
            submitted_at: self.submitted_at,
            edited_at: self.edited_at,
            via: if self.reusable {
                Via::Link
            } else {
                Via::Invitation
            },
            client: self.client.as_deref(),
            flagged: self.flagged,
        }
    }

    /// The first answer to `invitation`, given at `now`.
    pub fn first(
        invitation: &Invitation,
        answer: Answer,
        now: DateTime<Utc>,
        zone: &TenantZone,
    ) -> Self {
        Self::answering(invitation, invitation.code.to_string(), answer, now, zone)
    }

    /// The first answer, with id `id`, to what a customer's link points at.
    pub fn answering(
        target: &impl Answerable,
        id: String,
        answer: Answer,
        now: DateTime<Utc>,
        zone: &TenantZone,
    ) -> Self {
        Response {
            id,
            code: target.code().clone(),
            attribution: target.attribution().clone(),
            score: answer.score,
            answers: answer.answers,
            comment: answer.comment,
            locale: target.locale().cloned(),
            submitted_at: now,
            edited_at: None,
            revision: 1,
            day: zone.day_of(now),
            invited_day: target.invited_day(zone, now),
            reusable: target.reusable(),
            client: None,
            flagged: None,
        }
    }

    /// This flagged response let into the scores: one revision on.
    pub fn released(&self) -> Self {
        Response {
            flagged: None,
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// This response with the answer of `incoming` (a later submit), keeping
    /// its identity, first-submission time and bucket.
    pub fn revised_by(&self, incoming: &Response, now: DateTime<Utc>) -> Self {
        Response {
            score: incoming.score,
            answers: incoming.answers,
            comment: incoming.comment.clone(),
            edited_at: Some(now),
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// Whether two responses carry the same answer (a double tap).
    pub fn same_answer(&self, other: &Response) -> bool {
        self.score == other.score && self.answers == other.answers && self.comment == other.comment
    }

    pub fn has_comment(&self) -> bool {
        self.comment.is_some()
    }
}

/// A representative who serves customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rep {
    #[schema(value_type = String)]
    pub id: RepId,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub active: bool,
    /// When the rep was deleted: kept, inactive, so their past ratings
    /// still have a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<DateTime<Utc>>,
}

/// A short label shown to people (a rep's or business's name, a team).
pub fn validate_label(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, Rule::Required, "must not be empty"));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            Rule::TooLong,
            format!("must be at most {max} characters, got {len}"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            Rule::ControlCharacters,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// A rep as a client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = RepInput)]
#[serde(deny_unknown_fields)]
pub struct NewRep {
    #[schema(required = true, schema_with = crate::schema::label_100)]
    pub display_name: Option<String>,
    #[schema(schema_with = crate::schema::nullable_label_64)]
    pub team: Option<String>,
    #[schema(default = true)]
    pub active: Option<bool>,
}

impl NewRep {
    pub fn validate(&self, id: RepId) -> Result<Rep, Vec<FieldError>> {
        let mut errors = Errors::default();
        let name = errors.check(
            required("display_name", &self.display_name)
                .and_then(|v| validate_label("display_name", v, 100)),
        );
        let team = errors.check(optional("team", &self.team, |f, v| {
            validate_label(f, v, 64)
        }));
        errors.finish(|| Rep {
            id,
            display_name: name.expect("checked"),
            team: team.flatten(),
            active: self.active.unwrap_or(true),
            archived_at: None,
        })
    }
}

/// A CSAT invitation for order "o" on the web, issued at `at` (in UTC) for
/// 30 days: the fixture of the crate's tests that need one.
#[cfg(test)]
pub(crate) fn test_invitation(at: DateTime<Utc>) -> Invitation {
    NewInvitation {
        order_id: Some("o".into()),
        channel: Some("web".into()),
        ..Default::default()
    }
    .validate(SurveyKind::Csat)
    .unwrap()
    .issue(
        crate::Code::generate().unwrap(),
        at,
        chrono::Duration::days(30),
        &TenantZone::parse("tz", "UTC").unwrap(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channels_index_is_its_place_in_all() {
        for (i, channel) in Channel::ALL.into_iter().enumerate() {
            assert_eq!(channel.index(), i, "{channel:?}");
        }
    }

    fn zone() -> TenantZone {
        TenantZone::parse("zone", "Asia/Karachi").unwrap()
    }

    fn new_invitation() -> NewInvitation {
        NewInvitation {
            order_id: Some("A-1".into()),
            channel: Some("sms".into()),
            ..Default::default()
        }
    }

    #[test]
    fn invitation_defaults_the_survey_and_reports_every_bad_field() {
        let spec = new_invitation().validate(SurveyKind::Nps).unwrap();
        assert_eq!(spec.attribution.survey, SurveyKind::Nps);

        let bad = NewInvitation {
            order_id: None,
            channel: Some("fax".into()),
            rep_id: Some("a b".into()),
            survey: Some("stars".into()),
            ..Default::default()
        };
        let errors = bad.validate(SurveyKind::Csat).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.rule)).collect();
        assert_eq!(
            fields,
            [
                ("order_id", Rule::Required),
                ("channel", Rule::UnknownValue),
                ("rep_id", Rule::BadFormat),
                ("survey", Rule::UnknownValue)
            ]
        );
    }

    #[test]
    fn up_to_three_distinct_reps_are_credited_the_first_in_rep_id() {
        let reps = |first: Option<&str>, also: &[&str]| NewInvitation {
            rep_id: first.map(Into::into),
            also_rep_ids: Some(also.iter().map(|s| s.to_string()).collect()),
            ..new_invitation()
        };
        let ok = reps(Some("ayesha"), &["bilal", "chen"])
            .validate(SurveyKind::Csat)
            .unwrap()
            .attribution;
        let names: Vec<_> = ok.reps().map(RepId::as_str).collect();
        assert_eq!(names, ["ayesha", "bilal", "chen"]);
        assert!(ok.credits(&RepId::parse("r", "chen").unwrap()));
        assert!(!ok.credits(&RepId::parse("r", "zara").unwrap()));
        let none = reps(Some("ayesha"), &[])
            .validate(SurveyKind::Csat)
            .unwrap();
        assert!(none.attribution.also_rep_ids.is_empty());

        let fields = |n: NewInvitation| -> Vec<(String, Rule)> {
            let errors = n.validate(SurveyKind::Csat).unwrap_err();
            errors.into_iter().map(|e| (e.field, e.rule)).collect()
        };
        assert_eq!(
            fields(reps(None, &["bilal"])),
            [("also_rep_ids".to_owned(), Rule::Required)]
        );
        assert_eq!(
            fields(reps(Some("ayesha"), &["bilal", "chen", "dana"])),
            [("also_rep_ids".to_owned(), Rule::TooLong)]
        );
        assert_eq!(
            fields(reps(Some("ayesha"), &["ayesha", "a b"])),
            [
                ("also_rep_ids[0]".to_owned(), Rule::BadFormat),
                ("also_rep_ids[1]".to_owned(), Rule::BadFormat),
            ],
            "a repeat and a bad id, each named"
        );
        assert_eq!(
            fields(reps(Some("ayesha"), &["bilal", "bilal"])),
            [("also_rep_ids[1]".to_owned(), Rule::BadFormat)]
        );
    }

    #[test]
    fn issue_sets_expiry_and_local_day() {
        let now = "2026-03-01T20:30:00Z".parse().unwrap();
        let inv = new_invitation().validate(SurveyKind::Csat).unwrap().issue(
            Code::generate().unwrap(),
            now,
            Duration::days(30),
            &zone(),
        );
        // 20:30 UTC is 01:30 the next day in Karachi (UTC+5).
        assert_eq!(inv.day, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        assert!(!inv.is_expired(now));
        assert!(inv.is_expired(now + Duration::days(30)));
    }

    #[test]
    fn submission_checks_ranges_per_kind_and_names_fields() {
        let s = Submission {
            score: Some(9),
            speed: Some(6),
            expectations: Some("great".into()),
            comment: Some("a\u{7}b".into()),
            ..Default::default()
        };
        let errors = s.validate(SurveyKind::Csat).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.rule)).collect();
        assert_eq!(
            fields,
            [
                ("score", Rule::OutOfRange),
                ("answers.speed", Rule::OutOfRange),
                ("answers.expectations", Rule::UnknownValue),
                ("comment", Rule::ControlCharacters)
            ]
        );
        assert!(
            Submission {
                score: Some(9),
                ..Default::default()
            }
            .validate(SurveyKind::Nps)
            .is_ok()
        );
        assert_eq!(
            Submission::default().validate(SurveyKind::Nps).unwrap_err()[0].rule,
            Rule::Required
        );
    }

    #[test]
    fn comments_are_kept_byte_for_byte() {
        let urdu = "بہت اچھی سروس، شکریہ! 👍\nदुकान अच्छी है\u{200F}";
        assert_eq!(
            validate_comment("comment", urdu).unwrap().as_deref(),
            Some(urdu)
        );
        assert_eq!(validate_comment("comment", "  \n ").unwrap(), None);
        let long = "ب".repeat(MAX_COMMENT_CHARS);
        assert!(validate_comment("comment", &long).is_ok());
        let err = validate_comment("comment", &format!("{long}x")).unwrap_err();
        assert_eq!(err.rule, Rule::TooLong);
    }

    #[test]
    fn revision_keeps_identity_and_bucket() {
        let now: DateTime<Utc> = "2026-03-01T10:00:00Z".parse().unwrap();
        let inv = new_invitation().validate(SurveyKind::Csat).unwrap().issue(
            Code::generate().unwrap(),
            now,
            Duration::days(30),
            &zone(),
        );
        let answer = |score| Answer {
            score,
            answers: Answers::default(),
            comment: None,
        };
        let first = Response::first(&inv, answer(2), now, &zone());
        let later = now + Duration::hours(30);
        let second = first.revised_by(&Response::first(&inv, answer(5), later, &zone()), later);
        assert_eq!(
            (second.score, second.revision, second.day),
            (5, 2, first.day)
        );
        assert_eq!(second.submitted_at, first.submitted_at);
        assert_eq!(second.edited_at, Some(later));
        assert!(!first.same_answer(&second));
    }

    #[test]
    fn reps_need_a_name() {
        let id = RepId::parse("rep_id", "ayesha").unwrap();
        let rep = NewRep {
            display_name: Some(" Ayesha Khan ".into()),
            ..Default::default()
        }
        .validate(id.clone())
        .unwrap();
        assert_eq!(
            (rep.display_name.as_str(), rep.active),
            ("Ayesha Khan", true)
        );
        let errors = NewRep::default().validate(id).unwrap_err();
        assert_eq!(errors[0].field, "display_name");
    }
}
