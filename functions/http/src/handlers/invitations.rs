//! `POST /v1/invitations` (one, or a batch of up to 500) and
//! `GET /v1/invitations/{code}`.

use super::{json, now};
use crate::body::{self, Object, Segment, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use feedback_app::invitations::{self, Invite, InviteError};
use feedback_app::keys::Principal;
use feedback_core::model::NewInvitation;
use feedback_core::{CustomerRef, FieldError, Invitation, Rule, Scope, Settings, sms};
use feedback_store::InvitationOutcome;
use serde_json::{Value, json};

/// Largest batch one request may create.
pub const MAX_BATCH: usize = 500;

const FIELDS: [&str; 8] = [
    "order_id",
    "rep_id",
    "channel",
    "location",
    "customer_ref",
    "survey",
    "locale",
    "force",
];

/// The request's fields, whether it forces past the contact throttle, and
/// the errors of its shape.
fn new_invitation(object: &Object) -> (NewInvitation, bool, Vec<FieldError>) {
    let mut errors = object.unknown_fields(&FIELDS);
    let force = take(&mut errors, object.bool("force")).unwrap_or(false);
    let mut get = |name: &str| {
        object.string(name).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let input = NewInvitation {
        order_id: get("order_id"),
        rep_id: get("rep_id"),
        channel: get("channel"),
        location: get("location"),
        customer_ref: get("customer_ref"),
        survey: get("survey"),
        locale: get("locale"),
    };
    (input, force, errors)
}

pub fn view(
    invitation: &Invitation,
    state: &AppState,
    settings: &Settings,
    headers: &HeaderMap,
) -> Value {
    let url = state.tenant.link(&invitation.code, headers);
    json!({
        "code": invitation.code,
        "url": url,
        "sms_text": sms::invitation_text(&settings.display_name, &url),
        "order_id": invitation.order_id,
        "rep_id": invitation.attribution.rep_id,
        "channel": invitation.attribution.channel,
        "location": invitation.attribution.location,
        "customer_ref": invitation.customer_ref,
        "survey": invitation.attribution.survey,
        "locale": invitation.locale,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "personal_until": invitation.personal_until,
    })
}

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
        let extra = root.unknown_fields(&["invitations"]);
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
    let outcomes = invitations::invite(store, &settings, secret, &state.tenant.zone, invites, at)
        .await
        .map_err(|e| match e {
            InviteError::UnknownReps(errors) => ApiError::Unprocessable(errors),
            InviteError::Store(e) => e.into(),
        })?;
    let mut views = Vec::new();
    let mut all_new = true;
    for (outcome, sent_ref) in outcomes.into_iter().zip(&sent) {
        let outcome = outcome.map_err(ApiError::from)?;
        all_new &= matches!(outcome, InvitationOutcome::Created(_));
        let view = outcome_view(
            &outcome,
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
        Ok(json(StatusCode::OK, &json!({ "invitations": views })))
    } else {
        let status = if all_new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok(json(status, &views[0]))
    }
}

/// What the client is told of one invitation request. A throttled one
/// names until when, and hands back the contact's invitation while it is
/// still open (unanswered, unexpired), so the customer gets one link.
async fn outcome_view(
    outcome: &InvitationOutcome,
    sent_ref: Option<&CustomerRef>,
    principal: &Principal,
    state: &AppState,
    settings: &Settings,
    headers: &HeaderMap,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Value, ApiError> {
    let (status, until) = match outcome {
        InvitationOutcome::Created(_) => ("created", None),
        InvitationOutcome::Existing(_) => ("existing", None),
        InvitationOutcome::Throttled { until, .. } => ("throttled", Some(until)),
    };
    let last = outcome.invitation();
    let open = match until {
        None => true,
        Some(_) => !last.is_expired(at) && state.store.get_response(&last.code).await?.is_none(),
    };
    let mut v = match open {
        true => view(last, state, settings, headers),
        false => json!({ "customer_ref": last.customer_ref, "last_invited_at": last.created_at }),
    };
    // An existing order's stored ref may not be the one this request sent.
    if matches!(outcome, InvitationOutcome::Existing(_))
        && !principal.may(Scope::ResponsesRead)
        && last.customer_ref.as_ref() != sent_ref
    {
        hide_customer_ref(&mut v);
    }
    v["status"] = json!(status);
    if let Some(until) = until {
        v["throttled_until"] = json!(until);
    }
    Ok(v)
}

/// `GET /v1/invitations/{code}`. Whether it was answered is the invitation's
/// own state; the answer itself and the customer's ref are the customer's,
/// shown only to a key that may read responses (a till's
/// `invitations:write` key may not).
pub async fn get(
    State(state): State<AppState>,
    Segment(raw): Segment,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let invitation = super::invitation(&state, &raw).await?;
    let code = invitation.code.clone();
    let settings = state.settings().await?;
    let mut body = view(&invitation, &state, &settings, &headers);
    let answer = state.store.get_response(&code).await?;
    body["answered"] = json!(answer.is_some());
    if principal.may(Scope::ResponsesRead) {
        body["response"] = json!(
            answer
                .as_ref()
                .map(|a| super::public::rating_view(a, &settings))
        );
    } else {
        hide_customer_ref(&mut body);
    }
    Ok(json(StatusCode::OK, &body))
}

/// Takes the stored customer ref out of a view for a key that may not read
/// it: another order's ref is not a till's to learn.
fn hide_customer_ref(view: &mut Value) {
    if let Some(object) = view.as_object_mut() {
        object.remove("customer_ref");
    }
}
