//! The local server's retention sweeper: on SQLite, what DynamoDB's TTL and
//! the `notify` function do in AWS — erase the personal data of invitations
//! whose retention ran out, keeping every count.

use chrono::{DateTime, Utc};
use feedback_store::{Erased, ErasureStore, SqliteStore, StoreError};
use std::time::Duration;

/// How often the sweeper looks; retention is counted in months, so an hour
/// late is no one's loss.
const EVERY: Duration = Duration::from_secs(3600);
const BATCH: usize = 500;

/// Erases everything expired by `at`.
pub async fn sweep(store: &SqliteStore, at: DateTime<Utc>) -> Result<Erased, StoreError> {
    let mut erased = Erased::default();
    loop {
        let codes = store.personal_data_expired(at, BATCH).await?;
        for code in &codes {
            erased += store.erase_invitation(code).await?;
        }
        if codes.len() < BATCH {
            return Ok(erased);
        }
    }
}

/// Sweeps now and then every hour, for as long as the process runs.
pub fn spawn(store: SqliteStore) {
    tokio::spawn(async move {
        loop {
            match sweep(&store, Utc::now()).await {
                Ok(e) if e != Erased::default() => {
                    tracing::info!(
                        invitations = e.invitations,
                        comments = e.comments,
                        "retention: erased personal data"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; retrying in an hour"),
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedback_core::model::{Answer, Answers, NewInvitation};
    use feedback_core::time::TenantZone;
    use feedback_core::{Code, Response, Settings, SurveyKind};
    use feedback_store::{InvitationStore, ResponseStore, RollupStore};

    #[tokio::test]
    async fn expired_personal_data_is_erased_and_counts_stay() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("feedback.db")).unwrap();
        let zone = TenantZone::parse("tz", "UTC").unwrap();
        let mut settings = Settings::defaults("shop");
        settings.retention_months = Some(24);
        let t0: DateTime<Utc> = "2024-01-10T10:00:00Z".parse().unwrap();
        for (order, at) in [("old", t0), ("new", t0 + chrono::Duration::days(400))] {
            let inv = NewInvitation {
                order_id: Some(order.into()),
                channel: Some("sms".into()),
                customer_ref: Some("+923001234567".into()),
                ..Default::default()
            }
            .validate(SurveyKind::Csat)
            .unwrap()
            .issue(
                Code::generate().unwrap(),
                at,
                chrono::Duration::days(30),
                &zone,
            );
            let inv = feedback_core::Invitation {
                personal_until: settings.personal_until(at),
                ..inv
            };
            store.create_invitation(&inv, None).await.unwrap();
            let answer = Answer {
                score: 1,
                answers: Answers::default(),
                comment: Some("late".into()),
            };
            let r = Response::first(&inv, answer, at, &zone);
            store
                .record_response(&r, at, &settings.submit_rules(), &[])
                .await
                .unwrap();
        }
        // 24 months after the first: only the first has expired.
        let now: DateTime<Utc> = "2026-01-10T10:00:01Z".parse().unwrap();
        let erased = sweep(&store, now).await.unwrap();
        assert_eq!((erased.invitations, erased.comments), (1, 1));
        assert_eq!(sweep(&store, now).await.unwrap(), Erased::default());
        let page = store
            .list_responses(&Default::default(), 10, None)
            .await
            .unwrap();
        let comments: Vec<_> = page.items.iter().map(|r| r.comment.clone()).collect();
        assert_eq!(comments, [Some("late".to_owned()), None]);
        let rollups = store
            .read_rollups(
                &feedback_core::Slice::All,
                t0.date_naive(),
                now.date_naive(),
                feedback_store::Detail::Figures,
            )
            .await
            .unwrap();
        let total: i64 = rollups.iter().map(|(_, r)| r.csat.count).sum();
        assert_eq!(total, 2);
    }
}
