//! Demo data: four reps, 90 days of invitations and ratings across channels,
//! locations and survey kinds, so a newcomer sees scores at once. Generated
//! from a fixed seed through the same store calls as real traffic.

use chrono::{Duration, Utc};
use feedback_core::model::{Answer, Answers, Expectation, NewInvitation};
use feedback_core::{Code, Rep, RepId, Response, Settings, SurveyKind};
use feedback_http::Tenant;
use feedback_store::{Store, StoreError};

/// (id, name, how good they are 0..1, share of traffic).
const REPS: [(&str, &str, f64, u32); 4] = [
    ("ayesha", "Ayesha Khan", 0.92, 40),
    ("bilal", "Bilal Ahmed", 0.70, 35),
    ("chen", "Chen Wei", 0.50, 22),
    ("dina", "Dina Rao", 0.98, 3),
];
const LOCATIONS: [&str; 2] = ["lahore-gulberg", "karachi-clifton"];
const COMMENTS: [&str; 8] = [
    "Great service, thank you!",
    "بہت اچھی سروس، شکریہ!",
    "सेवा बहुत अच्छी थी",
    "Waited too long at the counter.",
    "انتظار بہت لمبا تھا",
    "Friendly and quick.",
    "The product was out of stock again.",
    "बहुत धीमा था",
];

/// Loads the demo unless the store already has reps. True when loaded.
pub async fn load(store: &dyn Store, tenant: &Tenant) -> Result<bool, StoreError> {
    if !store.list_reps().await?.is_empty() {
        return Ok(false);
    }
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut settings = Settings::defaults(&tenant.name);
    settings.thank_you.insert(
        "en".into(),
        "Thank you! Your feedback goes straight to our team.".into(),
    );
    settings.thank_you.insert(
        "ur".into(),
        "شکریہ! آپ کی رائے سیدھی ہماری ٹیم تک پہنچتی ہے۔".into(),
    );
    settings.thank_you.insert(
        "hi".into(),
        "धन्यवाद! आपकी राय सीधे हमारी टीम तक पहुँचती है।".into(),
    );
    settings.questions = feedback_core::survey::Question::ALL.to_vec();
    store.put_settings(&settings).await?;
    for (id, name, _, _) in REPS {
        let rep = Rep {
            id: RepId::parse("rep_id", id).expect("valid"),
            display_name: name.into(),
            team: Some("front desk".into()),
            active: true,
            archived_at: None,
        };
        store.put_rep(&rep).await?;
    }
    let now = Utc::now();
    let mut order = 0;
    for day in (1..=90).rev() {
        for _ in 0..rng.u32(18..34) {
            order += 1;
            let pick = rng.u32(0..100);
            let (rep, _, skill, _) = *REPS
                .iter()
                .scan(0, |acc, r| {
                    *acc += r.3;
                    Some((*acc, r))
                })
                .find(|(acc, _)| pick < *acc)
                .map(|(_, r)| r)
                .unwrap_or(&REPS[0]);
            let (channel, survey) = match rng.u32(0..10) {
                0..=3 => ("receipt", "csat"),
                4..=5 => ("sms", "csat"),
                6..=7 => ("email", "nps"),
                8 => ("phone", "ces"),
                _ => ("qr", "csat"),
            };
            let created = now - Duration::days(day) + Duration::minutes(i64::from(rng.u32(0..600)));
            let spec = NewInvitation {
                order_id: Some(format!("demo-{order}")),
                rep_id: Some(rep.into()),
                channel: Some(channel.into()),
                location: Some(LOCATIONS[rng.usize(0..2)].into()),
                survey: Some(survey.into()),
                locale: Some(["en", "ur", "hi"][rng.usize(0..3)].into()),
                ..Default::default()
            }
            .validate(SurveyKind::Csat)
            .map_err(|e| StoreError::Internal(format!("demo invitation: {e:?}")))?;
            let code = Code::generate().map_err(|e| StoreError::Internal(e.to_string()))?;
            let invitation =
                spec.issue(code, created, settings.invitation_lifetime(), &tenant.zone);
            store.create_invitation(&invitation, None).await?;
            // About a third of customers answer, within a day.
            if rng.f64() > 0.35 {
                continue;
            }
            let kind = invitation.attribution.survey;
            let good = rng.f64() < skill;
            let span = f64::from(kind.max() - kind.min());
            let level = if good {
                0.75 + 0.25 * rng.f64()
            } else {
                0.6 * rng.f64()
            };
            let score = kind.min() + (level * span).round() as u8;
            let answers = Answers {
                friendliness: Some(if good { rng.u8(4..=5) } else { rng.u8(1..=4) }),
                speed: Some(if good { rng.u8(3..=5) } else { rng.u8(1..=3) }),
                knowledge: Some(rng.u8(2..=5)),
                resolved: Some(good || rng.bool()),
                expectations: Some(if good {
                    Expectation::Exceeded
                } else {
                    Expectation::Below
                }),
            };
            let comment =
                (rng.u32(0..3) == 0).then(|| COMMENTS[rng.usize(0..COMMENTS.len())].to_owned());
            let answered = created + Duration::minutes(i64::from(rng.u32(5..1400)));
            let response = Response::first(
                &invitation,
                Answer {
                    score,
                    answers,
                    comment,
                },
                answered,
                &tenant.zone,
            );
            store
                .record_response(&response, answered, &settings.submit_rules(), &[])
                .await?;
        }
    }
    Ok(true)
}
