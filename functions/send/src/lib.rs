//! Sending the invitations that have come due, wherever it runs: the sweep
//! with the tenant's settings and messages, and the messengers that hand
//! messages to providers. SMTP and an HTTP SMS gateway serve the local
//! server (features `smtp` and `gateway`); SES and SNS serve the `send`
//! function in AWS (`aws`; `lambda` builds the function), which also
//! records what SES reports of its e-mails (`reports`).

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "gateway")]
pub mod gateway;
pub mod mime;
#[cfg(feature = "aws")]
pub mod reports;
#[cfg(feature = "smtp")]
pub mod smtp;

use async_trait::async_trait;
use feedback_app::sending::{
    Compose, EmailMessage, Message, Messenger, NotSent, Sender, SmsMessage, Swept,
};
use feedback_core::Settings;
use feedback_core::sending::{Media, Medium};
use feedback_http::{Composer, Tenant};
use feedback_store::{Store, StoreError};
use std::time::Duration;

/// A provider that has not answered by then is a failed try, retried later.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What hands an e-mail to a provider.
#[async_trait]
pub trait SendEmail: Send + Sync {
    async fn send_email(&self, email: &EmailMessage) -> Result<(), NotSent>;
}

/// What hands an SMS to a provider.
#[async_trait]
pub trait SendSms: Send + Sync {
    async fn send_sms(&self, sms: &SmsMessage) -> Result<(), NotSent>;
}

/// The senders an operator configured, by medium; either may be missing.
pub struct Senders<E, S> {
    pub email: Option<E>,
    pub sms: Option<S>,
}

impl<E, S> Default for Senders<E, S> {
    fn default() -> Self {
        Senders {
            email: None,
            sms: None,
        }
    }
}

impl<E, S> Senders<E, S> {
    /// What invitations may ask to be sent by.
    pub fn media(&self) -> Media {
        Media {
            email: self.email.is_some(),
            sms: self.sms.is_some(),
        }
    }
}

#[async_trait]
impl<E: SendEmail, S: SendSms> Messenger for Senders<E, S> {
    fn sends(&self, medium: Medium) -> bool {
        self.media().sends(medium)
    }

    async fn send(&self, message: &Message) -> Result<(), NotSent> {
        let unconfigured =
            |medium: Medium| NotSent::Refused(format!("no {} sender is configured", medium.name()));
        match message {
            Message::Email(email) => match &self.email {
                Some(sender) => sender.send_email(email).await,
                None => Err(unconfigured(Medium::Email)),
            },
            Message::Sms(sms) => match &self.sms {
                Some(sender) => sender.send_sms(sms).await,
                None => Err(unconfigured(Medium::Sms)),
            },
        }
    }
}

/// Sweeps until nothing more is due, or for `budget`: a backlog (a minute's
/// invitations, or the schedule's pause) in one go.
pub async fn drain(
    store: &dyn Store,
    messenger: &dyn Messenger,
    tenant: &Tenant,
    budget: Duration,
) -> Result<Swept, StoreError> {
    let start = std::time::Instant::now();
    let mut total = Swept::default();
    loop {
        let swept = sweep(store, messenger, tenant, chrono::Utc::now()).await?;
        total.add(&swept);
        if swept.sent + swept.not_sent + swept.cancelled == 0 || start.elapsed() >= budget {
            return Ok(total);
        }
    }
}

/// One sweep at `now` for `tenant`: what is due is sent through
/// `messenger`, in the tenant's current settings, and the outcomes
/// recorded.
pub async fn sweep(
    store: &dyn Store,
    messenger: &dyn Messenger,
    tenant: &Tenant,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Swept, StoreError> {
    let settings = store.get_settings().await?.unwrap_or_else(|| Settings {
        default_locale: tenant.default_locale.clone(),
        ..Settings::defaults(&tenant.name)
    });
    let composer = Composer::new(
        &tenant.base_url,
        store.secret().await?,
        tenant.default_locale.clone(),
    );
    let composer: &dyn Compose = &composer;
    Sender {
        store,
        messenger,
        composer,
        zone: &tenant.zone,
        settings: &settings,
    }
    .sweep(now)
    .await
}
