//! Sending the invitations that have come due: each is looked at against
//! what is true now (answered, expired, opted out), taken so no other
//! sender sends it, composed in its language, handed to a messenger, and
//! its outcome recorded. The same sweep runs in the local server's worker
//! and in AWS on a schedule; the messenger is what differs (the `send`
//! crate's: SMTP and an HTTP SMS gateway locally, SES and SNS in AWS).

use crate::invitations::read_reps;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use feedback_core::sending::{
    Cancel, Facts, Medium, Next, Recipient, Sending, Status, Suppression,
};
use feedback_core::time::TenantZone;
use feedback_core::{Code, Invitation, Rep, Settings};
use feedback_store::{Store, StoreError, cancel_sending, change_sending};
use futures::StreamExt;

/// Invitations one sweep looks at.
const SWEEP_BATCH: usize = 100;
/// Messages handed over at once.
const CONCURRENCY: usize = 8;

/// An e-mail ready to hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The invitation's code: the provider tags the message with it, so a
    /// report of it (a bounce, a complaint) finds its invitation.
    pub invitation: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// For `List-Unsubscribe` (RFC 2369) and its one-click POST (RFC 8058).
    pub unsubscribe_url: String,
}

/// An SMS ready to hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub to: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Email(EmailMessage),
    Sms(SmsMessage),
}

/// Why a message was not handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// Worth trying again later: no answer, throttling, a deferral.
    Retry(String),
    /// A refusal that will not change: an invalid number, no such mailbox.
    Refused(String),
    /// The provider holds the contact as opted out (an SMS STOP reply):
    /// the contact goes on the tenant's suppression list.
    OptedOut,
}

/// What a provider reported of a message after taking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// It did not arrive and will not to that address (a permanent
    /// bounce), for this reason.
    Bounced(String),
    /// The customer reported it as spam.
    Complained,
}

/// Records, at `at`, what a provider reported of invitation `code`'s last
/// message. Either way the contact goes on the suppression list, so nothing
/// more is sent to it: a bounce fails the invitation, a complaint cancels
/// what was pending as an opt-out would. False when the invitation was not
/// to be sent (no such invitation, or no sending). Reports may come twice;
/// the second changes nothing.
pub async fn record_report(
    store: &dyn Store,
    code: &Code,
    report: &Report,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(sending) = store.get_invitation(code).await?.and_then(|i| i.sending) else {
        return Ok(false);
    };
    match report {
        Report::Bounced(reason) => {
            store
                .suppress(&sending.contact_hash, Suppression::Bounced, at)
                .await?;
            if let Some(next) = change_sending(store, code, |s| s.bounced(at, reason)).await? {
                log_failure(code, &next);
            }
        }
        Report::Complained => opt_out(store, code, &sending, at).await?,
    }
    Ok(true)
}

/// The contact of invitation `code` (whose sending state is `sending`)
/// opted out at `at`: it goes on the suppression list, and what the
/// invitation still had to send is dropped.
pub async fn opt_out(
    store: &dyn Store,
    code: &Code,
    sending: &Sending,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .suppress(&sending.contact_hash, Suppression::OptedOut, at)
        .await?;
    cancel_sending(store, code, Cancel::OptedOut, at).await?;
    Ok(())
}

/// What hands messages to a provider.
#[async_trait]
pub trait Messenger: Send + Sync {
    /// Whether it can send by `medium` (an operator may set up only one).
    fn sends(&self, medium: Medium) -> bool;

    async fn send(&self, message: &Message) -> Result<(), NotSent>;
}

/// What an invitation's message says.
pub trait Compose: Send + Sync {
    /// The message to `to` for `invitation` (credited to `reps`), the
    /// first or its `reminder`.
    fn compose(
        &self,
        invitation: &Invitation,
        reps: &[Rep],
        settings: &Settings,
        to: &Recipient,
        reminder: bool,
    ) -> Message;
}

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sent: usize,
    /// Tried and retried later, or failed for good.
    pub not_sent: usize,
    pub cancelled: usize,
    /// Another sender (or an answer, an erasure) changed it first.
    pub skipped: usize,
}

impl Swept {
    pub fn add(&mut self, other: &Swept) {
        self.sent += other.sent;
        self.not_sent += other.not_sent;
        self.cancelled += other.cancelled;
        self.skipped += other.skipped;
    }
}

/// Where and how a sweep sends.
pub struct Sender<'a> {
    pub store: &'a dyn Store,
    pub messenger: &'a dyn Messenger,
    pub composer: &'a dyn Compose,
    pub zone: &'a TenantZone,
    pub settings: &'a Settings,
}

enum Outcome {
    Sent,
    NotSent,
    Cancelled,
    Skipped,
}

impl Sender<'_> {
    /// Looks at every invitation due by `now` (up to a batch) and acts.
    #[tracing::instrument(skip_all)]
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<Swept, StoreError> {
        let due = self.store.due_sends(now, SWEEP_BATCH).await?;
        let outcomes: Vec<Result<Outcome, StoreError>> = futures::stream::iter(due)
            .map(|invitation| self.handle(invitation, now))
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut swept = Swept::default();
        for outcome in outcomes {
            match outcome {
                Ok(Outcome::Sent) => swept.sent += 1,
                Ok(Outcome::NotSent) => swept.not_sent += 1,
                Ok(Outcome::Cancelled) => swept.cancelled += 1,
                Ok(Outcome::Skipped) | Err(StoreError::Conflict(_)) => swept.skipped += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(swept)
    }

    async fn facts(
        &self,
        invitation: &Invitation,
        sending: &Sending,
        now: DateTime<Utc>,
    ) -> Result<Facts, StoreError> {
        let (answer, suppressed) = futures::try_join!(
            self.store.get_response(&invitation.code),
            self.store.suppression(&sending.contact_hash),
        )?;
        Ok(Facts {
            answered: answer.is_some(),
            expired: invitation.is_expired(now),
            suppressed,
        })
    }

    async fn handle(
        &self,
        invitation: Invitation,
        now: DateTime<Utc>,
    ) -> Result<Outcome, StoreError> {
        let Some(state) = invitation.sending.clone() else {
            return Ok(Outcome::Skipped);
        };
        let Some(to) = state.recipient.clone() else {
            return Ok(Outcome::Skipped);
        };
        let code = &invitation.code;
        let reminder = match state.next(now, self.facts(&invitation, &state, now).await?) {
            Next::Wait => return Ok(Outcome::Skipped),
            Next::Cancel(why) => {
                let next = state.cancelled(now, why);
                self.store.update_sending(code, &state, &next).await?;
                return Ok(Outcome::Cancelled);
            }
            Next::GiveUp => {
                let next = state.not_sent(
                    now,
                    "the sender stopped before recording whether it went",
                    false,
                );
                self.store.update_sending(code, &state, &next).await?;
                log_failure(code, &next);
                return Ok(Outcome::NotSent);
            }
            Next::SendFirst => false,
            Next::SendReminder => true,
        };
        let allowed = self.settings.sending.allowed(now, self.zone);
        if allowed > now {
            let next = state.deferred(allowed);
            self.store.update_sending(code, &state, &next).await?;
            return Ok(Outcome::Skipped);
        }
        let taken = state.taken(now);
        self.store.update_sending(code, &state, &taken).await?;
        let outcome = if self.messenger.sends(to.medium()) {
            let reps = read_reps(self.store, &invitation.attribution).await?;
            let message = self
                .composer
                .compose(&invitation, &reps, self.settings, &to, reminder);
            self.messenger.send(&message).await
        } else {
            Err(NotSent::Refused(format!(
                "no {} sender is configured",
                to.medium().name()
            )))
        };
        let (next, result) = match outcome {
            Ok(()) => {
                let reminder_due = (!reminder)
                    .then(|| {
                        self.settings
                            .sending
                            .reminder_due(now, invitation.expires_at, self.zone)
                    })
                    .flatten();
                (taken.sent(now, reminder_due), Outcome::Sent)
            }
            Err(NotSent::OptedOut) => {
                tracing::info!(code = %code, "the provider holds the contact as opted out");
                self.store
                    .suppress(&taken.contact_hash, Suppression::OptedOut, now)
                    .await?;
                (taken.cancelled(now, Cancel::OptedOut), Outcome::Cancelled)
            }
            Err(NotSent::Retry(reason)) => {
                tracing::info!(code = %code, reason, "a message was not sent yet");
                (taken.not_sent(now, &reason, true), Outcome::NotSent)
            }
            Err(NotSent::Refused(reason)) => {
                (taken.not_sent(now, &reason, false), Outcome::NotSent)
            }
        };
        self.store.update_sending(code, &taken, &next).await?;
        log_failure(code, &next);
        Ok(result)
    }
}

/// The line a message that failed for good leaves in the log (refused,
/// its tries spent, or its sender gone): the `send` function's alarm
/// counts these.
fn log_failure(code: &feedback_core::Code, next: &Sending) {
    if next.status == Status::Failed {
        let reason = next.failure.as_deref().unwrap_or_default();
        tracing::warn!(code = %code, reason, "a message failed");
    }
}
