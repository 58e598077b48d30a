//! Sending the invitations from the local server: through the SMTP server
//! and the SMS gateway the operator configures, by a worker that sweeps the
//! due invitations every few seconds, as the `send` schedule does in AWS.

mod email;
mod sms;

pub use email::SmtpMailer;
pub use sms::SmsGateway;

use async_trait::async_trait;
use feedback_app::sending::{Compose, Message, Messenger, NotSent, Sender};
use feedback_core::Settings;
use feedback_core::sending::{Media, Medium};
use feedback_http::{Composer, Tenant};
use feedback_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for due invitations: a message goes out at
/// most this long after it is due.
const POLL: Duration = Duration::from_secs(5);
/// A provider that has not answered by then is a failed try, retried later.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The senders the operator configured.
#[derive(Default)]
pub struct Messengers {
    pub email: Option<SmtpMailer>,
    pub sms: Option<SmsGateway>,
}

impl Messengers {
    /// E-mail from `SMTP_URL` and `MAIL_FROM`, SMS from `SMS_GATEWAY_URL`
    /// (and `SMS_GATEWAY_TOKEN`); none where unset. Refuses half a
    /// configuration rather than start without a sender the operator meant.
    pub fn from_env() -> Result<Messengers, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let email = match (var("SMTP_URL"), var("MAIL_FROM")) {
            (Some(url), Some(from)) => Some(SmtpMailer::new(&url, &from)?),
            (None, None) => None,
            (Some(_), None) => return Err("SMTP_URL is set but MAIL_FROM is not: name the address messages come from, \"Chai & Co <feedback@chai.example>\"".into()),
            (None, Some(_)) => return Err("MAIL_FROM is set but SMTP_URL is not: name the SMTP server to send through".into()),
        };
        Ok(Messengers {
            email,
            sms: var("SMS_GATEWAY_URL").map(|url| SmsGateway::new(&url, var("SMS_GATEWAY_TOKEN"))),
        })
    }

    pub fn media(&self) -> Media {
        Media {
            email: self.email.is_some(),
            sms: self.sms.is_some(),
        }
    }
}

#[async_trait]
impl Messenger for Messengers {
    fn sends(&self, medium: Medium) -> bool {
        self.media().sends(medium)
    }

    async fn send(&self, message: &Message) -> Result<(), NotSent> {
        let unconfigured = |what: &str| NotSent {
            reason: format!("no {what} is configured"),
            retry: false,
        };
        match message {
            Message::Sms(sms) => match &self.sms {
                Some(gateway) => gateway.post(&sms.to, &sms.text).await,
                None => Err(unconfigured("SMS gateway (SMS_GATEWAY_URL)")),
            },
            Message::Email(email) => match &self.email {
                Some(mailer) => mailer.send(email).await,
                None => Err(unconfigured("SMTP server (SMTP_URL)")),
            },
        }
    }
}

/// One sweep at `now`: what is due is sent, and the outcomes recorded.
pub async fn sweep(
    store: &dyn Store,
    messenger: &dyn Messenger,
    tenant: &Tenant,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<feedback_app::sending::Swept, feedback_store::StoreError> {
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

/// Sweeps every [`POLL`] on its own task, for as long as the process runs.
pub fn spawn(store: Arc<dyn Store>, messenger: Arc<dyn Messenger>, tenant: Tenant) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tick.tick().await;
            match sweep(
                store.as_ref(),
                messenger.as_ref(),
                &tenant,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(swept) if swept.sent + swept.not_sent + swept.cancelled > 0 => {
                    tracing::info!(?swept, "sent the due invitations");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the send sweep failed; trying again"),
            }
        }
    });
}
