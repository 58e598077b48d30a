//! The business's settings, changed through the API.

use crate::abuse::{AbuseRules, AbuseRulesPatch};
use crate::error::{Errors, FieldError, Rule, in_range};
use crate::followup::{FollowUpRules, FollowUpRulesPatch};
use crate::ids::Locale;
use crate::model::{validate_comment, validate_label};
use crate::sending::{SendRules, SendRulesPatch};
use crate::survey::Question;
use crate::survey::SurveyKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// The name customers see on pages and in SMS.
    pub display_name: String,
    /// The survey kind of invitations that do not name one.
    pub default_survey: SurveyKind,
    /// The pages' language when the invitation names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub default_locale: Option<Locale>,
    /// The thank-you text per language (`en`, `ur`, `hi`).
    #[serde(default)]
    pub thank_you: BTreeMap<String, String>,
    /// The optional questions asked after the main score.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// A coupon shown on the thank-you page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    pub invitation_lifetime_days: u32,
    pub edit_window_hours: u32,
    /// Which scores open a follow-up and its SLA.
    #[serde(default)]
    pub follow_up: FollowUpRules,
    /// Months after an invitation when its customer ref and comments are
    /// erased (counts stay); `None` keeps them until erased on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_months: Option<u32>,
    /// Days after inviting a customer (by customer ref, across channels)
    /// before they may be invited again; 0 turns the throttle off.
    #[serde(default = "default_contact_throttle_days")]
    pub contact_throttle_days: u32,
    /// Limits on the public routes.
    #[serde(default)]
    pub abuse: AbuseRules,
    /// When the invitations the product sends go out.
    #[serde(default)]
    pub sending: SendRules,
}

fn default_contact_throttle_days() -> u32 {
    30
}

impl Settings {
    /// The settings of a tenant that has changed nothing yet.
    pub fn defaults(display_name: &str) -> Settings {
        Settings {
            display_name: display_name.to_owned(),
            default_survey: SurveyKind::Csat,
            default_locale: None,
            thank_you: BTreeMap::new(),
            questions: Vec::new(),
            coupon: None,
            invitation_lifetime_days: 30,
            edit_window_hours: 24,
            follow_up: FollowUpRules::default(),
            retention_months: None,
            contact_throttle_days: default_contact_throttle_days(),
            abuse: AbuseRules::default(),
            sending: SendRules::default(),
        }
    }

    /// How long a customer is not invited again; `None` when off.
    pub fn contact_throttle(&self) -> Option<chrono::Duration> {
        (self.contact_throttle_days > 0)
            .then(|| chrono::Duration::days(i64::from(self.contact_throttle_days)))
    }

    pub fn invitation_lifetime(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.invitation_lifetime_days))
    }

    pub fn edit_window(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.edit_window_hours))
    }

    /// When the personal data of an invitation created at `at` expires.
    pub fn personal_until(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        self.retention_months
            .and_then(|m| at.checked_add_months(chrono::Months::new(m)))
    }

    /// The rules a customer's submit is recorded under.
    pub fn submit_rules(&self) -> crate::submission::SubmitRules {
        crate::submission::SubmitRules {
            edit_window: self.edit_window(),
            follow_up: self.follow_up,
        }
    }

    /// These settings with `patch` applied; every bad field is reported.
    pub fn apply(&self, patch: &SettingsPatch) -> Result<Settings, Vec<FieldError>> {
        let mut errors = Errors::default();
        let mut next = self.clone();
        if let Some(name) = &patch.display_name
            && let Some(v) = errors.check(validate_label("display_name", name, 100))
        {
            next.display_name = v;
        }
        if let Some(kind) = &patch.default_survey
            && let Some(v) = errors.check(SurveyKind::parse("default_survey", kind))
        {
            next.default_survey = v;
        }
        if let Some(locale) = &patch.default_locale {
            match locale {
                None => next.default_locale = None,
                Some(l) => {
                    if let Some(v) = errors.check(Locale::parse("default_locale", l)) {
                        next.default_locale = Some(v);
                    }
                }
            }
        }
        if let Some(texts) = &patch.thank_you {
            let mut checked = BTreeMap::new();
            for (lang, text) in texts {
                let field = format!("thank_you.{lang}");
                let lang_ok = errors.check(Locale::parse(&field, lang));
                let text_ok = errors.check(bounded_text(&field, text, 500));
                if let (Some(l), Some(Some(t))) = (lang_ok, text_ok) {
                    checked.insert(l.to_string(), t);
                }
            }
            next.thank_you = checked;
        }
        if let Some(names) = &patch.questions {
            let mut questions = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if let Some(q) = errors.check(Question::parse(&format!("questions[{i}]"), name))
                    && !questions.contains(&q)
                {
                    questions.push(q);
                }
            }
            next.questions = questions;
        }
        if let Some(coupon) = &patch.coupon {
            next.coupon = match coupon {
                None => None,
                Some(c) => errors.check(bounded_text("coupon", c, 200)).flatten(),
            };
        }
        if let Some(days) = patch.invitation_lifetime_days
            && let Some(v) = errors.check(in_range("invitation_lifetime_days", days, 1, 365))
        {
            next.invitation_lifetime_days = v;
        }
        if let Some(hours) = patch.edit_window_hours
            && let Some(v) = errors.check(in_range("edit_window_hours", hours, 0, 720))
        {
            next.edit_window_hours = v;
        }
        if let Some(months) = patch.retention_months {
            next.retention_months = match months {
                None => None,
                Some(m) => errors.check(in_range("retention_months", m, 1, 120)),
            };
        }
        if let Some(days) = patch.contact_throttle_days
            && let Some(v) = errors.check(in_range("contact_throttle_days", days, 0, 365))
        {
            next.contact_throttle_days = v;
        }
        if let Some(abuse) = &patch.abuse {
            match self.abuse.apply(abuse) {
                Ok(rules) => next.abuse = rules,
                Err(bad) => bad.into_iter().for_each(|e| errors.push(e)),
            }
        }
        if let Some(rules) = &patch.sending {
            match self.sending.apply(rules) {
                Ok(rules) => next.sending = rules,
                Err(bad) => bad.into_iter().for_each(|e| errors.push(e)),
            }
        }
        if let Some(rules) = &patch.follow_up {
            match self.follow_up.apply(rules) {
                Ok(rules) => next.follow_up = rules,
                Err(bad) => bad.into_iter().for_each(|e| errors.push(e)),
            }
        }
        errors.finish(|| next)
    }
}

fn bounded_text(field: &str, text: &str, max: usize) -> Result<Option<String>, FieldError> {
    let len = text.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            Rule::TooLong,
            format!("must be at most {max} characters, got {len}"),
        ));
    }
    validate_comment(field, text)
}

/// A change to settings: each present field replaces its value; for the
/// nullable ones, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = SettingsInput)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[schema(schema_with = crate::schema::nullable_label_100)]
    pub display_name: Option<String>,
    #[schema(value_type = Option<SurveyKind>)]
    pub default_survey: Option<String>,
    /// null clears it.
    #[schema(schema_with = crate::schema::nullable_locale)]
    pub default_locale: Option<Option<String>>,
    #[schema(schema_with = crate::schema::nullable_thank_you)]
    pub thank_you: Option<BTreeMap<String, String>>,
    #[schema(value_type = Option<Vec<Question>>)]
    pub questions: Option<Vec<String>>,
    #[schema(schema_with = crate::schema::nullable_coupon)]
    pub coupon: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 365)]
    pub invitation_lifetime_days: Option<i64>,
    #[schema(minimum = 0, maximum = 720)]
    pub edit_window_hours: Option<i64>,
    #[schema(value_type = Option<FollowUpRulesPatch>)]
    pub follow_up: Option<FollowUpRulesPatch>,
    /// Months after an invitation when its customer ref and comments are
    /// erased (counts stay); null keeps them until erased on request.
    #[schema(minimum = 1, maximum = 120)]
    pub retention_months: Option<Option<i64>>,
    /// Days after inviting a customer_ref (any channel) before it may be
    /// invited again; 0 turns the throttle off.
    #[schema(minimum = 0, maximum = 365)]
    pub contact_throttle_days: Option<i64>,
    pub abuse: Option<AbuseRulesPatch>,
    pub sending: Option<SendRulesPatch>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let base = Settings::defaults("Chai Corner");
        let patch = SettingsPatch {
            coupon: Some(Some("CHAI10".into())),
            thank_you: Some(BTreeMap::from([("ur".into(), "شکریہ!".into())])),
            edit_window_hours: Some(48),
            questions: Some(vec!["speed".into(), "resolved".into(), "speed".into()]),
            ..Default::default()
        };
        let next = base.apply(&patch).unwrap();
        assert_eq!(next.coupon.as_deref(), Some("CHAI10"));
        assert_eq!(next.thank_you["ur"], "شکریہ!");
        assert_eq!(
            (next.edit_window_hours, next.invitation_lifetime_days),
            (48, 30)
        );
        let cleared = next
            .apply(&SettingsPatch {
                coupon: Some(None),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(cleared.coupon, None);
    }

    #[test]
    fn bad_fields_are_all_named() {
        let patch = SettingsPatch {
            display_name: Some("  ".into()),
            default_survey: Some("stars".into()),
            invitation_lifetime_days: Some(0),
            edit_window_hours: Some(-1),
            thank_you: Some(BTreeMap::from([("not a tag".into(), "x".into())])),
            ..Default::default()
        };
        let fields: Vec<_> = Settings::defaults("x")
            .apply(&patch)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "display_name",
                "default_survey",
                "thank_you.not a tag",
                "invitation_lifetime_days",
                "edit_window_hours"
            ]
        );
    }
}
