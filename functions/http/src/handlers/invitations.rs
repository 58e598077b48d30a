//! `POST /v1/invitations` (one, or a batch of up to 500) and
//! `GET /v1/invitations/{code}`.

use super::public::RatingView;
use super::{json, now};
use crate::apidoc::{P400, P404, P413, P415, P422, P503};
use crate::body::{self, Object, Segment, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use feedback_app::invitations::{self, Invite, InviteError};
use feedback_app::keys::Principal;
use feedback_core::model::{NewInvitation, NewRecipient};
use feedback_core::sending::{Sending, SendingView};
use feedback_core::{
    Channel, CustomerRef, FieldError, Invitation, RepId, Rule, Scope, Settings, SurveyKind, sms,
};
use feedback_store::InvitationOutcome;
use serde::Serialize;
use serde_json::Value;

/// Largest batch one request may create.
pub const MAX_BATCH: usize = 500;

/// The fields of a batch.
pub const BATCH_FIELDS: [&str; 1] = ["invitations"];

/// The fields of one invitation.
pub const FIELDS: [&str; 12] = [
    "order_id",
    "rep_id",
    "also_rep_ids",
    "channel",
    "location",
    "customer_ref",
    "survey",
    "locale",
    "force",
    "recipient",
    "send_at",
    "send_after_minutes",
];

/// The fields of a recipient.
pub const RECIPIENT_FIELDS: [&str; 2] = ["email", "phone"];

/// The request's fields, whether it forces past the contact throttle, and
/// the errors of its shape.
fn new_invitation(object: &Object) -> (NewInvitation, bool, Vec<FieldError>) {
    let mut errors = object.unknown_fields(&FIELDS);
    let force = take(&mut errors, object.bool("force")).unwrap_or(false);
    let also_rep_ids = take(&mut errors, object.strings("also_rep_ids"));
    let send_after_minutes = take(&mut errors, object.int("send_after_minutes"));
    let recipient = take(&mut errors, object.object("recipient")).map(|to| {
        errors.extend(to.unknown_fields(&RECIPIENT_FIELDS));
        NewRecipient {
            email: take(&mut errors, to.string("email")),
            phone: take(&mut errors, to.string("phone")),
        }
    });
    let mut get = |name: &str| {
        object.string(name).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let input = NewInvitation {
        order_id: get("order_id"),
        rep_id: get("rep_id"),
        also_rep_ids,
        channel: get("channel"),
        location: get("location"),
        customer_ref: get("customer_ref"),
        survey: get("survey"),
        locale: get("locale"),
        send_at: get("send_at"),
        recipient,
        send_after_minutes,
    };
    (input, force, errors)
}

/// What `POST /v1/invitations` takes for one invitation, as
/// [`new_invitation`] reads it field by field; only its schema is used.
#[derive(utoipa::ToSchema)]
#[schema(as = NewInvitation)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct InvitationInput {
    #[schema(pattern = "^[!\"$-~]{1,128}$")]
    order_id: String,
    #[schema(schema_with = feedback_core::schema::nullable_id)]
    rep_id: Option<String>,
    #[schema(schema_with = feedback_core::schema::also_rep_ids)]
    also_rep_ids: Option<Vec<String>>,
    channel: Channel,
    #[schema(schema_with = feedback_core::schema::nullable_id)]
    location: Option<String>,
    #[schema(schema_with = feedback_core::schema::nullable_customer_ref)]
    customer_ref: Option<String>,
    survey: Option<SurveyKind>,
    #[schema(schema_with = feedback_core::schema::nullable_locale)]
    locale: Option<String>,
    /// Invite even inside the customer's throttle period (and restart it).
    force: Option<bool>,
    /// Have the product send it: to one e-mail address or phone number.
    /// Kept only until its last message is due; never shown again.
    recipient: Option<RecipientInput>,
    /// When to send, instead of the tenant's delay (past quiet hours
    /// either way); needs recipient.
    send_at: Option<DateTime<Utc>>,
    /// Minutes after now to send, instead of the tenant's delay; needs
    /// recipient.
    #[schema(minimum = 0, maximum = 43200)]
    send_after_minutes: Option<i64>,
}

/// Whom the product sends an invitation to: one of the two.
#[derive(utoipa::ToSchema)]
#[schema(as = Recipient)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct RecipientInput {
    /// In ASCII (SES sends to no other): an international domain in its
    /// xn-- form.
    #[schema(format = "email", max_length = 254)]
    email: Option<String>,
    /// E.164: + and 8 to 15 digits.
    #[schema(pattern = "^\\+[1-9][0-9]{7,14}$")]
    phone: Option<String>,
}

/// A batch: `{"invitations": [...]}`.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "describes the body for the API document")]
struct InvitationBatch {
    #[schema(min_items = 1, max_items = 500)]
    invitations: Vec<InvitationInput>,
}

/// The body of `POST /v1/invitations`: one invitation or a batch.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "describes the body for the API document")]
enum InvitationsInput {
    One(InvitationInput),
    Batch(InvitationBatch),
}

/// What a request made of an invitation.
#[derive(Serialize, utoipa::ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Created,
    Existing,
    /// Nothing was made; the customer's open invitation (if any) is
    /// returned with throttled_until.
    Throttled,
}

/// An invitation as the API shows it. Only `customer_ref` and
/// `last_invited_at` are shown of a throttled customer's answered or
/// expired invitation.
#[derive(Default, Serialize, utoipa::ToSchema)]
#[schema(as = Invitation)]
#[serde(deny_unknown_fields)]
pub struct InvitationView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// Fits one SMS where the business name allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rep_id: Option<&'a str>,
    /// The other reps credited with the answer.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<String>)]
    also_rep_ids: &'a [RepId],
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    /// The customer's ref. On an existing order or GET, shown only to a key
    /// with responses:read (or the ref this request sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    survey: Option<SurveyKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    /// When its personal data is erased under the retention setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    personal_until: Option<DateTime<Utc>>,
    /// When the product sends it: how far it has got (never to whom).
    #[serde(skip_serializing_if = "Option::is_none")]
    sending: Option<SendingView<'a>>,
    /// POST only.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Outcome>,
    /// Throttled only: when the customer may be invited again.
    #[serde(skip_serializing_if = "Option::is_none")]
    throttled_until: Option<DateTime<Utc>>,
    /// Throttled with no open invitation (answered or expired): when the
    /// customer was last invited; code and url are then absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_invited_at: Option<DateTime<Utc>>,
    /// GET only: whether the customer has answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    answered: Option<bool>,
    /// GET only, and only for a key with responses:read: the customer's
    /// answer, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<Option<RatingView<'a>>>,
}

/// A batch's invitations, in the order asked.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct InvitationList<'a> {
    invitations: Vec<InvitationView<'a>>,
}

/// What `POST /v1/invitations` answers: one invitation, or a batch's.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum Invited<'a> {
    One(Box<InvitationView<'a>>),
    Batch(InvitationList<'a>),
}

pub fn view<'a>(
    invitation: &'a Invitation,
    state: &AppState,
    settings: &Settings,
    headers: &HeaderMap,
) -> InvitationView<'a> {
    let url = state.tenant.link(&invitation.code, headers);
    InvitationView {
        code: Some(invitation.code.as_str()),
        sms_text: Some(sms::invitation_text(&settings.display_name, &url)),
        url: Some(url),
        order_id: Some(invitation.order_id.as_str()),
        rep_id: invitation.attribution.rep_id.as_ref().map(|r| r.as_str()),
        also_rep_ids: &invitation.attribution.also_rep_ids,
        channel: Some(invitation.attribution.channel),
        location: invitation.attribution.location.as_ref().map(|l| l.as_str()),
        customer_ref: invitation.customer_ref.as_ref().map(|c| c.as_str()),
        survey: Some(invitation.attribution.survey),
        locale: invitation.locale.as_ref().map(|l| l.as_str()),
        created_at: Some(invitation.created_at),
        expires_at: Some(invitation.expires_at),
        personal_until: invitation.personal_until,
        sending: invitation.sending.as_ref().map(Sending::view),
        ..InvitationView::default()
    }
}

#[utoipa::path(
    post,
    path = "/v1/invitations",
    operation_id = "createInvitations",
    summary = "Create one invitation, or a batch of up to 500",
    request_body = InvitationsInput,
    responses(
        (status = 201, description = "Created", body = InvitationView),
        (status = 200, description = "An invitation for this order_id existed (single), or the batch's per-item results", body = Invited),
        (status = 400, response = P400),
        (status = 413, response = P413),
        (status = 415, response = P415),
        (status = 422, response = P422),
        (status = 503, response = P503),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let root = Object::new("", &map);
    let settings = state.settings().await?;
    // One object, or {"invitations": [...]}.
    let batch = map.contains_key("invitations");
    let mut items: Vec<(String, Object)> = Vec::new();
    if batch {
        let extra = root.unknown_fields(&BATCH_FIELDS);
        if !extra.is_empty() {
            return Err(ApiError::Invalid(extra));
        }
        let Some(list) = map.get("invitations").and_then(Value::as_array) else {
            return Err(FieldError::new(
                "invitations",
                Rule::BadFormat,
                "must be an array of invitations",
            )
            .into());
        };
        if list.is_empty() || list.len() > MAX_BATCH {
            return Err(FieldError::new(
                "invitations",
                Rule::OutOfRange,
                format!("must hold 1 to {MAX_BATCH} invitations"),
            )
            .into());
        }
        for (i, item) in list.iter().enumerate() {
            let path = format!("invitations[{i}]");
            let Some(object) = item.as_object() else {
                return Err(FieldError::new(path, Rule::BadFormat, "must be an object").into());
            };
            items.push((format!("{path}."), Object::new(&path, object)));
        }
    } else {
        items.push((String::new(), root));
    }
    let mut errors = Vec::new();
    let mut invites = Vec::new();
    for (prefix, object) in &items {
        let (input, force, shape) = new_invitation(object);
        match body::combine(shape, input.validate(settings.default_survey)) {
            Ok(spec) => invites.push(Invite {
                path: prefix.clone(),
                spec,
                force,
            }),
            Err(ApiError::Invalid(e)) => {
                errors.extend(e.into_iter().map(|e| match prefix.is_empty() {
                    true => e,
                    false => e.within(prefix.trim_end_matches('.')),
                }))
            }
            Err(other) => return Err(other),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let at = now();
    let secret = state.secret().await?;
    let sent: Vec<Option<CustomerRef>> = invites
        .iter()
        .map(|i| i.spec.customer_ref.clone())
        .collect();
    let store = state.store.as_ref();
    let zone = &state.tenant.zone;
    let outcomes = invitations::invite(store, &settings, secret, state.media, zone, invites, at)
        .await
        .map_err(|e| match e {
            InviteError::Unprocessable(errors) => ApiError::Unprocessable(errors),
            InviteError::Store(e) => e.into(),
        })?;
    let outcomes = outcomes
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::from)?;
    let all_new = outcomes
        .iter()
        .all(|o| matches!(o, InvitationOutcome::Created(_)));
    let mut views = Vec::new();
    for (outcome, sent_ref) in outcomes.iter().zip(&sent) {
        let view = outcome_view(
            outcome,
            sent_ref.as_ref(),
            &principal,
            &state,
            &settings,
            &headers,
            at,
        );
        views.push(view.await?);
    }
    if batch {
        let list = InvitationList { invitations: views };
        Ok(json(StatusCode::OK, &Invited::Batch(list)))
    } else {
        let status = if all_new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let one = views.pop().expect("one invitation asked, one answered");
        Ok(json(status, &Invited::One(Box::new(one))))
    }
}

/// What the client is told of one invitation request. A throttled one
/// names until when, and hands back the contact's invitation while it is
/// still open (unanswered, unexpired), so the customer gets one link.
async fn outcome_view<'a>(
    outcome: &'a InvitationOutcome,
    sent_ref: Option<&CustomerRef>,
    principal: &Principal,
    state: &AppState,
    settings: &Settings,
    headers: &HeaderMap,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<InvitationView<'a>, ApiError> {
    let (status, until) = match outcome {
        InvitationOutcome::Created(_) => (Outcome::Created, None),
        InvitationOutcome::Existing(_) => (Outcome::Existing, None),
        InvitationOutcome::Throttled { until, .. } => (Outcome::Throttled, Some(*until)),
    };
    let last = outcome.invitation();
    let open = match until {
        None => true,
        Some(_) => !last.is_expired(at) && state.store.get_response(&last.code).await?.is_none(),
    };
    let mut v = match open {
        true => view(last, state, settings, headers),
        false => InvitationView {
            customer_ref: last.customer_ref.as_ref().map(|c| c.as_str()),
            last_invited_at: Some(last.created_at),
            ..InvitationView::default()
        },
    };
    // An existing order's stored ref may not be the one this request sent.
    if matches!(outcome, InvitationOutcome::Existing(_))
        && !principal.may(Scope::ResponsesRead)
        && last.customer_ref.as_ref() != sent_ref
    {
        v.customer_ref = None;
    }
    v.status = Some(status);
    v.throttled_until = until;
    Ok(v)
}

/// `GET /v1/invitations/{code}`. Whether it was answered is the invitation's
/// own state; the answer itself and the customer's ref are the customer's,
/// shown only to a key that may read responses (a till's
/// `invitations:write` key may not).
#[utoipa::path(
    get,
    path = "/v1/invitations/{code}",
    operation_id = "getInvitation",
    summary = "One invitation; its answer only for a key that may read responses",
    params(("code" = String, Path, description = "Invitation code")),
    responses(
        (status = 200, description = "The invitation", body = InvitationView),
        (status = 404, response = P404),
        (status = 503, response = P503),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Segment(raw): Segment,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let invitation = super::invitation(&state, &raw).await?;
    let settings = state.settings().await?;
    let answer = state.store.get_response(&invitation.code).await?;
    let mut body = view(&invitation, &state, &settings, &headers);
    body.answered = Some(answer.is_some());
    if principal.may(Scope::ResponsesRead) {
        body.response = Some(
            answer
                .as_ref()
                .map(|a| super::public::rating_view(a, &settings)),
        );
    } else {
        // The stored ref is the customer's: not a till's to learn.
        body.customer_ref = None;
    }
    Ok(json(StatusCode::OK, &body))
}
