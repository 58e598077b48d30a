//! `GET /v1/settings` and `PUT /v1/settings`.

use super::json;
use crate::apidoc::{P400, P415, P503};
use crate::body::{self, Object, take};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use feedback_core::abuse::AbuseRulesPatch;
use feedback_core::followup::FollowUpRulesPatch;
use feedback_core::sending::SendRulesPatch;
use feedback_core::settings::SettingsPatch;
use feedback_core::{FieldError, Rule, Settings};
use serde::Serialize;

/// The settings, and the time zone days are counted in.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SettingsView)]
struct View<'a> {
    #[serde(flatten)]
    settings: &'a Settings,
    /// Set by the deployment: shown, never changed here.
    time_zone: &'a str,
}

fn view<'a>(settings: &'a Settings, state: &'a AppState) -> View<'a> {
    View {
        settings,
        time_zone: state.tenant.zone.name(),
    }
}

#[utoipa::path(
    get,
    path = "/v1/settings",
    operation_id = "getSettings",
    summary = "The tenant's settings",
    responses(
        (status = 200, description = "Settings", body = View),
        (status = 503, response = P503),
    )
)]
pub async fn get(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(json(
        StatusCode::OK,
        &view(&state.settings().await?, &state),
    ))
}

pub const FIELDS: [&str; 13] = [
    "display_name",
    "default_survey",
    "default_locale",
    "thank_you",
    "questions",
    "coupon",
    "invitation_lifetime_days",
    "edit_window_hours",
    "follow_up",
    "retention_months",
    "contact_throttle_days",
    "abuse",
    "sending",
];

pub const SENDING_FIELDS: [&str; 3] = ["delay_minutes", "quiet_hours", "reminder_days"];

pub const QUIET_HOURS_FIELDS: [&str; 2] = ["start", "end"];

pub const FOLLOW_UP_FIELDS: [&str; 4] = ["csat_at_most", "nps_at_most", "ces_at_most", "sla_hours"];

pub const ABUSE_FIELDS: [&str; 5] = [
    "per_address_daily",
    "min_fill_ms",
    "burst_minutes",
    "burst_per_address",
    "burst_per_link",
];

/// The `abuse` object of a settings change.
fn abuse_patch(errors: &mut Vec<FieldError>, o: &Object<'_>) -> Option<AbuseRulesPatch> {
    let rules = take(errors, o.object("abuse"))?;
    errors.extend(rules.unknown_fields(&ABUSE_FIELDS));
    Some(AbuseRulesPatch {
        per_address_daily: take(errors, rules.int("per_address_daily")),
        min_fill_ms: take(errors, rules.int("min_fill_ms")),
        burst_minutes: take(errors, rules.int("burst_minutes")),
        burst_per_address: take(errors, rules.int("burst_per_address")),
        burst_per_link: take(errors, rules.int("burst_per_link")),
    })
}

/// The `sending` object of a settings change.
fn sending_patch(errors: &mut Vec<FieldError>, o: &Object<'_>) -> Option<SendRulesPatch> {
    let rules = take(errors, o.object("sending"))?;
    errors.extend(rules.unknown_fields(&SENDING_FIELDS));
    let quiet_hours = match rules.nullable_object("quiet_hours") {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok(None) => None,
        Ok(Some(None)) => Some(None),
        Ok(Some(Some(hours))) => {
            errors.extend(hours.unknown_fields(&QUIET_HOURS_FIELDS));
            let mut time = |name: &str| match hours.string(name) {
                Ok(Some(t)) => Some(t),
                Ok(None) => {
                    errors.push(FieldError::new(
                        hours.field(name),
                        Rule::Required,
                        "is required",
                    ));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            };
            let (start, end) = (time("start"), time("end"));
            start.zip(end).map(Some)
        }
    };
    Some(SendRulesPatch {
        delay_minutes: take(errors, rules.int("delay_minutes")),
        quiet_hours,
        reminder_days: take(errors, rules.nullable_int("reminder_days")),
    })
}

/// The `follow_up` object of a settings change.
fn follow_up_patch(errors: &mut Vec<FieldError>, o: &Object<'_>) -> Option<FollowUpRulesPatch> {
    let rules = take(errors, o.object("follow_up"))?;
    errors.extend(rules.unknown_fields(&FOLLOW_UP_FIELDS));
    Some(FollowUpRulesPatch {
        csat_at_most: take(errors, rules.int("csat_at_most")),
        nps_at_most: take(errors, rules.int("nps_at_most")),
        ces_at_most: take(errors, rules.int("ces_at_most")),
        sla_hours: take(errors, rules.int("sla_hours")),
    })
}

#[utoipa::path(
    put,
    path = "/v1/settings",
    operation_id = "putSettings",
    summary = "Change settings (fields given replace their values; null clears a nullable one)",
    request_body = SettingsPatch,
    responses(
        (status = 200, description = "The settings as changed", body = View),
        (status = 400, response = P400),
        (status = 415, response = P415),
        (status = 503, response = P503),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let map = body::read_json(&headers, body).await?;
    let o = Object::new("", &map);
    let mut errors: Vec<FieldError> = Vec::new();
    for key in map.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(match key.as_str() {
            "time_zone" => FieldError::new(
                key,
                Rule::UnknownValue,
                "is read-only: it is set by the deployment",
            ),
            _ => FieldError::new(key, Rule::UnknownValue, "is not a known field"),
        });
    }
    let patch = SettingsPatch {
        display_name: take(&mut errors, o.string("display_name")),
        default_survey: take(&mut errors, o.string("default_survey")),
        default_locale: take(&mut errors, o.nullable_string("default_locale")),
        thank_you: take(&mut errors, o.string_map("thank_you")),
        questions: take(&mut errors, o.strings("questions")),
        coupon: take(&mut errors, o.nullable_string("coupon")),
        invitation_lifetime_days: take(&mut errors, o.int("invitation_lifetime_days")),
        edit_window_hours: take(&mut errors, o.int("edit_window_hours")),
        follow_up: follow_up_patch(&mut errors, &o),
        retention_months: take(&mut errors, o.nullable_int("retention_months")),
        contact_throttle_days: take(&mut errors, o.int("contact_throttle_days")),
        abuse: abuse_patch(&mut errors, &o),
        sending: sending_patch(&mut errors, &o),
    };
    let next = body::combine(errors, state.settings().await?.apply(&patch))?;
    state.store.put_settings(&next).await?;
    Ok(json(StatusCode::OK, &view(&next, &state)))
}
